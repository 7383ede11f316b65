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
            // Scoring only (prompt logprobs), or a prefill whose state is saved (a Responses warm-up): the budget is
            // spent before any token, so the one the runner sampled is neither reported, counted nor in the state,
            // which holds the prompt, all of it.
            SaveState(sample, stopToken: false);
            Publish(sample, new GenerationUpdate(
                sample.Index, [], string.Empty, null, FinishReason.Length, new GenerationUsage(group.Prompt.Length, 0, group.CachedPromptTokens), group.PromptLogprobs));
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
        var sampling = sample.Group.Request.Sampling;
        int token = chosen.TokenId;
        sample.Constraint?.Advance(token);
        sample.Output.Add(token);
        TokensProcessed?.Invoke(0, 1);
        // The first min_tokens tokens end nothing but by max_tokens (vLLM's stop checker returns early for them): the
        // sampler banned stop tokens for them, and their text is not matched against stop strings (a stop string may
        // still begin in it and end in a later token's text, as vLLM's detokenizer checks only later text).
        bool mayStop = sample.Generated > sampling.MinTokens;
        bool stopToken = mayStop && IsStopToken(sample, token);
        if (stopToken && sample.FedTokens == sample.Generated)
        {
            // Begun ahead: the batch in flight was given the stop token, and its runner held it back
            // (StepEntry.Continues), so the state holds what it would stepping in turn.
            sample.FedTokens--;
        }

        if (sampling.Stop.Count == 0)
        {
            AcceptWithoutStopStrings(sample, chosen, stopToken);
            return;
        }

        FinishReason? finish = null;
        string delta;
        if (stopToken)
        {
            // Stop tokens end the text without showing themselves (they are still reported as token ids).
            delta = sample.Text!.Flush();
            finish = FinishReason.Stop;
            SaveState(sample, stopToken: true);
            KeepFinishedState(sample);
        }
        else
        {
            var text = sample.Text!.Push(token, mayStop);
            delta = text.Delta;
            if (text.Stopped)
            {
                finish = FinishReason.Stop;
            }
            else if (BudgetSpent(sample))
            {
                delta += sample.Text.Flush();
                finish = FinishReason.Length;
                SaveState(sample, stopToken: false);
                KeepFinishedState(sample);
            }
        }

        Publish(sample, TokenUpdateOf(sample, chosen, stopToken, finish).ToUpdate(sample.Index, delta));
    }

    /// <summary>
    /// A token of a sample without stop strings: its text cannot end it, so the finish follows from the token alone
    /// (stop token, EOS, max_tokens) and is settled here, slot and saved state included, while the text and the update
    /// are left to the outbox, which in the engine loop makes them on its own thread during the next step.
    /// </summary>
    private void AcceptWithoutStopStrings(SampleState sample, ChosenToken chosen, bool stopToken)
    {
        FinishReason? finish = stopToken ? FinishReason.Stop : BudgetSpent(sample) ? FinishReason.Length : null;
        if (finish is not null)
        {
            SaveState(sample, stopToken);
            KeepFinishedState(sample);
        }

        _outbox.WriteToken(sample, TokenUpdateOf(sample, chosen, stopToken, finish));
        if (finish is not null)
        {
            Finish(sample);
        }
    }

    /// <summary>
    /// Whether the sample ends by length at the token just accepted: max_tokens reached, or the caller asked the request
    /// to wrap up (<see cref="GenerationRequest.WrapUp"/>), which ends it the same way.
    /// </summary>
    private static bool BudgetSpent(SampleState sample) =>
        sample.Generated >= sample.Group.Request.Sampling.MaxTokens || sample.Group.Request.WrapUp.IsCancellationRequested;

    /// <summary>Everything of a token's update but its text: usage on the last, the prompt's logprobs on the first.</summary>
    private static TokenUpdate TokenUpdateOf(SampleState sample, ChosenToken chosen, bool stopToken, FinishReason? finish)
    {
        var group = sample.Group;
        return new TokenUpdate(
            chosen,
            stopToken,
            finish,
            finish is null ? null : new GenerationUsage(group.Prompt.Length, sample.Generated, group.CachedPromptTokens),
            group.Request.Sampling.Logprobs is not null,
            sample.Generated == 1 ? group.PromptLogprobs : null);
    }

    /// <summary>Sends a sample's update; a final one (with a finish reason) frees its slot and may retire the group.</summary>
    private void Publish(SampleState sample, GenerationUpdate update)
    {
        _outbox.Write(sample.Group, update);
        if (update.Finish is not null)
        {
            Finish(sample);
        }
    }

    /// <summary>The sample's last update is posted: free its slot, and retire the group after its last sample.</summary>
    private void Finish(SampleState sample)
    {
        var group = sample.Group;
        sample.Finished = true;
        _scheduler.ReleaseSample(sample);
        if (--group.UnfinishedSamples == 0)
        {
            Retire(group);
            _outbox.Complete(group);
        }
    }

    /// <summary>
    /// Hands the finished sample's state to the request's sink, before its last update is published (so the reader sees
    /// the sink filled). A stop string ends the text inside tokens the state has seen, so no state is saved then. The
    /// state never holds a stop token that ended the sample; the last token of a sample ended by length is pending
    /// (the next turn feeds it first) unless a batch begun ahead already fed it (<see cref="SampleState.FedTokens"/>).
    /// </summary>
    private void SaveState(SampleState sample, bool stopToken)
    {
        if (sample.Group.Request.SaveState is not { } sink)
        {
            return;
        }

        int? pendingToken = !stopToken && sample.FedTokens < sample.Generated ? sample.Output[^1] : null;

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

    /// <summary>One of the tokens that end the sample: the same list its batches give the runner to hold back.</summary>
    private static bool IsStopToken(SampleState sample, int token)
    {
        var stops = sample.Sampling!.StopTokens;
        for (int i = 0; i < stops.Count; i++)
        {
            if (stops[i] == token)
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
                    _outbox.Write(group, new GenerationUpdate(
                        sample.Index, [], string.Empty, Finish: FinishReason.Abort,
                        Usage: new GenerationUsage(group.Prompt.Length, sample.Generated, group.CachedPromptTokens)));
                }
            }
        }

        Retire(group);
        _outbox.Complete(group);
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
        _outbox.Complete(group, reported);
    }
}
