using MambaServe.Engine.Backends;
using MambaServe.Engine.Cpu;
using MambaServe.Engine.Cpu.Interop;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Sampling;

[assembly: RunnerBackend(typeof(CpuRunnerBackend))]

namespace MambaServe.Engine.Cpu;

/// <summary>The CPU backend as <see cref="RunnerBackends"/> finds it: <see cref="CpuModelRunner"/> over fp32 or bf16 weights.</summary>
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
        if (options.DType == ModelDType.Float16)
        {
            // Before the weights are read: an impossible setting fails in milliseconds, not after the load.
            throw new SettingNotSupportedException(
                "dtype float16 is not supported by the CPU runner, which keeps weights in float32 or bfloat16: use auto, float32 or bfloat16.");
        }

        var slots = options.StatePool.ResolveSlotCount(options.Config);
        return new CpuModelRunner(options.Weights, slots, options.Threads, options.StatePool.SsmStateDType,
            new SamplerTokenChooserFactory(options.SampleableVocab), options.DType);
    }
}
