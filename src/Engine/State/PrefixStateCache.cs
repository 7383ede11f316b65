using System.IO.Hashing;
using System.Runtime.InteropServices;
using MambaServe.Engine.Backends;

namespace MambaServe.Engine.State;

/// <summary>
/// Recurrent states after token prefixes whose length is a multiple of <see cref="Interval"/>, so a request that
/// shares a prefix with an earlier one restores the deepest stored state and prefills only the rest. Unlike a KV
/// cache, one Mamba state summarises the whole prefix, so only prefix boundaries can be reused, hence the fixed
/// interval. Besides those, the state a finished sequence ends with, after its prompt and the tokens it generated, is
/// stored at its own length (an end entry), so the next turn of a conversation, which resends both, restores it
/// (vLLM's prefix cache keeps generated blocks for the same reason); lookups probe the end entries' lengths as well as
/// the boundaries. Keys are XxHash128 of the token bytes plus the length; a hit is confirmed by comparing the stored tokens,
/// so a hash collision can never restore a wrong state. A salt (vLLM's cache_salt) partitions the cache: a prefix
/// stored under one salt is found only by lookups with the same salt (none with none), so a tenant cannot learn from
/// a faster first token that another tenant's prompt began the same way. LRU over every partition, bounded by
/// <see cref="IStateSnapshot.SizeInBytes"/>.
/// The cache owns the snapshots given to <see cref="Add"/> and disposes each one it drops (evicted, replaced, not
/// stored, cleared), which frees the runner memory (device memory on a GPU) behind it. Not thread-safe: only the
/// engine loop thread uses it (counters are read atomically by metrics).
/// </summary>
public sealed class PrefixStateCache
{
    private readonly Dictionary<(string? Salt, UInt128 Hash, int Length), LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _lru = new(); // most recently used first
    private readonly SortedDictionary<int, int> _endLengths = []; // lengths off the interval stored, and how many entries each
    private long _hits;
    private long _lookups;
    private long _queriedTokens;
    private long _hitTokens;
    private long _sizeInBytes;

    /// <param name="interval">Prefix lengths stored are multiples of this (tokens), at least 1.</param>
    /// <param name="maxBytes">Snapshot bytes held at most; 0 disables the cache.</param>
    public PrefixStateCache(int interval, long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        Interval = interval;
        MaxBytes = maxBytes;
    }

    public int Interval { get; }

    public long MaxBytes { get; }

    /// <summary>Lookups that found a stored prefix.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Calls to <see cref="FindDeepest"/>.</summary>
    public long Lookups => Interlocked.Read(ref _lookups);

    /// <summary>The prompt tokens of every lookup (vLLM's prefix-cache queries, in tokens).</summary>
    public long QueriedTokens => Interlocked.Read(ref _queriedTokens);

    /// <summary>The tokens every hit restored (vLLM's prefix-cache hits, in tokens): against <see cref="QueriedTokens"/>, the share of prompts not prefilled.</summary>
    public long HitTokens => Interlocked.Read(ref _hitTokens);

    public long SizeInBytes => Interlocked.Read(ref _sizeInBytes);

    public int Count => _entries.Count;

    /// <summary>
    /// The deepest stored state for a prefix of <paramref name="tokens"/> no longer than <paramref name="maxLength"/>
    /// tokens stored under <paramref name="salt"/>, or null. Counts one lookup, and one hit when found; a hit becomes
    /// the most recently used entry.
    /// </summary>
    public PrefixHit? FindDeepest(ReadOnlySpan<int> tokens, int maxLength, string? salt = null)
    {
        Interlocked.Increment(ref _lookups);
        Interlocked.Add(ref _queriedTokens, tokens.Length);
        int limit = Math.Min(maxLength, tokens.Length);
        if (limit < 1 || _entries.Count == 0)
        {
            return null;
        }

        // One pass over the tokens yields the hash of every length worth probing; then probe deepest first.
        var probes = ProbeLengths(limit);
        Span<UInt128> hashes = probes.Count <= 256 ? stackalloc UInt128[probes.Count] : new UInt128[probes.Count];
        var hasher = new XxHash128();
        for (int i = 0, hashed = 0; i < probes.Count; hashed = probes[i], i++)
        {
            hasher.Append(MemoryMarshal.AsBytes(tokens[hashed..probes[i]]));
            hashes[i] = hasher.GetCurrentHashAsUInt128();
        }

        for (int i = probes.Count - 1; i >= 0; i--)
        {
            int length = probes[i];
            if (_entries.TryGetValue((salt, hashes[i], length), out var node) && tokens[..length].SequenceEqual(node.Value.Tokens))
            {
                Touch(node);
                Interlocked.Increment(ref _hits);
                Interlocked.Add(ref _hitTokens, length);
                return new PrefixHit(length, node.Value.Snapshot);
            }
        }

        return null;
    }

