using System.Reflection;

namespace MambaServe.Engine.Backends;

/// <summary>
/// The one place that chooses the backend, for serve, <c>generate</c> and <c>bench</c>. Backends live in their own
/// assemblies (<c>MambaServe.Engine.Gpu</c>, <c>MambaServe.Engine.Cpu</c>), loaded by name when asked for: a build
/// without one simply has no such backend. <see cref="DeviceKind.Auto"/> takes the first usable of CUDA, ROCm and the
/// CPU; an explicit choice that cannot be met throws <see cref="BackendUnavailableException"/> saying why.
/// </summary>
public static class RunnerBackends
{
    /// <summary>Assemblies that may hold backends, GPU first (the order <see cref="DeviceKind.Auto"/> prefers).</summary>
    public static IReadOnlyList<string> AssemblyNames { get; } = ["MambaServe.Engine.Gpu", "MambaServe.Engine.Cpu"];

    private static readonly DeviceKind[] AutoOrder = [DeviceKind.Cuda, DeviceKind.Rocm, DeviceKind.Cpu];

    /// <exception cref="BackendUnavailableException">No backend of that kind in this build, or it cannot run here.</exception>
    public static IRunnerBackend Resolve(DeviceKind device) => Resolve(device, Discover());

    /// <summary>The backends this build holds, whether or not they can run here.</summary>
    public static IReadOnlyList<IRunnerBackend> Discover()
    {
        var backends = new List<IRunnerBackend>();
        foreach (var name in AssemblyNames)
        {
            Assembly assembly;
            try
            {
                assembly = Assembly.Load(new AssemblyName(name));
            }
            catch (FileNotFoundException)
            {
                continue; // left out of this build
            }

            foreach (var attribute in assembly.GetCustomAttributes<RunnerBackendAttribute>())
            {
                backends.Add((IRunnerBackend)Activator.CreateInstance(attribute.BackendType)!);
            }
        }

        return backends;
    }

    internal static IRunnerBackend Resolve(DeviceKind device, IReadOnlyList<IRunnerBackend> backends)
    {
        if (device != DeviceKind.Auto)
        {
            var backend = backends.FirstOrDefault(b => b.Kind == device)
                ?? throw new BackendUnavailableException($"Device '{Name(device)}' is not available: this build has no {Name(device)} backend.");
            return backend.WhyUnavailable() is { } reason
                ? throw new BackendUnavailableException($"Device '{Name(device)}' is not available: {reason}")
                : backend;
        }

        var reasons = new List<string>();
        foreach (var kind in AutoOrder)
        {
            var backend = backends.FirstOrDefault(b => b.Kind == kind);
            var reason = backend is null ? "not in this build" : backend.WhyUnavailable();
            if (reason is null)
            {
                return backend!;
            }

            reasons.Add($"{Name(kind)}: {reason}");
        }

        throw new BackendUnavailableException($"No backend can run here ({string.Join("; ", reasons)}).");
    }

    /// <summary>The name used on the command line and in configuration.</summary>
    public static string Name(DeviceKind kind) => kind.ToString().ToLowerInvariant();
}
