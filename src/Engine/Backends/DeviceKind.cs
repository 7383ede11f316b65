namespace MambaServe.Engine.Backends;

/// <summary>
/// Which backend computes (<c>--device</c>, <c>MambaServe:Model:Device</c>). <see cref="Auto"/> takes a GPU when its
/// library loads and sees a device, else the CPU.
/// </summary>
public enum DeviceKind
{
    Auto,
    Cpu,
    Cuda,
    Rocm,
}
