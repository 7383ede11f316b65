using System.Reflection;
using System.Runtime.InteropServices;

namespace MambaServe.Engine.Gpu.Interop;

/// <summary>
/// Chooses which native library answers <see cref="ModelNativeMethods.LibraryName"/>: libmambaserve_cuda,
/// libmambaserve_hip, or libmambaserve_cpu (the fp32 reference model, which lets CI run the GPU runner without a GPU).
/// Once per process: the first call wins and a later call for another library throws.
/// </summary>
internal static class ModelLibrary
{
    private static readonly Lock Gate = new();
    private static string? _chosen;

    /// <param name="libraryName">"mambaserve_cuda", "mambaserve_hip" or "mambaserve_cpu".</param>
    public static void Use(string libraryName)
    {
        lock (Gate)
        {
            if (_chosen == libraryName)
            {
                return;
            }

            if (_chosen is not null)
            {
                throw new InvalidOperationException($"The model library is already {_chosen}; a process uses one.");
            }

            NativeLibrary.SetDllImportResolver(typeof(ModelLibrary).Assembly, Resolve);
            _chosen = libraryName;
        }
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == ModelNativeMethods.LibraryName && _chosen is { } chosen
            ? NativeLibrary.Load(chosen, assembly, searchPath)
            : 0;
}
