using System.Runtime.InteropServices;

namespace MambaServe.Engine.Interop;

/// <summary>Mirror of <c>msv_sample_target</c> (mambaserve.h): one token to sample after an entry.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MsvSampleTarget
{
    /// <summary>Not the entry's slot: the entry's state is copied here after its chunk (a fork).</summary>
    public int Slot;
    /// <summary>Nonzero: (re)start this slot's sampler state (clear counts, mark the prompt ids).</summary>
    public int Reset;
    /// <summary>Tokens this sample generated so far: the RNG counter (same seed, same tokens).</summary>
    public int Position;
    /// <summary>const msv_sampling*.</summary>
    public nint Sampling;
}
