using MambaServe.Engine.Backends;

namespace MambaServe.Engine.Generation;

/// <summary>
/// A finished sequence's state: the prompt tokens and every output token whose text the output shows, except, as a
/// rule, the last one sampled, which the state has not seen yet (no extra decode step is spent at the end). That token
/// is <see cref="PendingToken"/> when the text shows it (the sequence ended by length): feed it first to continue. It
/// is null when the sequence ended with a stop token, which the text does not show and a continuation must not see
/// (a batch begun ahead holds it back), and when a batch begun ahead fed the last token already (a wrap-up that arrived
/// while that batch was being begun).
/// </summary>
public sealed record SavedState(IStateSnapshot Snapshot, int? PendingToken);
