using MambaServe.Engine.Backends;
using MambaServe.Engine.Gpu;

[assembly: RunnerBackend(typeof(CudaRunnerBackend))]

namespace MambaServe.Engine.Gpu;

/// <summary>NVIDIA GPUs through libmambaserve_cuda.so (<c>--device cuda</c>; <c>auto</c> tries it first).</summary>
public sealed class CudaRunnerBackend() : GpuRunnerBackend(DeviceKind.Cuda, "libmambaserve_cuda.so", "CUDA");
