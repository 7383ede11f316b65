using MambaServe.Engine.Generation;

namespace MambaServe.Engine.Scheduling;

internal sealed partial class EngineCore
{
    /// <summary>Rows of all-position logits asked of the runner at once when scoring a prompt (bounds the buffer).</summary>
    private const int PromptLogprobRowsPerCall = 32;

    /// <summary>
    /// One batched decode for every decoding sample. Runner contract relied on: a call that throws has changed no
    /// slot, so on failure each sample is retried alone and only the requests whose own decode throws fail.
    /// </summary>
    private void RunDecodes(List<SampleState> decodes)
    {
        int count = decodes.Count;
        if (count == 0)
        {
            return;
        }

        for (int i = 0; i < count; i++)
        {
            _decodeSlots[i] = decodes[i].Slot;
            _decodeTokens[i] = decodes[i].LastToken;
        }

        try
        {
            _runner.Decode(_decodeSlots.AsSpan(0, count), _decodeTokens.AsSpan(0, count), _decodeLogits.AsSpan(0, count * _width));
        }
        catch (Exception)
        {
            DecodeOneByOne(decodes);
            return;
        }

        for (int i = 0; i < count; i++)
        {
            Advance(decodes[i], _decodeLogits.AsSpan(i * _width, _width));
        }
    }

    private void DecodeOneByOne(List<SampleState> decodes)
    {
        var row = _decodeLogits.AsSpan(0, _width);
        foreach (var sample in decodes)
        {
            if (sample.Group.Phase == GroupPhase.Done)
            {
                continue;
            }

            try
            {
                _runner.Decode([sample.Slot], [sample.LastToken], row);
            }
            catch (Exception ex)
            {
                Fail(sample.Group, ex);
                continue;
            }

            Advance(sample, row);
        }
    }

    private void RunPrefill(PrefillChunk chunk)
    {
        var group = chunk.Group;
        if (group.Phase != GroupPhase.Prefilling)
        {
            return;
        }

        try
        {
            PrefillTokens(group, chunk.Start, chunk.Start + chunk.Length);
            group.PrefilledLength = chunk.Start + chunk.Length;
            if (chunk.CompletesPrompt)
            {
                StartDecoding(group);
            }
        }
        catch (Exception ex)
        {
            Fail(group, ex);
        }
    }

    /// <summary>
    /// Runs prompt tokens [start, end) into the group's first slot, split at prefix-cache boundaries (snapshotting at
    /// each) and, when prompt logprobs are wanted, into pieces small enough for the all-logits buffer. Leaves the last
    /// position's logits in <see cref="_lastRow"/>.
    /// </summary>
    private void PrefillTokens(SequenceGroup group, int start, int end)
    {
        int slot = group.Samples[0].Slot;
        if (group.PendingRestore is { } snapshot)
        {
            _runner.Restore(slot, snapshot);
            group.PendingRestore = null;
        }

        int interval = _options.PrefixCacheInterval;
        for (int pos = start; pos < end;)
        {
            int pieceEnd = _prefixCache is null ? end : Math.Min(end, (pos / interval + 1) * interval);
            if (group.WantsPromptLogprobs)
            {
                pieceEnd = Math.Min(pieceEnd, pos + PromptLogprobRowsPerCall);
                PrefillScoring(group, slot, pos, pieceEnd);
            }
            else
            {
                _runner.Prefill(slot, group.Prompt.AsSpan(pos, pieceEnd - pos), _lastRow, allLogits: false);
            }

            pos = pieceEnd;
            if (_prefixCache is not null && pos % interval == 0 && !_prefixCache.Contains(group.Prompt, pos))
            {
                _prefixCache.Add(group.Prompt, pos, _runner.Snapshot(slot));
            }
        }
    }

    private void PrefillScoring(SequenceGroup group, int slot, int start, int end)
    {
        int rows = end - start;
        _promptLogits ??= new float[PromptLogprobRowsPerCall * _width];
        var logits = _promptLogits.AsSpan(0, rows * _width);
        _runner.Prefill(slot, group.Prompt.AsSpan(start, rows), logits, allLogits: true);

        int topN = group.Request.Sampling.PromptLogprobs ?? 0;
        var scored = group.PromptLogprobs ??= new List<TokenLogprob>(group.Prompt.Length);
        for (int pos = start; pos < end; pos++)
        {
            // Token pos is predicted by the logits at pos - 1; the first prompt token has no context.
            if (pos == 0)
            {
                scored.Add(new TokenLogprob(group.Prompt[0], null, []));
                continue;
            }

            var row = pos == start ? group.PreviousLogitsRow : logits.Slice((pos - start - 1) * _width, _width);
            scored.Add(_choosers.ScorePromptToken(row, group.Prompt[pos], topN));
        }

        var last = logits.Slice((rows - 1) * _width, _width);
        last.CopyTo(_lastRow);
        group.PreviousLogitsRow ??= new float[_width];
        last.CopyTo(group.PreviousLogitsRow);
    }

    /// <summary>Forks the prefilled state into every sample's slot and chooses each sample's first token.</summary>
    private void StartDecoding(SequenceGroup group)
    {
        var sampling = group.Request.Sampling;
        var samples = group.Samples;
        for (int i = 1; i < samples.Length; i++)
        {
            _runner.CopySlot(samples[0].Slot, samples[i].Slot);
        }

        foreach (var sample in samples)
        {
            sample.Chooser = _choosers.Create(sampling, group.Request.PromptTokens, group.BaseSeed + sample.Index);
            sample.Text = _texts.Create(sampling);
        }

        group.PreviousLogitsRow = null;
        group.Phase = GroupPhase.Decoding;
        group.UnfinishedSamples = samples.Length;
        TokensProcessed?.Invoke(group.Prompt.Length, 0);
        foreach (var sample in samples)
        {
            Advance(sample, _lastRow);
        }
    }
}
