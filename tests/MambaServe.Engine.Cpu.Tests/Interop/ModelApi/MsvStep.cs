using System.Runtime.InteropServices;

namespace MambaServe.Engine.Cpu.Tests.Interop.ModelApi;

/// <summary>Test-only mirror of <c>msv_step</c> (mambaserve.h); every pointer is host memory.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MsvStep
{
    public nint Entries, Samples;
    public int NEntries, NSamples;
    public nint OutTokens, OutLogprobs, OutTopIds, OutTopLogprobs, OutLogits, OutBadEntry;
}
