namespace MambaServe.Engine.Backends;

/// <summary>
/// All the work of one engine step for <see cref="IModelRunner.Step"/>: decode tokens and prefill chunks of several
/// sequences, each an entry on its own slot, with the tokens to sample after them. One slot appears in at most one
/// entry or sample target of a step (<see cref="StepBatchValidator"/>). Built by the engine loop and reused from step to
/// step: entries and targets are pooled, and decode tokens live in a buffer of the batch, so a step in steady state
/// allocates nothing (walk <see cref="Entries"/> and <see cref="StepEntry.Samples"/> with indexed loops: a foreach
/// over the read-only list views boxes an enumerator each time). Not thread-safe.
/// </summary>
public sealed class StepBatch
{
    private readonly List<StepEntry> _entries = [];
    private readonly Stack<StepEntry> _spareEntries = new();
    private readonly Stack<SampleTarget> _spareTargets = new();
    private int[] _tokens = new int[64];
    private int _tokensUsed;

    public IReadOnlyList<StepEntry> Entries => _entries;

    /// <summary>Tokens of all entries together.</summary>
    public int TokenCount { get; private set; }

    /// <summary>Adds a chunk of tokens (not copied: they must stay unchanged until the step has run).</summary>
    public StepEntry AddChunk(int slot, ReadOnlyMemory<int> tokens, bool allLogits = false)
    {
        var entry = _spareEntries.TryPop(out var spare) ? spare : new StepEntry(this);
        entry.Reset(slot, tokens, allLogits);
        _entries.Add(entry);
        TokenCount += tokens.Length;
        return entry;
    }

    /// <summary>Adds one token (a decode), kept in the batch's own buffer.</summary>
    public StepEntry AddToken(int slot, int token, bool allLogits = false)
    {
        if (_tokensUsed == _tokens.Length)
        {
            // Entries added earlier keep the old buffer alive through their Memory, so it is not copied.
            _tokens = new int[_tokens.Length * 2];
            _tokensUsed = 0;
        }

        _tokens[_tokensUsed] = token;
        return AddChunk(slot, _tokens.AsMemory(_tokensUsed++, 1), allLogits);
    }

    /// <summary>
    /// Adds one decode token that continues <paramref name="previous"/>, a target of the batch begun before this one:
    /// its token is the one chosen there (<see cref="StepEntry.Continues"/>), not known yet while that batch is in
    /// flight. Until <see cref="ResolveContinuations"/> the entry holds token 0.
    /// </summary>
    public StepEntry AddNextToken(int slot, SampleTarget previous)
    {
        ArgumentNullException.ThrowIfNull(previous);
        var entry = AddToken(slot, 0);
        entry.Reset(slot, entry.Tokens, false, previous);
        return entry;
    }

    /// <summary>
    /// Writes the chosen token of each continued target into its entry (<see cref="AddNextToken"/>): what a runner that
    /// computes on the host does before it runs the batch, once the batch before it has run.
    /// </summary>
    /// <exception cref="InvalidOperationException">A continued target has no chosen token (its batch has not run, or failed it).</exception>
    public void ResolveContinuations()
    {
        for (int i = 0; i < _entries.Count; i++)
        {
            if (_entries[i].Continues is { } previous)
            {
                var chosen = previous.Chosen ?? throw new InvalidOperationException(
                    $"Entry {i} continues a target that has no chosen token: the step before it has not run, or failed it.");
                System.Runtime.InteropServices.MemoryMarshal.AsMemory(_entries[i].Tokens).Span[0] = chosen.TokenId;
                _entries[i].HeldBack = previous.Sampling.StopTokens.Contains(chosen.TokenId);
            }
        }
    }

    /// <summary>
    /// Runs the batch on <paramref name="runner"/>'s <see cref="IModelRunner.Step"/> once its continued tokens are
    /// resolved, and puts back the state of each slot whose entry is <see cref="StepEntry.HeldBack"/>: how a runner that
    /// computes on the host, and runs a step over all of its entries, keeps the rule of <see cref="StepEntry.Continues"/>.
    /// </summary>
    public void StepResolved(IModelRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ResolveContinuations();
        List<(int Slot, IStateSnapshot State)>? held = null;
        try
        {
            foreach (var entry in _entries)
            {
                if (entry.HeldBack)
                {
                    (held ??= []).Add((entry.Slot, runner.Snapshot(entry.Slot)));
                }
            }

            runner.Step(this);
            if (held is not null)
            {
                foreach (var (slot, state) in held)
                {
                    runner.Restore(slot, state);
                }
            }
        }
        finally
        {
            held?.ForEach(h => h.State.Dispose());
        }
    }

    /// <summary>Drops one entry and its targets (the engine's retry after a <see cref="StepEntryException"/>).</summary>
    public void RemoveAt(int index)
    {
        var entry = _entries[index];
        _entries.RemoveAt(index);
        TokenCount -= entry.Tokens.Length;
        Recycle(entry);
    }

    public void Clear()
    {
        foreach (var entry in _entries)
        {
            Recycle(entry);
        }

        _entries.Clear();
        _tokensUsed = 0;
        TokenCount = 0;
    }

    internal SampleTarget RentTarget() => _spareTargets.TryPop(out var target) ? target : new SampleTarget();

    internal void ReturnTarget(SampleTarget target) => _spareTargets.Push(target);

    private void Recycle(StepEntry entry)
    {
        entry.ReleaseSamples();
        entry.Reset(0, default, false);
        _spareEntries.Push(entry);
    }
}
