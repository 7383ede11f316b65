using System.Runtime.InteropServices;

namespace MambaServe.Engine.Cpu.Tests.Interop.ModelApi;

/// <summary>Test-only mirror of <c>msv_step_entry</c> (mambaserve.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MsvStepEntry
{
    public nint Tokens;
    public int Slot, NTokens, AllLogits, FirstSample, NSamples;
}
