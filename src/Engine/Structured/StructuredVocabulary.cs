using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Tokenization;

namespace MambaServe.Engine.Structured;

/// <summary>
/// A tokenizer's vocabulary as grammars see it: each token's bytes (special tokens other than EOS are never allowed
/// inside a structured output) and the EOS id, plus a cache of token masks by grammar state, shared by every request
/// on the model. A mask is computed by walking the tokens' prefix tree (<see cref="TokenTrie"/>) from the state, each
/// node's byte fed once and a refused byte skipping every token under it; a state that allows most tokens (inside a
/// string) still visits most of the tree, so the engine computes each state's mask once and reuses it. One per
/// tokenizer (<see cref="For"/>); thread-safe.
/// </summary>
public sealed class StructuredVocabulary
{
    /// <summary>
    /// Bitmask words kept over all cached masks at most (4 bytes each: 64 MiB, ~10,000 masks of a 50k vocabulary). A
    /// mask that would pass it empties the cache first: the states in use fill it again within a step or two, and formats no longer asked
    /// for (each new schema or pattern brings its own states) do not hold memory or crowd out the others for good.
    /// </summary>
    public const long MaxCachedWords = 16L << 20;

    /// <summary>Tree nodes from which a mask's walk is split over the host's cores (a 50k BPE vocabulary has ~10^5).</summary>
    private const int ParallelWalkNodes = 20_000;

    private static readonly ConditionalWeakTable<MambaTokenizer, StructuredVocabulary> s_byTokenizer = [];

    private readonly byte[]?[] _tokens;
    private readonly long _maxCachedWords = MaxCachedWords;
    private readonly TokenTrie _trie;
    private readonly int[] _walks; // bounds of the parallel walks over the tree's first level
    private readonly ConcurrentDictionary<object, TokenMask> _masks = new();
    private long _cachedWords; // under the _masks lock
    private long _clears;

    private StructuredVocabulary(MambaTokenizer tokenizer)
        : this(BytesOf(tokenizer), tokenizer.EosTokenId)
    {
    }

    /// <summary>A vocabulary given as bytes per id (null: never allowed), for tests over a small made-up one.</summary>
    internal StructuredVocabulary(byte[]?[] tokens, int? eos, long maxCachedWords = MaxCachedWords)
    {
        _tokens = tokens;
        _trie = new TokenTrie(tokens); // here, on the request path that first asks for a format, not on the engine loop
        _walks = _trie.NodeCount >= ParallelWalkNodes ? Walks(_trie, Environment.ProcessorCount) : [0, _trie.FirstLevelCount];
        Eos = eos;
        _maxCachedWords = maxCachedWords;
    }

    private static byte[]?[] BytesOf(MambaTokenizer tokenizer)
    {
        var tokens = new byte[]?[tokenizer.VocabCount];
        for (int id = 0; id < tokens.Length; id++)
        {
            if (id != tokenizer.EosTokenId && !tokenizer.IsSpecial(id))
            {
                tokens[id] = tokenizer.TokenBytes(id).ToArray();
            }
        }

        return tokens;
    }

    /// <summary>The model's EOS id, which ends a structured output once its grammar is complete; null: the model has none.</summary>
    public int? Eos { get; }

    public int Count => _tokens.Length;

    /// <summary>Bitmask words held by the cached masks now.</summary>
    public long CachedWords => Interlocked.Read(ref _cachedWords);

    /// <summary>Times the cache was emptied to stay within <see cref="MaxCachedWords"/>.</summary>
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

        var allowed = new bool[_tokens.Length];
        if (_walks.Length > 2)
        {
            Parallel.For(0, _walks.Length - 1, w => _trie.MarkAllowed(state, allowed, _walks[w], _walks[w + 1]));
        }
        else
        {
            _trie.MarkAllowed(state, allowed, 0, _trie.FirstLevelCount);
        }

        if (Eos is { } eos && (uint)eos < (uint)allowed.Length)
        {
            allowed[eos] = state.IsComplete;
        }

        var mask = TokenMask.BanningAllBut(allowed);
        long size = mask.Bits.Length;
        lock (_masks)
        {
            if (_cachedWords + size > _maxCachedWords)
            {
                _masks.Clear();
                _cachedWords = 0;
                Interlocked.Increment(ref _clears);
            }

            if (_masks.TryAdd(state, mask))
            {
                _cachedWords += size;
            }
        }

        return mask;
    }

    /// <summary>
    /// Bounds of <paramref name="parts"/> walks over the tree's first level (indices into it), cut where the subtrees'
    /// node counts reach each part's share, so parallel walks take about the same number of nodes when all are allowed.
    /// </summary>
    private static int[] Walks(TokenTrie trie, int parts)
    {
        long total = Enumerable.Range(0, trie.FirstLevelCount).Sum(c => (long)trie.SubtreeSize(c));
        var bounds = new List<int> { 0 };
        long seen = 0;
        for (int c = 0; c < trie.FirstLevelCount; c++)
        {
            seen += trie.SubtreeSize(c);
            if (seen * parts >= total * bounds.Count && bounds.Count < parts && c + 1 < trie.FirstLevelCount)
            {
                bounds.Add(c + 1);
            }
        }

        bounds.Add(trie.FirstLevelCount);
        return [.. bounds];
    }
}
