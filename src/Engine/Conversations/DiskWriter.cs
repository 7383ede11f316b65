using System.Collections.Concurrent;
using System.Threading.Channels;

namespace MambaServe.Engine.Conversations;

/// <summary>
/// Writes stored responses to the disk tier on one background task, so that neither the engine loop nor a request
/// waits for the disk. Until its file is written an entry is readable from here. Queued bytes are capped
/// (<see cref="MaxQueuedBytes"/>): beyond it a response stays in memory only, as when the disk refuses it.
/// </summary>
internal sealed class DiskWriter : IAsyncDisposable
{
    public const long MaxQueuedBytes = 256L << 20;

    private readonly StateFileStore _disk;
    private readonly Action<string, bool> _written;
    private readonly Action<string, Exception> _failed;
    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, PendingWrite> _pending = new(StringComparer.Ordinal);
    private readonly Task _worker;
    private long _queuedBytes;

    public DiskWriter(StateFileStore disk, Action<string, bool> written, Action<string, Exception> failed)
    {
        _disk = disk;
        _written = written;
        _failed = failed;
        _worker = Task.Run(WriteAllAsync);
    }

    /// <summary>Queues a write; false when the queue is full (the caller keeps the entry in memory only).</summary>
    public bool Enqueue(StoredResponse response, byte[]? state, bool hasState)
    {
        long bytes = response.Document.Length + (state?.LongLength ?? 0);
        if (Interlocked.Add(ref _queuedBytes, bytes) > MaxQueuedBytes)
        {
            Interlocked.Add(ref _queuedBytes, -bytes);
            return false;
        }

        var write = new PendingWrite(response, hasState ? state : null, bytes);
        _pending[response.Id] = write;
        if (!_queue.Writer.TryWrite(write))
        {
            _pending.TryRemove(KeyValuePair.Create(response.Id, write));
            Interlocked.Add(ref _queuedBytes, -bytes);
            return false;
        }

        return true;
    }

    public PendingWrite? TryGetPending(string id) => _pending.TryGetValue(id, out var write) && !write.Cancelled ? write : null;

    /// <summary>The response was deleted before its write: skip it.</summary>
    public void Cancel(string id)
    {
        if (_pending.TryGetValue(id, out var write))
        {
            write.Cancelled = true;
        }
    }

    /// <summary>Completes once every write queued so far is done (tests).</summary>
    public async Task FlushAsync()
    {
        while (!_pending.IsEmpty)
        {
            await Task.Delay(5).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _worker.ConfigureAwait(false);
    }

    private async Task WriteAllAsync()
    {
        await foreach (var write in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (_pending.TryGetValue(write.Response.Id, out var latest) && !ReferenceEquals(latest, write))
            {
                // A record rewritten before this write ran (a conversation's document): only its latest version is written.
                Interlocked.Add(ref _queuedBytes, -write.Bytes);
                continue;
            }

            bool written = !write.Cancelled && TryWrite(write);
            if (write.Cancelled)
            {
                _disk.Delete(write.Response.Id); // deleted while being written
            }

            _pending.TryRemove(KeyValuePair.Create(write.Response.Id, write));
            Interlocked.Add(ref _queuedBytes, -write.Bytes);
            _written(write.Response.Id, written);
        }
    }

    /// <summary>The disk's own failures are logged by it; anything else fails this write only, not the writer (which would leave every later write queued forever).</summary>
    private bool TryWrite(PendingWrite write)
    {
        try
        {
            return _disk.TryWrite(write.Response, write.State ?? [], write.State is not null);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _failed(write.Response.Id, ex);
            return false;
        }
    }

    internal sealed class PendingWrite(StoredResponse response, byte[]? state, long bytes)
    {
        public StoredResponse Response { get; } = response;

        public byte[]? State { get; } = state;

        public long Bytes { get; } = bytes;

        private volatile bool _cancelled;

        public bool Cancelled
        {
            get => _cancelled;
            set => _cancelled = value;
        }
    }
}
