namespace MambaServe.Engine.Gpu.Interop;

/// <summary>
/// Where a native model library is: beside this assembly (where the build or a deployment puts it), else in the
/// folder <c>MAMBASERVE_NATIVE_DIR</c> names (a library built on the GPU host itself).
/// </summary>
internal static class NativeLibraryLocator
{
    public const string NativeDirVariable = "MAMBASERVE_NATIVE_DIR";

    /// <summary>This assembly's folder.</summary>
    public static string AssemblyDirectory =>
        Path.GetDirectoryName(typeof(NativeLibraryLocator).Assembly.Location) is { Length: > 0 } dir ? dir : AppContext.BaseDirectory;

    /// <summary>The library's full path, or null when it is in neither place.</summary>
    /// <param name="nativeDir">The value of <see cref="NativeDirVariable"/> (a parameter, so tests need not set the process's environment).</param>
    public static string? Find(string fileName, string? nativeDir)
    {
        foreach (var dir in new[] { AssemblyDirectory, nativeDir })
        {
            if (!string.IsNullOrWhiteSpace(dir) && Path.Combine(dir, fileName) is var path && File.Exists(path))
            {
                return Path.GetFullPath(path);
            }
        }

        return null;
    }

    /// <summary>One line for "not found": where it looked.</summary>
    public static string NotFound(string fileName, string? nativeDir) =>
        $"{fileName} was not found beside {Path.GetFileName(typeof(NativeLibraryLocator).Assembly.Location)} ({AssemblyDirectory}) " +
        (string.IsNullOrWhiteSpace(nativeDir) ? $"and {NativeDirVariable} is not set" : $"or in {NativeDirVariable} ({nativeDir})") +
        "; build it with cmake (src/Native, -DMSV_BACKEND=cuda or hip)";
}
