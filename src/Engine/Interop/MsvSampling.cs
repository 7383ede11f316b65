using System.Runtime.InteropServices;

namespace MambaServe.Engine.Interop;

/// <summary>
/// Mirror of <c>msv_sampling</c> (mambaserve.h), field by field: one sample's sampling parameters (the rules are
/// mambaserve.h's). The arrays are pinned by the caller for the duration of the step.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MsvSampling
{
    public ulong Seed;
    /// <summary>Below 1e-5: greedy (lowest id on ties).</summary>
    public float Temperature;
    /// <summary>0: off.</summary>
    public int TopK;
    public float TopP, MinP;
    public float RepetitionPenalty, PresencePenalty, FrequencyPenalty;
    /// <summary>Top-N to return, 0..max_logprobs; below 0 none (the chosen token's logprob always comes back).</summary>
    public int Logprobs;
    public int NBias, NPrompt;
    /// <summary>const int32_t*.</summary>
    public nint BiasIds;
    /// <summary>const float*.</summary>
    public nint BiasValues;
    /// <summary>const int32_t*: the repetition-penalty set at reset.</summary>
    public nint PromptIds;
    /// <summary>const uint32_t*, or 0: the step's ban mask over the sampleable ids (<see cref="Generation.TokenMask.Bits"/>).</summary>
    public nint BanBits;
}
