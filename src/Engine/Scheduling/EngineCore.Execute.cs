using MambaServe.Engine.Backends;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Sampling;

namespace MambaServe.Engine.Scheduling;

internal sealed partial class EngineCore
{
    /// <summary>
    /// Builds the plan as one <see cref="StepBatch"/>: every decoding sample's last token, then each prefill chunk, a
    /// chunk that completes its prompt carrying one sample target per sample of its request (the others are forks).
    /// </summary>
    private void BuildBatch(StepPlan plan)
    {
        _batch.Clear();
        _planned.Clear();
        foreach (var sample in plan.Decodes)
        {
            if (sample.Group.Phase == GroupPhase.Done || !TryGrammarBans(sample, out var grammarBans))
            {
                continue;
            }

            _batch.AddToken(sample.Slot, sample.LastToken).AddSample(sample.Slot, sample.Sampling!, BansStopTokens(sample), grammarBans);
            _planned.Add(new PlannedEntry(sample, default));
            sample.FedTokens = sample.Generated;
        }

        foreach (var chunk in plan.Prefills)
        {
            var group = chunk.Group;
            if (group.Phase != GroupPhase.Prefilling)
            {
                continue;
            }

            var grammarBans = new TokenMask?[chunk.CompletesPrompt ? group.Samples.Length : 0];
            if (chunk.CompletesPrompt && !group.Samples.Select((s, i) => TryGrammarBans(s, out grammarBans[i])).All(ok => ok))
            {
                continue;
            }

            var entry = _batch.AddChunk(group.Samples[0].Slot, group.Prompt.AsMemory(chunk.Start, chunk.Length), group.WantsPromptLogprobs);
            var minTokensBans = grammarBans.Length > 0 ? MinTokensBans(group.Request.Sampling) : null;
            var stopTokens = grammarBans.Length > 0 ? StopTokens(group.Request.Sampling) : null;
            for (int i = 0; i < grammarBans.Length; i++)
            {
                var sample = group.Samples[i];
                sample.Sampling ??= new SequenceSampling(
                    group.Request.Sampling, group.BaseSeed + sample.Index, group.Request.PromptTokens, minTokensBans, stopTokens);
                entry.AddSample(sample.Slot, sample.Sampling, BansStopTokens(sample), grammarBans[i]);
            }

            _planned.Add(new PlannedEntry(null, chunk));
        }
    }

    /// <summary>
    /// The ids the sample's grammar (structured outputs) bans for its next token, its grammar made at its first token.
    /// A grammar that throws (a pattern past its DFA budget, a fault) fails its own request, not the step: false, and
    /// the step goes on without that request.
    /// </summary>
    private bool TryGrammarBans(SampleState sample, out TokenMask? bans)
    {
        try
        {
            sample.Constraint ??= sample.Group.Request.Constraint?.Create();
            bans = sample.Constraint?.Banned();
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Fail(sample.Group, ex is AggregateException { InnerException: { } inner } ? inner : ex);
            bans = null;
            return false;
        }
    }

    /// <summary>
    /// Whether the sample's next token is one of its first min_tokens, which may not be EOS or a stop token id (vLLM's
    /// min_tokens logits processor). Counted per sample, so each fork of an n &gt; 1 request counts its own tokens.
    /// </summary>
    /// <param name="inFlight">Tokens of the sample drawn in steps not applied yet (a step begun ahead: one).</param>
    private static bool BansStopTokens(SampleState sample, int inFlight = 0) =>
        sample.Generated + inFlight < sample.Group.Request.Sampling.MinTokens;

    /// <summary>
    /// The tokens that end a sample when drawn (<see cref="SequenceSampling.StopTokens"/>): the model's EOS unless
    /// ignore_eos, and stop_token_ids.
    /// </summary>
    private int[] StopTokens(SamplingParams sampling) => [.. EosAndStopTokenIds(sampling, withEos: !sampling.IgnoreEos)];

    /// <summary>What <see cref="BansStopTokens"/> bans: the model's EOS (even with ignore_eos, as vLLM) and stop_token_ids.</summary>
    public IReadOnlyList<int>? MinTokensBans(SamplingParams sampling) =>
        sampling.MinTokens == 0 ? null : EosAndStopTokenIds(sampling, withEos: true);

