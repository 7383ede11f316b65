using MambaServe.Engine.Backends;
using MambaServe.Engine.Generation;

namespace MambaServe.Engine.Conversations;

/// <summary>A start state restored from a live snapshot of the memory tier (held until the restore or the request's end).</summary>
internal sealed class LiveInitialState(SharedSnapshot shared) : InitialState
{
    private int _released;

    public override void RestoreInto(IModelRunner runner, int slot) => runner.Restore(slot, shared.Snapshot);

    public override void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            shared.Release();
        }
    }
}
