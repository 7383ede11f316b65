using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MambaServe.Engine.Backends;

namespace MambaServe.Engine.Conversations;

/// <summary>
/// The Responses API's state store. Memory tier: live runner snapshots (device memory on a GPU) and documents, bounded
/// by <see cref="StateStoreOptions.MaxMemoryBytes"/>, least recently used out first, states before documents. Disk tier (when a directory is
/// set): every stored response is also written there at once, in the background, as exported bytes
/// (<see cref="StateFileStore"/>), so a restart or another replica on the same volume can continue it; an entry pushed
/// out of memory is then read back from disk. Without a directory, or when the disk refuses a write, an entry pushed
/// out of memory is gone. A full store evicts; it never fails a request. Thread-safe; snapshots are only touched on
/// the engine loop thread (exported in <see cref="PendingResponse"/>'s sink, restored and disposed through
/// <see cref="IRunnerOperations"/>).
/// </summary>
public sealed partial class ConversationStore : IAsyncDisposable
{
    private readonly StateStoreOptions _options;
    private readonly IRunnerOperations _runner;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly StateFileStore? _disk;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LinkedListNode<MemoryEntry>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<MemoryEntry> _lru = new(); // most recently used first
    private readonly DiskWriter? _writer;
    private readonly ITimer _sweeper;
    private long _memoryBytes;

    public ConversationStore(StateStoreOptions options, byte[] fingerprint, IRunnerOperations runner, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(fingerprint);
        options.Validate();
        _options = options;
        _runner = runner;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        if (options.HasDirectory)
        {
            _disk = new StateFileStore(options.Directory!, options.MaxDiskBytes, options.MaxAge, fingerprint, _time, _logger);
            _writer = new DiskWriter(_disk, OnWritten, (id, ex) => LogWriteFailed(id, ex));
            _disk.Sweep();
        }

        var period = TimeSpan.FromTicks(Math.Clamp(options.MaxAge.Ticks / 4, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));
        _sweeper = _time.CreateTimer(_ => Sweep(), null, period, period);
    }

    /// <summary>Bytes held by the memory tier (live snapshots and documents).</summary>
    public long MemoryBytes => Interlocked.Read(ref _memoryBytes);

    /// <summary>Stored responses in the memory tier.</summary>
    public int MemoryCount
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Bytes of the disk tier's files this process knows of; 0 without a directory.</summary>
    public long DiskBytes => _disk?.Bytes ?? 0;

    internal bool WritesToDisk => _disk is not null;

    /// <summary>Starts storing a new response of <paramref name="owner"/>: hand the result to the engine as its state sink.</summary>
    /// <param name="memoryOnly">
    /// Keep it in memory only, never on disk, whatever the tier: a response the client asked not to store, held only so
    /// that its own connection can continue it (the Responses WebSocket's connection-local cache).
    /// </param>
    public PendingResponse Begin(string owner, bool memoryOnly = false) => new(this, ResponseIds.New(), owner, _runner) { MemoryOnly = memoryOnly };

    /// <summary>The stored response (document only), or null when it is unknown, expired, or not <paramref name="owner"/>'s.</summary>
    /// <exception cref="StoredResponseUnreadableException">Its file is corrupt (and was removed).</exception>
    public StoredResponse? Get(string id, string owner) => Find(id, owner, withState: false)?.Response;

    /// <summary>
    /// The stored response with the state to continue from (null <see cref="Continuation.State"/> when none was saved),
    /// or null when it is unknown, expired, or not <paramref name="owner"/>'s.
    /// </summary>
    /// <exception cref="StoredResponseUnreadableException">Its file is corrupt (and was removed).</exception>
    /// <exception cref="StateModelMismatchException">Its state was saved by another model.</exception>
    public Continuation? Continue(string id, string owner) => Find(id, owner, withState: true);

    /// <summary>
    /// Stores (or replaces) a record that has no state, such as a conversation's document: in memory and, with a disk
    /// tier, on disk, under the same budgets as responses. Its <see cref="StoredResponse.CreatedAt"/> starts its age, so
    /// a record rewritten on each use expires <see cref="StateStoreOptions.MaxAge"/> after its last use.
    /// </summary>
    public void Save(StoredResponse record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!ResponseIds.IsWellFormed(record.Id))
        {
            throw new ArgumentException($"'{record.Id}' is not an id this store makes.", nameof(record));
        }