    /// <summary>The model's EOS (when <paramref name="withEos"/> and the model has one), then stop_token_ids, each once.</summary>
    private List<int> EosAndStopTokenIds(SamplingParams sampling, bool withEos)
    {
        var ids = new List<int>(sampling.StopTokenIds.Count + 1);
        if (withEos && _runner.Config.EosTokenId is { } eos)
        {
            ids.Add(eos);
        }

        foreach (int id in sampling.StopTokenIds)
        {
            if (!ids.Contains(id))
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    /// <summary>
    /// Loads the cached prefix states found at admission, and the start states requests carry, into their slots before
    /// anything of this step can add to the prefix cache, whose evictions dispose snapshots.
    /// </summary>
    private void RestorePendingPrefixes()
    {
        for (int i = _planned.Count - 1; i >= 0; i--)
        {
            var group = _planned[i].Group;
            if (_planned[i].Decode is not null || (group.PendingRestore is null && group.PendingStart is null))
            {
                continue;
            }

            var snapshot = group.PendingRestore;
            group.PendingRestore = null;
            try
            {
                if (snapshot is not null)
                {
                    _runner.Restore(group.Samples[0].Slot, snapshot);
                }
                else
                {
                    group.PendingStart!.RestoreInto(_runner, group.Samples[0].Slot);
                    group.ReleaseStart();
                }
            }
            catch (Exception ex)
            {
                Fail(group, ex);
                Drop(i);
            }
        }
    }

    /// <summary>
    /// Begins the batch. An entry the runner rejects (before changing any state) fails its request, and the rest is
    /// begun again; any other failure may have touched every slot of the batch, so every request in it fails. Returns
    /// whether the batch is begun (its results to apply once it ends).
    /// </summary>
    private bool BeginBatch()
    {
        while (_batch.Entries.Count > 0)
        {
            try
            {
                _runner.Begin(_batch);
                return true;
            }
            catch (StepEntryException ex) when (ex.EntryIndex < _planned.Count)
            {
                var group = _planned[ex.EntryIndex].Group;
                Fail(group, ex);
                for (int i = _planned.Count - 1; i >= 0; i--)
                {
                    if (_planned[i].Group == group)
                    {
                        Drop(i);
                    }
                }
            }
            catch (Exception ex)
            {
                FailPlanned(ex);
                return false;
            }
        }

        return false;
    }

    /// <summary>Ends the begun batch and applies its results; a failure fails every request in it.</summary>
    private void EndAndApply()
    {
        try
        {
            _runner.End(_batch);
        }
        catch (Exception ex)
        {
            FailPlanned(ex);
            return;
        }

        for (int i = 0; i < _planned.Count; i++)
        {
            Apply(_planned[i], _batch.Entries[i]);
        }
    }

    private void FailPlanned(Exception error)
    {
        ForgetFinishedStates();
        foreach (var planned in _planned)
        {
            Fail(planned.Group, error);
        }
    }

    private void Drop(int index)
    {
        _planned.RemoveAt(index);
        _batch.RemoveAt(index);
    }

    private void Apply(PlannedEntry planned, StepEntry entry)
    {
        if (planned.Decode is { } sample)
        {
            ApplySample(sample, entry.Samples[0]);
            return;
        }

        var chunk = planned.Chunk;
        var group = chunk.Group;
        if (group.Phase != GroupPhase.Prefilling)
        {
            return;
        }

        try
        {
            if (entry.AllLogits)
            {
                ScorePrompt(group, chunk, entry.Logits.Span);
            }

            group.PrefilledLength = chunk.Start + chunk.Length;
            CachePrefix(group);
        }
        catch (Exception ex)
        {
            Fail(group, ex);
            return;
        }

        if (chunk.CompletesPrompt)
        {
            StartDecoding(group, entry);
        }
    }

    /// <summary>Scores the chunk's prompt tokens from its all-position logits (row t predicts token t + 1).</summary>
    private void ScorePrompt(SequenceGroup group, PrefillChunk chunk, ReadOnlySpan<float> logits)
    {
        int topN = group.Request.Sampling.PromptLogprobs ?? 0;
        var scored = group.PromptLogprobs ??= new List<TokenLogprob>(group.Prompt.Length);
        for (int pos = chunk.Start; pos < chunk.Start + chunk.Length; pos++)
        {
            // Token pos is predicted by the logits at pos - 1; the first prompt token has no context.
            if (pos == 0)
            {
                scored.Add(new TokenLogprob(group.Prompt[0], null, []));
                continue;
            }

            var row = pos == chunk.Start
                ? group.PreviousLogitsRow.AsSpan()
                : logits.Slice((pos - chunk.Start - 1) * _width, _width);
            scored.Add(_scorer.Score(row, group.Prompt[pos], topN));
        }

        group.PreviousLogitsRow ??= new float[_width];
        logits.Slice((chunk.Length - 1) * _width, _width).CopyTo(group.PreviousLogitsRow);
    }

    /// <summary>Snapshots the first slot when the prompt so far ends on a prefix-cache boundary (chunks end on them).</summary>
    private void CachePrefix(SequenceGroup group)
    {
        if (_prefixCache is { } cache && group.Request.Start is null && group.PrefilledLength % cache.Interval == 0)
        {
            AddToPrefixCache(group.Prompt, group.PrefilledLength, group.Samples[0].Slot, group.Request.CacheSalt);
        }
    }

    /// <summary>
    /// Stores the slot's state as the state after the first <paramref name="length"/> of <paramref name="tokens"/>,
    /// unless stored already. Best effort: a snapshot that fails (a GPU out of device memory) leaves the entry out and
    /// the request goes on, since the cache only saves later requests a prefill.
    /// </summary>
    private void AddToPrefixCache(int[] tokens, int length, int slot, string? salt)
    {
        if (_prefixCache!.Contains(tokens, length, salt))
        {
            return;
        }

        IStateSnapshot snapshot;
        try
        {
            snapshot = _runner.Snapshot(slot);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return;
        }

        _prefixCache.Add(tokens, length, snapshot, salt);
    }

    /// <summary>The prompt is in: every sample's first token was sampled (forks included) in this step.</summary>
    private void StartDecoding(SequenceGroup group, StepEntry entry)
    {
        var samples = group.Samples;
        foreach (var sample in samples)
        {
            sample.Text = _texts.Create(group.Request.Sampling);
        }

        group.PreviousLogitsRow = null;
        group.Phase = GroupPhase.Decoding;
        group.UnfinishedSamples = samples.Length;
        TokensProcessed?.Invoke(group.Prompt.Length, 0);
        for (int i = 0; i < samples.Length; i++)
        {
            ApplySample(samples[i], entry.Samples[i]);
        }
    }
}
