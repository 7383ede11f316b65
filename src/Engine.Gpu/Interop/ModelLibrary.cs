using System.Reflection;
using System.Runtime.InteropServices;

namespace MambaServe.Engine.Gpu.Interop;

/// <summary>
/// Chooses which native library answers <see cref="ModelNativeMethods.LibraryName"/>: libmambaserve_cuda,
/// libmambaserve_hip, or libmambaserve_cpu (the fp32 reference model, which lets CI run the GPU runner without a GPU).
/// Once per process, because a P/Invoke binds to one library for good: the first call wins and a later call for
/// another file throws.
/// </summary>
internal static class ModelLibrary
{
    private static readonly Lock Gate = new();
    private static string? _chosen;

    /// <summary>The file chosen, or null before <see cref="Use"/>.</summary>
    public static string? Chosen
    {
        get
        {
            lock (Gate)
            {
                return _chosen;
            }
        }
    }

    /// <param name="libraryPath">Full path of the library file (<see cref="NativeLibraryLocator"/> finds it).</param>
    public static void Use(string libraryPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(libraryPath);
        lock (Gate)
        {
            if (_chosen == libraryPath)
            {
                return;
            }

            if (_chosen is not null)
            {
                throw new InvalidOperationException($"The model library of this process is already {_chosen}; it cannot switch to {libraryPath}.");
            }

            NativeLibrary.SetDllImportResolver(typeof(ModelLibrary).Assembly, Resolve);
            _chosen = libraryPath;
        }
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == ModelNativeMethods.LibraryName && Chosen is { } chosen ? NativeLibrary.Load(chosen) : 0;
}
