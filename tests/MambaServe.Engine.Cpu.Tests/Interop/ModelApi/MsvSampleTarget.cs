using System.Runtime.InteropServices;

namespace MambaServe.Engine.Cpu.Tests.Interop.ModelApi;

/// <summary>Test-only mirror of <c>msv_sample_target</c> (mambaserve.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MsvSampleTarget
{
    public int Slot, Reset, Position;
    /// <summary>const msv_sampling*.</summary>
    public nint Sampling;
}
