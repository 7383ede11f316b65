using MambaServe.Engine.Backends;
using MambaServe.Engine.Generation;

namespace MambaServe.Engine.Conversations;

/// <summary>A start state read from disk as exported bytes: imported into a snapshot, restored and disposed on the loop thread.</summary>
internal sealed class ImportedInitialState(byte[] bytes) : InitialState
{
    private byte[]? _bytes = bytes;

    public override void RestoreInto(IModelRunner runner, int slot)
    {
        var bytes = _bytes ?? throw new InvalidOperationException("The start state was already released.");
        using var snapshot = runner.ImportSnapshot(bytes);
        runner.Restore(slot, snapshot);
    }

    public override void Release() => _bytes = null;
}
