using System.Runtime.InteropServices;

namespace MambaServe.Engine.Interop;

/// <summary>Mirror of <c>msv_step</c> (mambaserve.h): a whole step, and where its results go.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MsvStep
{
    /// <summary>const msv_step_entry*.</summary>
    public nint Entries;
    /// <summary>const msv_sample_target*.</summary>
    public nint Samples;
    public int NEntries;
    public int NSamples;
    /// <summary>int32_t [NSamples].</summary>
    public nint OutTokens;
    /// <summary>float [NSamples]: the chosen token's log-softmax over the raw logits.</summary>
    public nint OutLogprobs;
    /// <summary>int32_t [NSamples, max_logprobs] or 0.</summary>
    public nint OutTopIds;
    /// <summary>float [NSamples, max_logprobs] or 0.</summary>
    public nint OutTopLogprobs;
    /// <summary>float [sum of NTokens over all-logits entries, vocab] or 0.</summary>
    public nint OutLogits;
    /// <summary>int32_t* or 0: -1, or the index of the entry a refused step was refused for (a StepEntryException).</summary>
    public nint OutBadEntry;
}
