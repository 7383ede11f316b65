using MambaServe.Engine.Backends;

namespace MambaServe.Engine.Conversations;

/// <summary>
/// A live snapshot held by the memory tier and, for a moment, by requests that restore it: reference counted, so an
/// eviction or a delete never disposes it under a request that is about to restore it. The last release disposes it
/// on the engine loop thread (<see cref="IRunnerOperations"/>), as every runner-owned object must be.
/// </summary>
internal sealed class SharedSnapshot(IStateSnapshot snapshot, IRunnerOperations runner)
{
    private int _references = 1;

    public IStateSnapshot Snapshot => snapshot;

    public long SizeInBytes => snapshot.SizeInBytes;

    /// <summary>One more holder; false when it is already being disposed.</summary>
    public bool TryAcquire()
    {
        int current;
        do
        {
            current = Volatile.Read(ref _references);
            if (current == 0)
            {
                return false;
            }
        }
        while (Interlocked.CompareExchange(ref _references, current + 1, current) != current);
        return true;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            _ = runner.RunAsync(_ => snapshot.Dispose());
        }
    }
}
