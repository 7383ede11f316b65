using System.Collections.Concurrent;

namespace MambaServe.Engine.Structured;

/// <summary>
/// A regular expression (the common subset of Python's and .NET's syntax that vLLM's regex outputs take) as a
/// Thompson NFA over Unicode code points, run as a DFA built lazily: a DFA state is a set of NFA states, interned to
/// an id, and each (state, character) step is computed once and kept. Matches the whole output (as vLLM's
/// structured_outputs.regex does): a leading ^ and a trailing $ are accepted and change nothing. Thread-safe (masks
/// are computed over vocabulary chunks in parallel). <see cref="RegexParser"/> builds it; <see cref="RegexGrammarState"/>
/// feeds it bytes.
/// </summary>
public sealed class RegexProgram
{
    /// <summary>Most NFA states a pattern may compile to (x{1000} alone makes a thousand).</summary>
    public const int MaxStates = 20_000;

    /// <summary>
    /// Most DFA states one pattern builds (each a set of NFA states, built as texts reach it): a pattern such as
    /// (a|b)*a(a|b){20} can need millions. Past it the request using the pattern fails with a clear error.
    /// </summary>
    public const int MaxDfaStates = 20_000;

    private readonly List<NfaState> _states;
    private readonly int _accept;
    private readonly ConcurrentDictionary<StateSet, int> _ids = new();
    private readonly ConcurrentDictionary<int, StateSet> _sets = new();
    private readonly ConcurrentDictionary<(int State, int Char), int> _steps = new();
    private int _nextId;

    internal RegexProgram(List<NfaState> states, int start, int accept)
    {
        _states = states;
        _accept = accept;
        Start = Intern(Closure([start]));
    }

    /// <summary>The DFA state before any character.</summary>
    public int Start { get; }

    /// <summary>The DFA state that no character leads out of: the output can no longer match.</summary>
    public const int Dead = -1;

    /// <summary>Whether the characters read so far match the whole pattern.</summary>
    public bool Accepts(int state) => state != Dead && _sets[state].Contains(_accept);

    /// <summary>Whether some character in [<paramref name="lo"/>, <paramref name="hi"/>] can be read in <paramref name="state"/> (a UTF-8 character begun but not ended).</summary>
    public bool CanRead(int state, int lo, int hi) =>
        state != Dead && _sets[state].States.Any(s => _states[s].Class is { } cls && cls.Intersects(lo, hi));

    /// <summary>The DFA state after <paramref name="codePoint"/>, or <see cref="Dead"/>.</summary>
    public int Step(int state, int codePoint)
    {
        if (state == Dead)
        {
            return Dead;
        }

        if (_steps.TryGetValue((state, codePoint), out int known))
        {
            return known;
        }

        var moved = new List<int>();
        foreach (int s in _sets[state].States)
        {
            var nfa = _states[s];
            if (nfa.Class is { } cls && cls.Contains(codePoint))
            {
                moved.Add(nfa.Next);
            }
        }

        int next = moved.Count == 0 ? Dead : Intern(Closure(moved));
        _steps.TryAdd((state, codePoint), next);
        return next;
    }

    private int Intern(StateSet set) => _ids.GetOrAdd(set, s =>
    {
        int id = Interlocked.Increment(ref _nextId) - 1;
        if (id >= MaxDfaStates)
        {
            throw new RegexNotSupportedException($"the pattern needs more than {MaxDfaStates} automaton states for the text so far");
        }

        _sets[id] = s;
        return id;
    });

    /// <summary>The states reachable from <paramref name="from"/> by empty moves, sorted: the DFA state's identity.</summary>
    private StateSet Closure(List<int> from)
    {
        var seen = new HashSet<int>();
        var stack = new Stack<int>(from);
        while (stack.Count > 0)
        {
            int s = stack.Pop();
            if (!seen.Add(s))
            {
                continue;
            }

            var nfa = _states[s];
            if (nfa.Class is null)
            {
                foreach (int e in nfa.Empty)
                {
                    stack.Push(e);
                }
            }
        }

        // Only states that read a character, and the accept state, tell sets apart.
        var kept = seen.Where(s => _states[s].Class is not null || s == _accept).OrderBy(s => s).ToArray();
        return new StateSet(kept);
    }

    /// <summary>An NFA state: reads one character of <see cref="Class"/> and goes to <see cref="Next"/>, or moves on empty to each of <see cref="Empty"/>.</summary>
    internal sealed class NfaState
    {
        public CharClass? Class { get; init; }

        public int Next { get; set; } = -1;

        public List<int> Empty { get; } = [];
    }

    private sealed class StateSet(int[] states) : IEquatable<StateSet>
    {
        private readonly int _hash = states.Aggregate(17, (h, s) => h * 31 + s);

        public int[] States { get; } = states;

        public bool Contains(int state) => Array.BinarySearch(States, state) >= 0;

        public bool Equals(StateSet? other) => other is not null && States.AsSpan().SequenceEqual(other.States);

        public override bool Equals(object? obj) => Equals(obj as StateSet);

        public override int GetHashCode() => _hash;
    }
}

/// <summary>A set of code points: ranges, or everything outside them.</summary>
internal sealed class CharClass(IReadOnlyList<(int Lo, int Hi)> ranges, bool negated)
{
    private const int MaxCodePoint = 0x10FFFF;

    public bool Contains(int codePoint)
    {
        bool inside = false;
        foreach (var (lo, hi) in ranges)
        {
            if (codePoint >= lo && codePoint <= hi)
            {
                inside = true;
                break;
            }
        }

        return inside != negated;
    }

    /// <summary>Whether any code point in [<paramref name="lo"/>, <paramref name="hi"/>] is in the class.</summary>
    public bool Intersects(int lo, int hi) => Ranges.Any(r => r.Lo <= hi && r.Hi >= lo);

    /// <summary>The class as plain ranges (a negated class as the ranges around its own).</summary>
    public IEnumerable<(int Lo, int Hi)> Ranges => negated ? Complement() : ranges;

    /// <summary>Its one code point, for a class that is a single character.</summary>
    public int? Single => !negated && ranges.Count == 1 && ranges[0].Lo == ranges[0].Hi ? ranges[0].Lo : null;

    private IEnumerable<(int Lo, int Hi)> Complement()
    {
        int from = 0;
        foreach (var (lo, hi) in ranges.OrderBy(r => r.Lo))
        {
            if (lo > from)
            {
                yield return (from, lo - 1);
            }

            from = Math.Max(from, hi + 1);
        }

        if (from <= MaxCodePoint)
        {
            yield return (from, MaxCodePoint);
        }
    }
}
