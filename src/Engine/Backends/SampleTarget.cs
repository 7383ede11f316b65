using MambaServe.Engine.Generation;
using MambaServe.Engine.Sampling;

namespace MambaServe.Engine.Backends;

/// <summary>
/// One token to sample from its entry's last position. A target on another slot than its entry's is a fork: the
/// runner first copies the entry's state (after the entry's tokens) into that slot. The runner writes the result:
/// <see cref="Chosen"/>, or <see cref="Error"/> when this sample's sampler failed (only its request fails).
/// Pooled by <see cref="StepBatch"/>: valid until the batch is cleared.
/// </summary>
public sealed class SampleTarget
{
    internal SampleTarget()
    {
    }

    public int Slot { get; private set; }

    public SequenceSampling Sampling { get; private set; } = null!;

    /// <summary>
    /// This step's token may not be any of <see cref="SequenceSampling.MinTokensBans"/>: its sample has fewer than
    /// min_tokens tokens. Set per step, unlike the sampling (vLLM's min_tokens logits processor). The runner bans the
    /// ids in its sampler only: reported logprobs stay those of the raw logits, as for logit_bias.
    /// </summary>
    public bool BanStopTokens { get; private set; }

    /// <summary>
    /// Ids this step's token may not be because a structured output's grammar forbids them here (JSON mode, a choice);
    /// empty for most targets. Banned like <see cref="SequenceSampling.MinTokensBans"/>: in the sampler only (a host
    /// sampler takes the ids, a device sampler the mask's bits).
    /// </summary>
    public TokenMask GrammarBans { get; private set; } = TokenMask.None;

    public ChosenToken? Chosen { get; private set; }

    public Exception? Error { get; private set; }

    /// <summary>Where the runner that ran this target keeps its result (the GPU runner: its index in the native step).</summary>
    internal int RunnerIndex { get; set; }

    public void SetChosen(ChosenToken chosen)
    {
        Chosen = chosen;
        Error = null;
    }

    public void SetError(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Error = error;
        Chosen = null;
    }

    internal void Reset(int slot, SequenceSampling sampling, bool banStopTokens, TokenMask grammarBans)
    {
        Slot = slot;
        Sampling = sampling;
        BanStopTokens = banStopTokens;
        GrammarBans = grammarBans;
        Chosen = null;
        Error = null;
    }
}
