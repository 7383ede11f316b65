using MambaServe.Engine.Backends;
using MambaServe.Engine.Gpu;

[assembly: RunnerBackend(typeof(RocmRunnerBackend))]

namespace MambaServe.Engine.Gpu;

/// <summary>AMD GPUs through libmambaserve_hip.so and the HIP runtime (<c>--device rocm</c>).</summary>
public sealed class RocmRunnerBackend() : GpuRunnerBackend(DeviceKind.Rocm, "libmambaserve_hip.so", "ROCm");
