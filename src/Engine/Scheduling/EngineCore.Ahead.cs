using MambaServe.Engine.Backends;

namespace MambaServe.Engine.Scheduling;

/// <summary>
/// Running ahead (vLLM's asynchronous scheduling): while the step's batch is in flight, the next step's batch is begun
/// on the same rows, its tokens taken from this one's on the runner, so the device never waits for the host between
/// two decode steps. Every row is assumed to continue: a row this step ends (EOS, a stop token or string, an abort, a wrap-up)
/// has its next result dropped, and its slot, freed now, is leased again only after that batch ends (admission
/// schedules only when nothing is in flight). docs/gpu-engine.md section 2, "Steps the host does not wait for".
/// </summary>
internal sealed partial class EngineCore
{
    /// <summary>
    /// Begins the next step's batch from this step's decode rows, when the runner runs ahead (and
    /// <see cref="SchedulerOptions.RunAhead"/> lets it) and the next step would be
    /// those rows alone: nothing to prefill or admit, and no row whose next token depends on this one's on the host
    /// (a grammar's bans). Rows that end by max_tokens now are left out, and a row whose token turns out to be a stop
    /// token is held back by the runner (<see cref="SequenceSampling.StopTokens"/>), so a sample's state at its end is
    /// what stepping in turn leaves, saved (the Responses API) or kept in the prefix cache. The
    /// decision waits for the batch's tail (<see cref="IModelRunner.WaitForTail"/>) and takes the requests that arrived
    /// meanwhile first.
    /// </summary>
    private bool TryBeginAhead()
    {
        if (!_options.RunAhead || !_runner.RunsAhead || !_runner.CanContinue(_batch) || !_planned.TrueForAll(CanRunAhead))
        {
            return false;
        }

        // Decide as late as keeps the device busy: what arrives until the batch's mark is admitted into the next step.
        try
        {
            _runner.WaitForTail();
        }
        catch (Exception)
        {
            // A fault shows when this batch ends; nothing runs ahead of it.
            return false;
        }

        TakeArrivals?.Invoke();
        if (_scheduler.HasPrefillWork())
        {
            return false;
        }

        _nextBatch.Clear();
        _nextPlanned.Clear();
        for (int i = 0; i < _planned.Count; i++)
        {
            var sample = _planned[i].Decode!;
            var group = sample.Group;
            var request = group.Request;
            if (group.Phase != GroupPhase.Decoding || sample.Finished || group.AbortRequested || request.WrapUp.IsCancellationRequested
                || sample.Generated + 1 >= request.Sampling.MaxTokens)
            {
                continue;
            }

            // This step's token is drawn but not applied yet: min_tokens counts it.
            _nextBatch.AddNextToken(sample.Slot, _batch.Entries[i].Samples[0])
                .AddSample(sample.Slot, sample.Sampling!, BansStopTokens(sample, inFlight: 1));
            _nextPlanned.Add(new PlannedEntry(sample, default));
        }

        if (_nextBatch.Entries.Count == 0)
        {
            return false;
        }

        try
        {
            _runner.Begin(_nextBatch);
        }
        catch (Exception)
        {
            // Nothing ran ahead: the next step schedules these rows as usual, and a fault shows when this batch ends.
            _nextBatch.Clear();
            _nextPlanned.Clear();
            return false;
        }

        // Each row's state will hold the token this step draws, which is not applied yet (unless it is a stop token:
        // Accept takes it back).
        foreach (var planned in _nextPlanned)
        {
            planned.Decode!.FedTokens = planned.Decode.Generated + 1;
        }

        return true;
    }

    /// <summary>A decode row whose next token depends on nothing the host learns from this one's: no grammar's bans.</summary>
    private static bool CanRunAhead(PlannedEntry planned) =>
        planned.Decode is { Group.Request.Constraint: null };

    /// <summary>Ends a batch begun ahead whose results nobody will read (shutdown, or the loop failed).</summary>
    private void EndAhead()
    {
        if (!_aheadBegun)
        {
            return;
        }

        _aheadBegun = false;
        try
        {
            _runner.End(_batch);
        }
        catch (Exception)
        {
            // Its requests end here anyway.
        }
    }
}