    /// <summary>Whether the state after the first <paramref name="length"/> tokens is stored under <paramref name="salt"/> (no LRU effect).</summary>
    public bool Contains(ReadOnlySpan<int> tokens, int length, string? salt = null)
    {
        var prefix = tokens[..length];
        return _entries.TryGetValue((salt, Hash(prefix), length), out var node) && prefix.SequenceEqual(node.Value.Tokens);
    }

    /// <summary>
    /// Stores the state after the first <paramref name="length"/> tokens (a positive multiple of
    /// <see cref="Interval"/>, or any positive length for a finished sequence's end entry) under <paramref name="salt"/>, evicting least recently used entries to stay within <see cref="MaxBytes"/>. Takes
    /// ownership of <paramref name="snapshot"/>: one larger than the whole budget, or for a prefix already stored, is
    /// disposed at once.
    /// </summary>
    public void Add(ReadOnlySpan<int> tokens, int length, IStateSnapshot snapshot, string? salt = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (length <= 0 || length > tokens.Length)
        {
            snapshot.Dispose();
            throw new ArgumentOutOfRangeException(nameof(length), length, "Must be a positive length within the tokens.");
        }

        if (snapshot.SizeInBytes > MaxBytes)
        {
            snapshot.Dispose();
            return;
        }

        var prefix = tokens[..length];
        var key = (salt, Hash(prefix), length);
        if (_entries.TryGetValue(key, out var existing))
        {
            if (prefix.SequenceEqual(existing.Value.Tokens))
            {
                Touch(existing);
                snapshot.Dispose();
                return;
            }

            // A genuine 128-bit collision: keep the newer prefix.
            Remove(existing);
        }

        var node = _lru.AddFirst(new Entry(key, prefix.ToArray(), snapshot));
        _entries.Add(key, node);
        if (length % Interval != 0)
        {
            _endLengths[length] = _endLengths.GetValueOrDefault(length) + 1;
        }

        Interlocked.Add(ref _sizeInBytes, snapshot.SizeInBytes);
        while (_sizeInBytes > MaxBytes && _lru.Last is { } oldest)
        {
            Remove(oldest);
        }
    }

    /// <summary>Drops and disposes every stored snapshot (the engine stops; the runner is about to go).</summary>
    public void Clear()
    {
        while (_lru.Last is { } oldest)
        {
            Remove(oldest);
        }
    }

    /// <summary>Every boundary up to <paramref name="limit"/> and every end entry's length up to it, ascending.</summary>
    private List<int> ProbeLengths(int limit)
    {
        var lengths = new List<int>(limit / Interval + _endLengths.Count);
        int boundary = Interval;
        foreach (int end in _endLengths.Keys)
        {
            if (end > limit)
            {
                break;
            }

            for (; boundary < end; boundary += Interval)
            {
                lengths.Add(boundary);
            }

            lengths.Add(end);
        }

        for (; boundary <= limit; boundary += Interval)
        {
            lengths.Add(boundary);
        }

        return lengths;
    }

    private static UInt128 Hash(ReadOnlySpan<int> prefix) => XxHash128.HashToUInt128(MemoryMarshal.AsBytes(prefix));

    private void Touch(LinkedListNode<Entry> node)
    {
        _lru.Remove(node);
        _lru.AddFirst(node);
    }

    private void Remove(LinkedListNode<Entry> node)
    {
        _lru.Remove(node);
        _entries.Remove(node.Value.Key);
        int length = node.Value.Key.Length;
        if (length % Interval != 0 && --_endLengths[length] == 0)
        {
            _endLengths.Remove(length);
        }

        Interlocked.Add(ref _sizeInBytes, -node.Value.Snapshot.SizeInBytes);
        node.Value.Snapshot.Dispose();
    }

    private sealed record Entry((string? Salt, UInt128 Hash, int Length) Key, int[] Tokens, IStateSnapshot Snapshot);
}
