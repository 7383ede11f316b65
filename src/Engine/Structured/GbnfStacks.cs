using System.Collections.Concurrent;

namespace MambaServe.Engine.Structured;

/// <summary>
/// Runs a <see cref="GbnfGrammar"/> the way llama.cpp's grammar sampler does: a parse is a set of stacks, each a
/// position waiting for a character (its top) and the positions to return to after the rules it is inside. Reading a
/// character keeps the stacks whose top class takes it, moves each past it and expands it again until its top is a
/// class (every alternative of a referenced rule; an alternative's end returns to the stack below; the empty stack
/// means the root rule is complete). A reference that ends its alternative returns straight to the caller's caller
/// (a tail call), so repetitions (<c>r ::= x r |</c>) keep their stacks flat.
/// Stack nodes are interned (one object per (position, parent)), so a stack set is a sorted array of node ids and
/// equal sets are equal states: their token masks are shared. Steps are remembered per (set, character), since a
/// token mask's walk feeds the same few characters to the same sets many times. Thread-safe.
/// </summary>
internal sealed class GbnfStacks
{
    /// <summary>Stack nodes a grammar may make over its life, all requests together (deep recursion makes one a level).</summary>
    public const int MaxNodes = 1 << 18;

    /// <summary>Stacks one parse may hold at once (an ambiguous grammar multiplies them).</summary>
    public const int MaxStacks = 4096;

    private const int MaxRemembered = 1 << 17;

    /// <summary>(Position, stack below) pairs one character's expansion may visit.</summary>
    public const int MaxExpansions = 100_000;

    /// <summary>
    /// Stack sets that get an ASCII step table (1 KB each) at most, over the grammar's life: 2 MB (a JSON grammar makes a
    /// few hundred sets); past it, steps go through the shared memo only.
    /// </summary>
    private const int MaxAsciiTables = 2048;

    private readonly GbnfGrammar _grammar;
    private readonly ConcurrentDictionary<(int Position, int Parent), StackNode> _nodes = new();
    private readonly ConcurrentDictionary<(StackSet Set, int CodePoint), StackSet?> _steps = new();
    private int _nextId;
    private int _asciiTables;

    // An expansion's worklist and visited pairs, kept per thread (a mask's walk runs on several) and emptied per use.
    [ThreadStatic]
    private static Stack<(int Position, StackNode? Parent)>? t_work;
    [ThreadStatic]
    private static HashSet<(int Position, int Parent)>? t_seen;

    /// <exception cref="GrammarNotSupportedException">The grammar's start alone passes a budget (too ambiguous).</exception>
    public GbnfStacks(GbnfGrammar grammar)
    {
        _grammar = grammar;
        try
        {
            Start = StackSet.Of(Expand(new(grammar.Alternatives(grammar.Root).Select(alt => (alt, (StackNode?)null)))));
        }
        catch (InvalidOperationException e)
        {
            throw new GrammarNotSupportedException($"its start: {e.Message.TrimEnd('.')}");
        }
    }

    /// <summary>The stacks before the first character.</summary>
    public StackSet Start { get; }

    /// <summary>The stacks after <paramref name="codePoint"/>, or null when no stack takes it.</summary>
    public StackSet? Step(StackSet set, int codePoint)
    {
        // A token mask's walk steps the same few sets by ASCII characters over and over: a table on the set answers
        // those without hashing (a dead end is StackSet.Dead there).
        var table = codePoint < 128 ? AsciiTable(set) : null;
        if (table?[codePoint] is { } cached)
        {
            return ReferenceEquals(cached, StackSet.Dead) ? null : cached;
        }

        var next = Remembered(set, codePoint);
        if (table is not null)
        {
            table[codePoint] = next ?? StackSet.Dead;
        }

        return next;
    }

    private StackSet?[]? AsciiTable(StackSet set)
    {
        if (set.Ascii is { } table)
        {
            return table;
        }

        if (Volatile.Read(ref _asciiTables) >= MaxAsciiTables)
        {
            return null;
        }

        Interlocked.Increment(ref _asciiTables);
        return Interlocked.CompareExchange(ref set.Ascii, new StackSet?[128], null) ?? set.Ascii;
    }

    private StackSet? Remembered(StackSet set, int codePoint)
    {
        if (_steps.TryGetValue((set, codePoint), out var known))
        {
            return known;
        }

        var work = t_work ??= new();
        work.Clear(); // an expansion that threw may have left pairs behind
        foreach (var node in set.Nodes)
        {
            if (node is not null && _grammar.Matches(node.Position, codePoint))
            {
                work.Push((node.Position + 1, node.Parent));
            }
        }

        var next = Expand(work);
        var result = next.Count == 0 ? null : StackSet.Of(next);
        if (_steps.Count >= MaxRemembered)
        {
            _steps.Clear();
        }

        _steps.TryAdd((set, codePoint), result);
        return result;
    }

