using System.Runtime.InteropServices;

namespace MambaServe.Engine.Interop;

/// <summary>
/// Mirror of <c>msv_sampling</c> (mambaserve.h), field by field: one sample's sampling parameters. The arrays are
/// pinned by the caller for the duration of the step.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MsvSampling
{
    /// <summary>Below 1e-5: greedy (lowest id on ties).</summary>
    public float Temperature;
    /// <summary>0 or less: off.</summary>
    public int TopK;
    public float TopP, MinP;
    public float RepetitionPenalty, PresencePenalty, FrequencyPenalty;
    public ulong Seed;
    /// <summary>Top-N to return, 0..max_logprobs; below 0 none (the chosen token's logprob always comes back).</summary>
    public int Logprobs;
    public int NBias;
    /// <summary>const int32_t*.</summary>
    public nint BiasIds;
    /// <summary>const float*.</summary>
    public nint BiasValues;
    public int NPrompt;
    /// <summary>const int32_t*: the repetition-penalty set at reset.</summary>
    public nint PromptIds;
}
