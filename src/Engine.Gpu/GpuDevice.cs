using MambaServe.Engine.Backends;

namespace MambaServe.Engine.Gpu;

/// <summary>
/// The device a runner is built on, as its backend found it: the kind, the index, its name ("cuda:0 NVIDIA H200"),
/// and whether the library is the fp32 reference (libmambaserve_cpu, which accepts fp32 weights only).
/// </summary>
internal sealed record GpuDevice(DeviceKind Kind, int Index, string Name, bool IsReference)
{
    /// <summary>The reference library standing in for a GPU (CI tests of the GPU runner).</summary>
    public static GpuDevice Reference { get; } = new(DeviceKind.Cpu, 0, "reference (libmambaserve_cpu)", IsReference: true);
}
