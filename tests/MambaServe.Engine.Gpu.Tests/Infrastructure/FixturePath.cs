namespace MambaServe.Engine.Gpu.Tests.Infrastructure;

/// <summary>The ways a sequence's logits can be reached, each of which must give the reference's rows (issue 9, point 6).</summary>
public enum FixturePath
{
    /// <summary>The whole sequence in one prefill.</summary>
    OnePrefill,

    /// <summary>The prompt in one prefill, then one token at a time.</summary>
    PromptThenDecode,

    /// <summary>Chunks of 1, 7, 3, 64, ... tokens.</summary>
    Chunked,

    /// <summary>One prefill in a step with another prefill and two decodes of other sequences.</summary>
    BatchedWithOthers,

    /// <summary>The first half, a snapshot restored into another slot after the first slot moved on, then the rest there.</summary>
    PrefixRestore,

    /// <summary>The prompt with a fork to another slot as it samples, then the rest on the fork.</summary>
    Fork,
}
