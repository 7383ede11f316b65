namespace MambaServe.Engine.Backends;

/// <summary>
/// One slot's recurrent state, copied out and owned by the runner that took it (host arrays on the CPU, device memory
/// on a GPU, so the prefix cache and forks never round-trip through the host). Opaque: only its runner restores or
/// exports it. Whoever holds it disposes it (the prefix cache does when it evicts); immutable until then.
/// </summary>
public interface IStateSnapshot : IDisposable
{
    /// <summary>Memory held, for byte-bounded caches.</summary>
    long SizeInBytes { get; }
}