        Commit(record, null, null);
    }

    /// <summary>Deletes the response; false when it is unknown, expired, or not <paramref name="owner"/>'s.</summary>
    public bool Delete(string id, string owner)
    {
        Continuation? found;
        try
        {
            found = Find(id, owner, withState: false);
        }
        catch (StoredResponseUnreadableException)
        {
            return true; // removed while looking
        }

        if (found is null)
        {
            return false;
        }

        lock (_lock)
        {
            RemoveLocked(id);
        }

        _writer?.Cancel(id);
        _disk?.Delete(id);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync();
        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }

        lock (_lock)
        {
            foreach (var entry in _lru)
            {
                entry.State?.Release();
            }

            _lru.Clear();
            _entries.Clear();
            _memoryBytes = 0;
        }
    }

    internal void Commit(StoredResponse response, SharedSnapshot? state, byte[]? exported, bool memoryOnly = false)
    {
        bool onDisk = !memoryOnly && _writer is not null && (state is null || exported is not null) && _writer.Enqueue(response, exported, state is not null);
        var entry = new MemoryEntry(response, state, onDisk);
        lock (_lock)
        {
            RemoveLocked(response.Id);
            _entries[response.Id] = _lru.AddFirst(entry);
            _memoryBytes += entry.Bytes;
            EvictLocked();
        }
    }

    /// <summary>Completes once every disk write queued so far is done.</summary>
    internal Task FlushWritesAsync() => _writer?.FlushAsync() ?? Task.CompletedTask;

    internal void ExportFailed(string id, Exception ex) => LogExportFailed(id, ex.Message);

    private Continuation? Find(string id, string owner, bool withState)
    {
        if (!ResponseIds.IsWellFormed(id))
        {
            return null;
        }

        if (FindInMemory(id, owner, withState, out var found))
        {
            return found;
        }

        if (_writer?.TryGetPending(id) is { } pending)
        {
            return Visible(pending.Response, owner)
                ? new Continuation(pending.Response, withState && pending.State is { } bytes ? new ImportedInitialState(bytes) : null)
                : null;
        }

        if (_disk?.Read(id, withState) is not { } read || !Visible(read.Meta, owner))
        {
            return null;
        }

        return new Continuation(read.Meta, read.State is { } state ? new ImportedInitialState(state) : null);
    }

    /// <summary>True when the memory tier answered (found, or known and not visible); <paramref name="found"/> is the answer.</summary>
    private bool FindInMemory(string id, string owner, bool withState, out Continuation? found)
    {
        found = null;
        lock (_lock)
        {
            if (!_entries.TryGetValue(id, out var node))
            {
                return false;
            }

            var entry = node.Value;
            if (Expired(entry.Response))
            {
                RemoveLocked(id);
                return !entry.OnDisk;
            }

            if (!Visible(entry.Response, owner))
            {
                return true;
            }

            if (entry.OnDisk && _disk is not null && _writer?.TryGetPending(id) is null && !_disk.Exists(id))
            {
                RemoveLocked(id); // deleted through another replica (or by the disk budget): gone here too
                return true;
            }

            _lru.Remove(node);
            _lru.AddFirst(node);
            var state = withState && entry.State is { } shared && shared.TryAcquire() ? new LiveInitialState(shared) : null;
            found = new Continuation(entry.Response, state);
            return true;
        }
    }

    private bool Visible(StoredResponse response, string owner) =>
        !Expired(response) && string.Equals(response.Owner, owner, StringComparison.Ordinal);

    private bool Expired(StoredResponse response) => response.CreatedAt + _options.MaxAge <= _time.GetUtcNow();

    /// <summary>
    /// Brings the memory tier under its budget, least recently used first: states before documents, since a state is
    /// megabytes and losing it costs a continuation only its prefill, while a document (a response's record, a
    /// conversation's items) is kilobytes and is the client's data. An entry with a disk copy leaves memory whole (the
    /// disk has both); one without gives up its state and keeps its document, which goes only when documents alone
    /// are over the budget.
    /// </summary>
    private void EvictLocked()
    {
        for (var node = _lru.Last; node is not null && _memoryBytes > _options.MaxMemoryBytes;)
        {
            var older = node.Previous;
            var entry = node.Value;
            if (entry.OnDisk)
            {
                RemoveLocked(entry.Response.Id);
            }
            else if (entry.State is not null)
            {
                LogStateEvicted(entry.Response.Id);
                _memoryBytes -= entry.DropState();
            }

            node = older;
        }

        while (_memoryBytes > _options.MaxMemoryBytes && _lru.Last is { } last)
        {
            if (!last.Value.OnDisk)
            {
                LogEvicted(last.Value.Response.Id);
            }

            RemoveLocked(last.Value.Response.Id);
        }
    }

    private void RemoveLocked(string id)
    {
        if (_entries.Remove(id, out var node))
        {
            _lru.Remove(node);
            _memoryBytes -= node.Value.Bytes;
            node.Value.State?.Release();
        }
    }

    /// <summary>A background write finished; a failed one leaves the entry in memory only.</summary>
    private void OnWritten(string id, bool written)
    {
        if (written)
        {
            return;
        }

        lock (_lock)
        {
            if (_entries.TryGetValue(id, out var node))
            {
                node.Value.OnDisk = false;
            }
        }
    }

    private void Sweep()
    {
        try
        {
            lock (_lock)
            {
                foreach (var entry in _lru.Where(e => Expired(e.Response)).ToList())
                {
                    RemoveLocked(entry.Response.Id);
                }
            }

            _disk?.Sweep();
        }
        catch (Exception ex)
        {
            LogSweepFailed(ex);
        }
    }

    private sealed class MemoryEntry(StoredResponse response, SharedSnapshot? state, bool onDisk)
    {
        public StoredResponse Response { get; } = response;

        public SharedSnapshot? State { get; private set; } = state;

        public bool OnDisk { get; set; } = onDisk;

        public long Bytes { get; private set; } = response.Document.Length + (state?.SizeInBytes ?? 0);

        /// <summary>Releases the state (a restore that holds it keeps it alive until done); returns the bytes freed.</summary>
        public long DropState()
        {
            long freed = State?.SizeInBytes ?? 0;
            State?.Release();
            State = null;
            Bytes -= freed;
            return freed;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "State store: exporting the state of response {Id} failed ({Reason}); it is kept in memory only")]
    private partial void LogExportFailed(string id, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "State store: writing {Id} to disk failed; it is kept in memory only")]
    private partial void LogWriteFailed(string id, Exception ex);

    [LoggerMessage(Level = LogLevel.Debug, Message = "State store: response {Id} evicted from memory (no disk copy)")]
    private partial void LogEvicted(string id);

    [LoggerMessage(Level = LogLevel.Debug, Message = "State store: the state of response {Id} evicted from memory (no disk copy); its document stays")]
    private partial void LogStateEvicted(string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "State store: sweeping expired responses failed")]
    private partial void LogSweepFailed(Exception ex);
}
