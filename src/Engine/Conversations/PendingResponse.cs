using MambaServe.Engine.Backends;
using MambaServe.Engine.Generation;

namespace MambaServe.Engine.Conversations;

/// <summary>
/// A response being generated that is to be stored: the engine hands it the final state (<see cref="IStateSink"/>,
/// on its loop thread, exporting it there when a disk tier will want the bytes), then the server commits the document
/// once the response is complete, or abandons it. Exactly one of <see cref="Commit"/> and <see cref="Abandon"/> counts.
/// </summary>
public sealed class PendingResponse : IStateSink
{
    private readonly ConversationStore _store;
    private SharedSnapshot? _state;
    private byte[]? _exported;
    private int _done;

    internal PendingResponse(ConversationStore store, string id, string owner, IRunnerOperations runner)
    {
        _store = store;
        Id = id;
        Owner = owner;
        Runner = runner;
    }

    public string Id { get; }

    public string Owner { get; }

    /// <summary>Whether the engine saved a final state (read after the request's last update).</summary>
    public bool HasState => Volatile.Read(ref _state) is not null;

    /// <summary>The saved state's pending token (see <see cref="SavedState"/>).</summary>
    public int? PendingToken { get; private set; }

    internal IRunnerOperations Runner { get; }

    /// <summary>Held in memory only, never written to disk (see <see cref="ConversationStore.Begin"/>).</summary>
    internal bool MemoryOnly { get; init; }

    void IStateSink.Save(SavedState state, IModelRunner runner)
    {
        byte[]? exported = null;
        try
        {
            exported = _store.WritesToDisk && !MemoryOnly ? runner.ExportSnapshot(state.Snapshot) : null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _store.ExportFailed(Id, ex);
        }

        PendingToken = state.PendingToken;
        _exported = exported;
        Volatile.Write(ref _state, new SharedSnapshot(state.Snapshot, Runner));
        if (Volatile.Read(ref _done) != 0)
        {
            Interlocked.Exchange(ref _state, null)?.Release(); // abandoned before the engine finished
        }
    }

    /// <summary>Stores the response with <paramref name="document"/> and, if the engine saved one, its state.</summary>
    public void Commit(byte[] document, DateTimeOffset createdAt)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (Interlocked.Exchange(ref _done, 1) != 0)
        {
            return;
        }

        _store.Commit(new StoredResponse(Id, Owner, createdAt, document), Interlocked.Exchange(ref _state, null), _exported, MemoryOnly);
        _exported = null;
    }

    /// <summary>
    /// Stores the response with <paramref name="document"/> and no state (a saved one is released): a response that
    /// ended early (cancelled, failed, interrupted) whose outcome is still to be read back, and whose continuation
    /// prefills its conversation from zero.
    /// </summary>
    public void CommitWithoutState(byte[] document, DateTimeOffset createdAt)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (Interlocked.Exchange(ref _done, 1) != 0)
        {
            return;
        }

        Interlocked.Exchange(ref _state, null)?.Release();
        _exported = null;
        _store.Commit(new StoredResponse(Id, Owner, createdAt, document), null, null, MemoryOnly);
    }

    /// <summary>Drops the save (the response failed or was not complete); releases a saved state.</summary>
    public void Abandon()
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
        {
            Interlocked.Exchange(ref _state, null)?.Release();
            _exported = null;
        }
    }
}
