namespace MambaServe.Engine.Scheduling;

/// <summary>
/// End entries of the prefix cache: the state a sequence finishes with, keyed by its prompt and the tokens its state
/// holds, so that the conversation's next turn, which resends the prompt and the answer, restores it and prefills only
/// what is new. A finished sample's slot is free but untouched until the scheduler leases it again, which it does only
/// when no batch is in flight; so the snapshot is taken then, just before scheduling, and never waits for a batch
/// begun ahead (a row that ends by wrap-up was begun ahead with the others, and its slot then holds its last token;
/// one that drew a stop token was held back, <see cref="Backends.SequenceSampling.StopTokens"/>).
/// </summary>
internal sealed partial class EngineCore
{
    private readonly List<(int Slot, int[] Tokens, string? Salt)> _finishedStates = [];

    /// <summary>
    /// Notes the state of a sample that has just finished, by a stop token or by length, for the prefix cache. Requests
    /// that save their state (the Responses API keeps it itself) or start from one (their prompt does not describe
    /// it) are left out.
    /// </summary>
    private void KeepFinishedState(SampleState sample)
    {
        var group = sample.Group;
        var request = group.Request;
        if (_prefixCache is null || !_options.PrefixCacheFinishedStates || request.Start is not null || request.SaveState is not null)
        {
            return;
        }

        var tokens = new int[group.Prompt.Length + sample.FedTokens];
        group.Prompt.CopyTo(tokens, 0);
        sample.Output.CopyTo(0, tokens, group.Prompt.Length, sample.FedTokens);
        _finishedStates.Add((sample.Slot, tokens, request.CacheSalt));
    }

    /// <summary>
    /// Stores the finished states noted since the last call: only with no batch in flight, and before the scheduler
    /// leases a slot. A snapshot that fails is left out; the requests have ended already.
    /// </summary>
    private void StoreFinishedStates()
    {
        foreach (var (slot, tokens, salt) in _finishedStates)
        {
            AddToPrefixCache(tokens, tokens.Length, slot, salt);
        }

        _finishedStates.Clear();
    }

    /// <summary>A batch failed: the slots it ran on may hold anything, so none of the noted states is stored.</summary>
    private void ForgetFinishedStates() => _finishedStates.Clear();
}
