namespace MambaServe.Engine.Structured;

/// <summary>
/// A vocabulary's token bytes as a prefix tree, for finding which tokens a grammar state allows: a walk feeds each
/// tree node's byte once to the state its parent reached, and a byte the grammar refuses skips every token under it.
/// Feeding each token's bytes on its own (what this replaces) fed ~6 bytes a token to reject most tokens at their
/// first; most grammar states allow only a few first bytes (a digit, a quote, a colon), so the walk visits a few
/// hundred nodes instead. Nodes are kept in preorder (tokens sorted by their bytes), so a node's subtree is the range
/// up to its <c>_end</c> and skipping it is one jump. Immutable after construction; walks may run in parallel.
/// </summary>
internal sealed class TokenTrie
{
    // Per node, in preorder; node 0 is the root (the empty prefix).
    private readonly byte[] _byte;        // the byte that leads to the node from its parent
    private readonly byte[] _depth;       // the node's prefix length, capped at byte.MaxValue (deeper tokens: see below)
    private readonly int[] _end;          // one past the node's subtree
    private readonly int[] _tokenStart;   // the node's tokens: _tokens[_tokenStart[n].._tokenStart[n + 1]]
    private readonly int[] _tokens;
    private readonly int[] _firstLevel;   // the root's children, for splitting a walk over threads

    /// <summary>The longest prefix a walk follows in the tree; a longer token's bytes past it are fed one call at its node.</summary>
    private const int MaxDepth = byte.MaxValue;

    public TokenTrie(IReadOnlyList<byte[]?> tokens)
    {
        var ids = Enumerable.Range(0, tokens.Count).Where(id => tokens[id] is not null).ToArray();
        Array.Sort(ids, (a, b) => Compare(tokens[a]!, tokens[b]!, a, b));
        var bytes = new List<byte> { 0 };
        var depth = new List<byte> { 0 };
        var end = new List<int> { 0 };
        var tokenOfNode = new List<(int Node, int Id)>();
        var path = new List<int> { 0 }; // the open nodes: path[d] is the node at depth d
        byte[] previous = [];
        foreach (int id in ids)
        {
            var token = tokens[id]!;
            int keep = Math.Min(CommonPrefix(previous, token), MaxDepth);
            Close(path, keep + 1, end, bytes.Count);
            for (int d = keep; d < Math.Min(token.Length, MaxDepth); d++)
            {
                path.Add(bytes.Count);
                bytes.Add(token[d]);
                depth.Add((byte)(d + 1));
                end.Add(0);
            }

            tokenOfNode.Add((path[^1], id));
            previous = token;
        }

        Close(path, 0, end, bytes.Count);
        _byte = [.. bytes];
        _depth = [.. depth];
        _end = [.. end];
        _tokenStart = new int[_byte.Length + 1];
        foreach (var (node, _) in tokenOfNode)
        {
            _tokenStart[node + 1]++;
        }

        for (int n = 0; n < _byte.Length; n++)
        {
            _tokenStart[n + 1] += _tokenStart[n];
        }

        _tokens = [.. tokenOfNode.OrderBy(t => t.Node).Select(t => t.Id)]; // stable: ids of one node keep their order
        var firstLevel = new List<int>();
        for (int n = 1; n < _byte.Length; n = _end[n])
        {
            firstLevel.Add(n);
        }

        _firstLevel = [.. firstLevel];
        Tokens = tokens;
    }

    /// <summary>Every token's bytes, by id (null: never allowed).</summary>
    public IReadOnlyList<byte[]?> Tokens { get; }

    public int NodeCount => _byte.Length;

    /// <summary>
    /// Marks <c>allowed[id] = true</c> for every token whose bytes <paramref name="state"/> accepts, walking the root's
    /// children from <paramref name="firstChild"/> up to <paramref name="endChild"/> (indices into the first level),
    /// so that several walks over disjoint ranges can share <paramref name="allowed"/>.
    /// </summary>
    public void MarkAllowed<TState>(TState state, bool[] allowed, int firstChild, int endChild)
        where TState : struct, IGrammarState<TState>, IEquatable<TState>
    {
        if (firstChild == 0)
        {
            MarkTokens(0, state, allowed); // the root's own tokens: empty byte strings, which any state accepts
        }

        if (firstChild >= endChild)
        {
            return;
        }

        var states = new TState[MaxDepth + 1];
        states[0] = state;
        int stop = endChild < _firstLevel.Length ? _firstLevel[endChild] : _byte.Length;
        for (int n = _firstLevel[firstChild]; n < stop;)
        {
            if (!states[_depth[n] - 1].Feed(_byte[n], out states[_depth[n]]))
            {
                n = _end[n];
                continue;
            }

            MarkTokens(n, states[_depth[n]], allowed);
            n++;
        }
    }

    /// <summary>Root children, for splitting walks.</summary>
    public int FirstLevelCount => _firstLevel.Length;

    /// <summary>Nodes under first-level child <paramref name="child"/> (its subtree's size), for balancing walks.</summary>
    public int SubtreeSize(int child) => _end[_firstLevel[child]] - _firstLevel[child];

    private void MarkTokens<TState>(int node, TState state, bool[] allowed)
        where TState : struct, IGrammarState<TState>, IEquatable<TState>
    {
        for (int k = _tokenStart[node]; k < _tokenStart[node + 1]; k++)
        {
            int id = _tokens[k];
            var bytes = Tokens[id]!;
            // A token longer than the tree's depth: its bytes past MaxDepth are fed here, from the deepest node's state.
            allowed[id] = bytes.Length <= MaxDepth || state.Feed(bytes.AsSpan(MaxDepth), out _);
        }
    }

    private static void Close(List<int> path, int keepDepth, List<int> end, int next)
    {
        while (path.Count > keepDepth && path.Count > 1)
        {
            end[path[^1]] = next;
            path.RemoveAt(path.Count - 1);
        }

        if (keepDepth == 0)
        {
            end[0] = next;
        }
    }

    private static int CommonPrefix(byte[] a, byte[] b)
    {
        int n = Math.Min(a.Length, b.Length), i = 0;
        while (i < n && a[i] == b[i])
        {
            i++;
        }

        return i;
    }

    private static int Compare(byte[] a, byte[] b, int idA, int idB)
    {
        int c = a.AsSpan().SequenceCompareTo(b);
        return c != 0 ? c : idA.CompareTo(idB);
    }
}
