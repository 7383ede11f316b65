using MambaServe.Engine.Generation;

namespace MambaServe.Engine.Conversations;

/// <summary>
/// A stored response found for continuation: its document and, when its state was saved, the state to start from.
/// Whoever gets it passes <see cref="State"/> to the engine or releases it.
/// </summary>
public sealed record Continuation(StoredResponse Response, InitialState? State);