    /// <summary>Whether some stack of <paramref name="set"/> takes a code point in [<paramref name="lo"/>, <paramref name="hi"/>].</summary>
    public bool CanRead(StackSet set, int lo, int hi) =>
        set.Nodes.Any(node => node is not null && _grammar.MatchesAny(node.Position, lo, hi));

    /// <summary>
    /// The stacks that continue from each of <paramref name="starts"/> (a position with its stack below), expanded
    /// until a class is on top: with a worklist, each (position, stack below) pair once, so neither a grammar whose
    /// empty alternatives multiply (<c>("" | ""){0,1000}</c>) nor one that nests optional rules thousands deep can run
    /// away or overflow the thread's stack; past <see cref="MaxExpansions"/> pairs the parse fails.
    /// </summary>
    private List<StackNode?> Expand(Stack<(int Position, StackNode? Parent)> work)
    {
        var into = new List<StackNode?>();
        var seen = t_seen ??= [];
        seen.Clear();
        while (work.TryPop(out var item))
        {
            var (position, parent) = item;
            if (!seen.Add((position, parent?.Id ?? 0)))
            {
                continue;
            }

            if (seen.Count > MaxExpansions)
            {
                throw new InvalidOperationException(
                    $"The grammar's parse expands more than {MaxExpansions} positions for one character (it is too ambiguous or nests too deep).");
            }

            if (_grammar.IsEnd(position))
            {
                if (parent is null)
                {
                    into.Add(null); // the root rule is complete
                }
                else
                {
                    work.Push((parent.Position, parent.Parent));
                }

                continue;
            }

            int rule = _grammar.RuleAt(position);
            if (rule < 0)
            {
                into.Add(Node(position, parent));
                continue;
            }

            var returnTo = _grammar.IsEnd(position + 1) ? parent : Node(position + 1, parent); // a tail call returns past this rule
            foreach (int alt in _grammar.Alternatives(rule))
            {
                work.Push((alt, returnTo));
            }
        }

        if (seen.Count > 4096)
        {
            t_seen = null; // a large expansion's set is not kept for the thread's life
        }

        return into;
    }

    private StackNode Node(int position, StackNode? parent)
    {
        var key = (position, parent?.Id ?? 0);
        if (_nodes.TryGetValue(key, out var node))
        {
            return node;
        }

        if (_nodes.Count >= MaxNodes)
        {
            throw new InvalidOperationException($"The grammar's parse passed {MaxNodes} stack nodes (its recursion runs too deep).");
        }

        return _nodes.GetOrAdd(key, k => new StackNode(Interlocked.Increment(ref _nextId), k.Position, parent));
    }
}

/// <summary>One level of a parse stack: a position in the grammar and the level below it. Interned by <see cref="GbnfStacks"/>.</summary>
internal sealed class StackNode(int id, int position, StackNode? parent)
{
    public int Id { get; } = id;

    public int Position { get; } = position;

    public StackNode? Parent { get; } = parent;
}

/// <summary>A parse's stacks: distinct interned nodes sorted by id (null first: the complete, empty stack). Equal by content.</summary>
internal sealed class StackSet : IEquatable<StackSet>
{
    private readonly int _hash;

    private StackSet(StackNode?[] nodes)
    {
        Nodes = nodes;
        var hash = new HashCode();
        foreach (var node in nodes)
        {
            hash.Add(node?.Id ?? 0);
        }

        _hash = hash.ToHashCode();
    }

    public StackNode?[] Nodes { get; }

    /// <summary>No stack: what an ASCII step table holds for a character no stack takes.</summary>
    public static StackSet Dead { get; } = new([]);

    /// <summary>The sets after each ASCII character, filled as they are asked for (<see cref="GbnfStacks.Step"/>); null until the first.</summary>
    public StackSet?[]? Ascii;

    /// <summary>The root rule may end here.</summary>
    public bool IsComplete => Nodes.Length > 0 && Nodes[0] is null;

    public static StackSet Of(List<StackNode?> nodes)
    {
        nodes.Sort(static (a, b) => (a?.Id ?? 0).CompareTo(b?.Id ?? 0));
        int count = 0;
        for (int i = 0; i < nodes.Count; i++)
        {
            if (i == 0 || !ReferenceEquals(nodes[i], nodes[i - 1]))
            {
                nodes[count++] = nodes[i]; // interned: equal nodes are one object
            }
        }

        if (count > GbnfStacks.MaxStacks)
        {
            throw new InvalidOperationException($"The grammar's parse holds more than {GbnfStacks.MaxStacks} stacks at once (it is too ambiguous).");
        }

        return new StackSet([.. nodes[..count]]);
    }

    public bool Equals(StackSet? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (other is null || other._hash != _hash || other.Nodes.Length != Nodes.Length)
        {
            return false;
        }

        for (int i = 0; i < Nodes.Length; i++)
        {
            if (!ReferenceEquals(Nodes[i], other.Nodes[i]))
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as StackSet);

    public override int GetHashCode() => _hash;
}
