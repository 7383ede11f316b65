using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MambaServe.Engine.Conversations;

/// <summary>
/// The disk tier: one file per stored response (<see cref="StoredResponseFile"/>), named by its id, in a directory that
/// several replicas may share. Writes are atomic (a temporary file in the same directory, flushed, then renamed over the
/// final name), so a reader sees a whole file or none. A write that fails (disk full, read-only, permissions) logs a
/// warning and reports false: the caller keeps the entry in memory. The files are the truth; the in-process index only
/// serves the byte budget and least-recently-used eviction, and is rebuilt from the directory by <see cref="Sweep"/>.
/// Thread-safe.
/// </summary>
internal sealed partial class StateFileStore
{
    private const string Extension = ".msvresp";
    private const string TempMarker = ".tmp-";
    private static readonly TimeSpan s_staleTemp = TimeSpan.FromHours(1);

    private readonly string _directory;
    private readonly long _maxBytes;
    private readonly TimeSpan _maxAge;
    private readonly byte[] _fingerprint;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, FileEntry> _index = new(StringComparer.Ordinal);
    private readonly Lock _budgetLock = new();
    private long _bytes;

    public StateFileStore(string directory, long maxBytes, TimeSpan maxAge, byte[] fingerprint, TimeProvider time, ILogger logger)
    {
        _directory = Path.GetFullPath(directory);
        _maxBytes = maxBytes;
        _maxAge = maxAge;
        _fingerprint = fingerprint;
        _time = time;
        _logger = logger;
    }

    public string Directory => _directory;

    /// <summary>Bytes of the files this process knows of (its own writes and the last scan).</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Writes <paramref name="meta"/> and <paramref name="state"/> atomically; false (and a warning) when the disk refused.</summary>
    public bool TryWrite(StoredResponse meta, ReadOnlySpan<byte> state, bool hasState)
    {
        long size = StoredResponseFile.HeaderBytes + meta.Document.Length + state.Length;
        if (meta.Document.Length > StoredResponseFile.MaxDocumentBytes)
        {
            // Reading refuses a larger document as a torn file (and deletes it): never write one.
            LogDocumentTooLarge(meta.Id, meta.Document.Length, StoredResponseFile.MaxDocumentBytes);
            return false;
        }

        if (size > _maxBytes)
        {
            LogTooLarge(meta.Id, size, _maxBytes);
            return false;
        }

        var path = PathOf(meta.Id);
        var temp = path + TempMarker + Guid.NewGuid().ToString("N");
        try
        {
            System.IO.Directory.CreateDirectory(_directory);
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                StoredResponseFile.Write(stream, meta, _fingerprint, state, hasState);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            LogWriteFailed(meta.Id, _directory, ex.Message);
            return false;
        }

        Track(meta.Id, size);
        EnforceBudget(meta.Id);
        return true;
    }

