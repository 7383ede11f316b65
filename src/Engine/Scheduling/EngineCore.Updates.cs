using MambaServe.Engine.Backends;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Sampling;

namespace MambaServe.Engine.Scheduling;

internal sealed partial class EngineCore
{
    /// <summary>Publishes the token the runner sampled for <paramref name="sample"/>; a failure fails its request only.</summary>
    private void ApplySample(SampleState sample, SampleTarget target)
    {
        var group = sample.Group;
        if (group.Phase == GroupPhase.Done || sample.Finished)
        {
            return;
        }

        if (target.Error is { } error)
        {
            Fail(group, error);
            return;
        }

        if (group.Request.Sampling.MaxTokens == 0)
        {
            // Scoring only (prompt logprobs): the budget is spent before any token, so the one the runner sampled
            // is neither reported nor counted.
            Publish(sample, new GenerationUpdate(
                sample.Index, [], string.Empty, null, FinishReason.Length, new GenerationUsage(group.Prompt.Length, 0), group.PromptLogprobs));
            return;
        }

        try
        {
            Accept(sample, target.Chosen!.Value);
        }
        catch (Exception ex)
        {
            Fail(group, ex);
        }
    }

    private void Accept(SampleState sample, ChosenToken chosen)
    {
        var group = sample.Group;
        var sampling = group.Request.Sampling;
        int token = chosen.TokenId;
        sample.Generated++;
        sample.LastToken = token;

        FinishReason? finish = null;
        string delta;
        if (IsStopToken(sampling.StopTokenIds, sampling.IgnoreEos, token))
        {
            // Stop tokens end the text without showing themselves (they are still reported as token ids).
            delta = sample.Text!.Flush();
            finish = FinishReason.Stop;
            SaveState(sample, pendingToken: null);
        }
        else
        {
            var text = sample.Text!.Push(token);
            delta = text.Delta;
            if (text.Stopped)
            {
                finish = FinishReason.Stop;
            }
            else if (sample.Generated >= sampling.MaxTokens)
            {
                delta += sample.Text.Flush();
                finish = FinishReason.Length;
                SaveState(sample, pendingToken: token);
            }
        }

        var logprobs = sampling.Logprobs is null ? null : new[] { new TokenLogprob(token, chosen.Logprob, chosen.Top) };
        var update = new GenerationUpdate(
            sample.Index,
            [token],
            delta,
            logprobs,
            finish,
            finish is null ? null : new GenerationUsage(group.Prompt.Length, sample.Generated),
            sample.Generated == 1 ? group.PromptLogprobs : null);
        TokensProcessed?.Invoke(0, 1);
        Publish(sample, update);
    }

    /// <summary>Sends a sample's update; a final one (with a finish reason) frees its slot and may retire the group.</summary>
    private void Publish(SampleState sample, GenerationUpdate update)
    {
        var group = sample.Group;
        group.Updates.Writer.TryWrite(update);
        if (update.Finish is not null)
        {
            sample.Finished = true;
            _scheduler.ReleaseSample(sample);
            if (--group.UnfinishedSamples == 0)
            {
                Retire(group);
                group.Updates.Writer.TryComplete();
            }
        }
    }

    /// <summary>
    /// Hands the finished sample's state to the request's sink, before its last update is published (so the reader sees
    /// the sink filled). A stop string ends the text inside tokens the state has seen, so no state is saved then.
    /// </summary>
    private void SaveState(SampleState sample, int? pendingToken)
    {
        if (sample.Group.Request.SaveState is not { } sink)
        {
            return;
        }

        IStateSnapshot? snapshot = null;
        try
        {
            snapshot = _runner.Snapshot(sample.Slot);
            sink.Save(new SavedState(snapshot, pendingToken), _runner);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Saving is best effort: the request itself succeeded. A sink that failed did not take the snapshot.
            snapshot?.Dispose();
        }
    }

    private bool IsStopToken(IReadOnlyList<int> stopTokenIds, bool ignoreEos, int token)
    {
        if (!ignoreEos && _runner.Config.EosTokenId == token)
        {
            return true;
        }

        for (int i = 0; i < stopTokenIds.Count; i++)
        {
            if (stopTokenIds[i] == token)
            {
                return true;
            }
        }

        return false;
    }

    private void Abort(SequenceGroup group, bool emitFinalUpdates)
    {
        if (group.Phase == GroupPhase.Done)
        {
            return;
        }

        if (emitFinalUpdates)
        {
            foreach (var sample in group.Samples)
            {
                if (!sample.Finished)
                {
                    group.Updates.Writer.TryWrite(new GenerationUpdate(
                        sample.Index, [], string.Empty, Finish: FinishReason.Abort,
                        Usage: new GenerationUsage(group.Prompt.Length, sample.Generated)));
                }
            }
        }

        Retire(group);
        group.Updates.Writer.TryComplete();
    }

    private void Fail(SequenceGroup group, Exception error)
    {
        if (group.Phase == GroupPhase.Done)
        {
            return;
        }

        Retire(group);
        var reported = error is GenerationTimeoutException or GenerationFailedException or EngineStoppedException
            ? error
            : new GenerationFailedException($"Request '{group.Request.RequestId}' failed: {error.Message}", error);
        group.Updates.Writer.TryComplete(reported);
    }
}
