using MambaServe.Engine.Backends;
using MambaServe.Engine.Cpu;
using MambaServe.Engine.Cpu.Interop;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Sampling;

[assembly: RunnerBackend(typeof(CpuRunnerBackend))]

namespace MambaServe.Engine.Cpu;

/// <summary>The CPU backend as <see cref="RunnerBackends"/> finds it: <see cref="CpuModelRunner"/> over fp32 weights.</summary>
public sealed class CpuRunnerBackend : IRunnerBackend
{
    public DeviceKind Kind => DeviceKind.Cpu;

    public string? WhyUnavailable()
    {
        try
        {
            _ = CpuKernels.BackendName; // loads libmambaserve_cpu.so, which the build puts beside this assembly
            return null;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return $"the CPU kernel library libmambaserve_cpu.so cannot be loaded ({ex.Message})";
        }
    }

    public IModelRunner CreateRunner(RunnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.DType is not (ModelDType.Auto or ModelDType.Float32))
        {
            // Before the weights are read: an impossible setting fails in milliseconds, not after the load.
            throw new SettingNotSupportedException(
                $"dtype {options.DType.ToString().ToLowerInvariant()} is not supported by the CPU runner, which computes in float32: use auto or float32.");
        }

        var config = options.Config;
        var slots = options.StatePool.ResolveSlotCount(config);
        var weights = options.Weights.ReadFloat32();
        return new CpuModelRunner(config, weights, slots, options.Threads, options.StatePool.SsmStateDType,
            new SamplerTokenChooserFactory(options.SampleableVocab));
    }
}
