using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Tokenization;

namespace MambaServe.Engine.Structured;

/// <summary>
/// A tokenizer's vocabulary as grammars see it: each token's bytes (special tokens other than EOS are never allowed
/// inside a structured output) and the EOS id, plus a cache of token masks by grammar state, shared by every request
/// on the model. A mask is computed by feeding each token's bytes to a copy of the state: ~V x a few bytes, a few
/// milliseconds for a 50k vocabulary, so the engine computes each state's once and reuses it. One per tokenizer
/// (<see cref="For"/>); thread-safe.
/// </summary>
public sealed class StructuredVocabulary
{
    /// <summary>
    /// Banned ids and bitmask words kept over all cached masks at most (4 bytes each: 64 MiB). A mask that would pass
    /// it empties the cache first: the states in use fill it again within a step or two, and formats no longer asked
    /// for (each new schema or pattern brings its own states) do not hold memory or crowd out the others for good.
    /// </summary>
    public const long MaxCachedIds = 16L << 20;

    private const int ChunkSize = 8192;

    private static readonly ConditionalWeakTable<MambaTokenizer, StructuredVocabulary> s_byTokenizer = [];

    private readonly byte[]?[] _tokens;
    private readonly long _maxCachedIds = MaxCachedIds;
    private readonly ConcurrentDictionary<object, TokenMask> _masks = new();
    private long _cachedIds; // under the _masks lock
    private long _clears;

    private StructuredVocabulary(MambaTokenizer tokenizer)
    {
        Eos = tokenizer.EosTokenId;
        _tokens = new byte[]?[tokenizer.VocabCount];
        for (int id = 0; id < _tokens.Length; id++)
        {
            if (id != Eos && !tokenizer.IsSpecial(id))
            {
                _tokens[id] = tokenizer.TokenBytes(id).ToArray();
            }
        }
    }

    /// <summary>A vocabulary given as bytes per id (null: never allowed), for tests over a small made-up one.</summary>
    internal StructuredVocabulary(byte[]?[] tokens, int? eos, long maxCachedIds = MaxCachedIds)
    {
        _tokens = tokens;
        Eos = eos;
        _maxCachedIds = maxCachedIds;
    }

    /// <summary>The model's EOS id, which ends a structured output once its grammar is complete; null: the model has none.</summary>
    public int? Eos { get; }

    public int Count => _tokens.Length;

    /// <summary>Banned ids and bitmask words held by the cached masks now.</summary>
    public long CachedIds => Interlocked.Read(ref _cachedIds);

    /// <summary>Times the cache was emptied to stay within <see cref="MaxCachedIds"/>.</summary>
    public long Clears => Interlocked.Read(ref _clears);

    public static StructuredVocabulary For(MambaTokenizer tokenizer) => s_byTokenizer.GetValue(tokenizer, t => new StructuredVocabulary(t));

    /// <summary>Token <paramref name="id"/>'s bytes, or null for a token no grammar allows (EOS, special tokens).</summary>
    public byte[]? Bytes(int id) => (uint)id < (uint)_tokens.Length ? _tokens[id] : null;

    /// <summary>The ids a grammar in <paramref name="state"/> bans as the next token.</summary>
    public TokenMask BannedAfter<TState>(TState state) where TState : struct, IGrammarState<TState>, IEquatable<TState>
    {
        if (_masks.TryGetValue(state, out var cached))
        {
            return cached;
        }

        // Chunks of the vocabulary in parallel (a 50k vocabulary takes ~1.5 ms on one core), joined in id order.
        int chunks = (_tokens.Length + ChunkSize - 1) / ChunkSize;
        var parts = new List<int>[chunks];
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = chunks > 1 ? Environment.ProcessorCount : 1 }, c =>
        {
            var part = new List<int>();
            for (int id = c * ChunkSize, end = Math.Min(id + ChunkSize, _tokens.Length); id < end; id++)
            {
                bool allowed = id == Eos ? state.IsComplete : _tokens[id] is { } bytes && state.Feed(bytes, out _);
                if (!allowed)
                {
                    part.Add(id);
                }
            }

            parts[c] = part;
        });
        var mask = TokenMask.FromSorted([.. parts.SelectMany(p => p)], _tokens.Length);
        long size = mask.Count + mask.Bits.Length;
        lock (_masks)
        {
            if (_cachedIds + size > _maxCachedIds)
            {
                _masks.Clear();
                _cachedIds = 0;
                Interlocked.Increment(ref _clears);
            }

            if (_masks.TryAdd(state, mask))
            {
                _cachedIds += size;
            }
        }

        return mask;
    }
}
