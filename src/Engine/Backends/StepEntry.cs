using MambaServe.Engine.Generation;

namespace MambaServe.Engine.Backends;

/// <summary>
/// One sequence's work in a step: <see cref="Tokens"/> run from <see cref="Slot"/>'s current state (a prefill chunk of
/// any length, or one decode token), then each of <see cref="Samples"/> sampled from the last position. An entry
/// without samples is a chunk in the middle of a prompt. Pooled by <see cref="StepBatch"/>: valid until the batch is
/// cleared.
/// </summary>
public sealed class StepEntry
{
    private readonly List<SampleTarget> _samples = [];
    private readonly StepBatch _batch;

    internal StepEntry(StepBatch batch)
    {
        _batch = batch;
    }

    public int Slot { get; private set; }

    public ReadOnlyMemory<int> Tokens { get; private set; }

    /// <summary>Every position's logits leave the runner in <see cref="Logits"/> (prompt scoring only).</summary>
    public bool AllLogits { get; private set; }

    public IReadOnlyList<SampleTarget> Samples => _samples;

    /// <summary>
    /// Set on an entry of a batch that runs ahead (<see cref="StepBatch.AddNextToken"/>): its one token is the token
    /// chosen for this target of the batch begun before it, which may still be in flight when this one begins
    /// (<see cref="IModelRunner.Begin"/>). A runner that computes on the host reads it once that batch has run
    /// (<see cref="StepBatch.ResolveContinuations"/>); the GPU runner reads it on the device. When that token is one of
    /// the continued target's <see cref="SequenceSampling.StopTokens"/>, the entry is not fed: its slot keeps the state
    /// it had (the sample ended at that token), and what its targets draw means nothing.
    /// </summary>
    public SampleTarget? Continues { get; private set; }

    /// <summary>
    /// Set by <see cref="StepBatch.ResolveContinuations"/>: this entry continues a target whose token is one of its stop
    /// tokens, so a runner that computes on the host leaves the slot's state as it was (<see cref="Continues"/>).
    /// </summary>
    public bool HeldBack { get; internal set; }

    /// <summary>
    /// Written by the runner when <see cref="AllLogits"/> is set: <c>[Tokens.Length, LogitsWidth]</c> fp32, row t the
    /// logits after token t. Owned by the runner; valid until its next <see cref="IModelRunner.Step"/>.
    /// </summary>
    public ReadOnlyMemory<float> Logits { get; private set; }

    /// <summary>Adds a token to sample after this entry, on <paramref name="slot"/> (another slot than the entry's: a fork).</summary>
    /// <param name="banStopTokens">This token may not be one of the sampling's <see cref="SequenceSampling.MinTokensBans"/> (min_tokens).</param>
    /// <param name="grammarBans">Ids a structured output's grammar bans for this token (<see cref="SampleTarget.GrammarBans"/>).</param>
    public SampleTarget AddSample(int slot, SequenceSampling sampling, bool banStopTokens = false, TokenMask? grammarBans = null)
    {
        ArgumentNullException.ThrowIfNull(sampling);
        var target = _batch.RentTarget();
        target.Reset(slot, sampling, banStopTokens, grammarBans ?? TokenMask.None);
        _samples.Add(target);
        return target;
    }

    public void SetLogits(ReadOnlyMemory<float> logits) => Logits = logits;

    internal void Reset(int slot, ReadOnlyMemory<int> tokens, bool allLogits, SampleTarget? continues = null)
    {
        Slot = slot;
        Tokens = tokens;
        AllLogits = allLogits;
        Logits = default;
        Continues = continues;
        HeldBack = false;
    }

    /// <summary>Hands the targets back to the batch's pool.</summary>
    internal void ReleaseSamples()
    {
        foreach (var target in _samples)
        {
            _batch.ReturnTarget(target);
        }

        _samples.Clear();
    }
}
