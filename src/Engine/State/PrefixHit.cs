using MambaServe.Engine.Backends;

namespace MambaServe.Engine.State;

/// <summary>The state after the first <see cref="Length"/> tokens of a prompt, found in the prefix cache.</summary>
public sealed record PrefixHit(int Length, IStateSnapshot Snapshot);