    /// <summary>
    /// The stored response <paramref name="id"/> (and its state bytes when <paramref name="withState"/>), or null when
    /// there is no such file or it expired (then it is deleted).
    /// </summary>
    /// <exception cref="StoredResponseUnreadableException">The file is torn or corrupt; it was deleted.</exception>
    /// <exception cref="StateModelMismatchException">The file was written for another model.</exception>
    public (StoredResponse Meta, byte[]? State)? Read(string id, bool withState)
    {
        var path = PathOf(id);
        StoredResponseFile.Header header;
        byte[]? state = null;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16);
            header = StoredResponseFile.ReadHeader(stream, id);
            if (withState && header.HasState && header.Fingerprint.AsSpan().SequenceEqual(_fingerprint))
            {
                state = StoredResponseFile.ReadState(stream, header, id);
            }
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            Forget(id);
            return null;
        }
        catch (StoredResponseUnreadableException ex)
        {
            LogUnreadable(id, ex.Message);
            Delete(id);
            throw;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Unreadable for a reason that is not the file's content (permissions, I/O error): report, keep the file.
            throw new StoredResponseUnreadableException(id, ex.Message);
        }

        if (header.Meta.CreatedAt + _maxAge <= _time.GetUtcNow())
        {
            Delete(id);
            return null;
        }

        if (withState && header.HasState && !header.Fingerprint.AsSpan().SequenceEqual(_fingerprint))
        {
            throw new StateModelMismatchException(id);
        }

        Touch(id);
        return (header.Meta, header.HasState ? state : null);
    }

    /// <summary>Whether the file of <paramref name="id"/> is there (another replica may have deleted it).</summary>
    public bool Exists(string id) => File.Exists(PathOf(id));

    public bool Delete(string id)
    {
        Forget(id);
        return TryDelete(PathOf(id));
    }

    /// <summary>Rescans the directory (files of other replicas, removed ones), drops expired files and stale temporaries, enforces the budget.</summary>
    public void Sweep()
    {
        FileInfo[] files;
        try
        {
            var dir = new DirectoryInfo(_directory);
            if (!dir.Exists)
            {
                return;
            }

            files = [.. dir.GetFiles(ResponseIds.Prefix + "*"), .. dir.GetFiles(ResponseIds.ConversationPrefix + "*")];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogScanFailed(_directory, ex.Message);
            return;
        }

        var now = _time.GetUtcNow();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            SweepFile(file, now, seen);
        }

        foreach (var id in _index.Keys)
        {
            if (!seen.Contains(id))
            {
                Forget(id);
            }
        }

        EnforceBudget(keep: null);
    }

    private void SweepFile(FileInfo file, DateTimeOffset now, HashSet<string> seen)
    {
        var name = file.Name;
        var written = new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero);
        if (name.Contains(TempMarker, StringComparison.Ordinal))
        {
            if (written + s_staleTemp <= now)
            {
                TryDelete(file.FullName); // a writer that crashed before its rename
            }

            return;
        }

        var id = name.EndsWith(Extension, StringComparison.Ordinal) ? name[..^Extension.Length] : null;
        if (!ResponseIds.IsWellFormed(id))
        {
            return;
        }

        if (written + _maxAge <= now)
        {
            Delete(id!);
            return;
        }

        seen.Add(id!);
        var entry = _index.GetOrAdd(id!, _ => new FileEntry(0, written));
        if (entry.Bytes != file.Length)
        {
            Interlocked.Add(ref _bytes, file.Length - entry.Bytes);
            entry.Bytes = file.Length;
        }
    }

    private string PathOf(string id) => Path.Combine(_directory, id + Extension);

    private void Track(string id, long size)
    {
        var entry = _index.GetOrAdd(id, _ => new FileEntry(0, _time.GetUtcNow()));
        Interlocked.Add(ref _bytes, size - entry.Bytes);
        entry.Bytes = size;
        entry.LastUsed = _time.GetUtcNow();
    }

    private void Touch(string id)
    {
        if (_index.TryGetValue(id, out var entry))
        {
            entry.LastUsed = _time.GetUtcNow();
        }
    }

    private void Forget(string id)
    {
        if (_index.TryRemove(id, out var entry))
        {
            Interlocked.Add(ref _bytes, -entry.Bytes);
        }
    }

    /// <summary>Deletes least recently used files until the known bytes fit the budget; never <paramref name="keep"/>.</summary>
    private void EnforceBudget(string? keep)
    {
        if (Bytes <= _maxBytes)
        {
            return;
        }

        lock (_budgetLock)
        {
            var oldestFirst = _index.Where(e => e.Key != keep).OrderBy(e => e.Value.LastUsed).Select(e => e.Key).ToList();
            foreach (var id in oldestFirst)
            {
                if (Bytes <= _maxBytes)
                {
                    break;
                }

                Delete(id);
                LogEvicted(id);
            }
        }
    }

    private static bool TryDelete(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                return false;
            }

            File.Delete(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private sealed class FileEntry(long bytes, DateTimeOffset lastUsed)
    {
        public long Bytes { get; set; } = bytes;

        public DateTimeOffset LastUsed { get; set; } = lastUsed;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "State store: writing response {Id} to {Directory} failed ({Reason}); it is kept in memory only")]
    private partial void LogWriteFailed(string id, string directory, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "State store: response {Id} ({Bytes} bytes) exceeds the disk budget of {Budget} bytes; kept in memory only")]
    private partial void LogTooLarge(string id, long bytes, long budget);

    [LoggerMessage(Level = LogLevel.Warning, Message = "State store: response {Id} not written to disk: its document of {Bytes} bytes is over the file format's {Limit}; it is kept in memory only")]
    private partial void LogDocumentTooLarge(string id, long bytes, long limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "State store: response {Id}: {Message}")]
    private partial void LogUnreadable(string id, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "State store: scanning {Directory} failed ({Reason})")]
    private partial void LogScanFailed(string directory, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "State store: response {Id} removed from disk (disk budget)")]
    private partial void LogEvicted(string id);
}
