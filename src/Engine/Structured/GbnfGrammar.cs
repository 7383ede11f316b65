namespace MambaServe.Engine.Structured;

/// <summary>
/// A compiled GBNF grammar (<see cref="GbnfParser"/>): every rule's alternatives laid out in one element array, each
/// alternative's elements followed by an end marker, and each character class as sorted, merged code point ranges
/// (a negated class is stored as its complement). A position is an index into that array. Left recursion is refused
/// here (a rule that can reach itself before reading a character would expand forever), as llama.cpp refuses it.
/// Immutable; <see cref="GbnfStacks"/> runs it.
/// </summary>
public sealed class GbnfGrammar
{
    private const int End = int.MinValue; // not ~rule for any rule

    private readonly int[] _elements;      // End, a class index (>= 0, in _classes) or ~rule for a reference
    private readonly int[][] _ruleStarts;  // per rule, the position of each alternative's first element
    private readonly (int[] Lo, int[] Hi)[] _classes;

    internal GbnfGrammar(IReadOnlyList<string> names, IReadOnlyList<List<List<GbnfElement>>> rules, int root)
    {
        Names = names;
        Root = root;
        var elements = new List<int>();
        var classes = new List<(int[], int[])>();
        _ruleStarts = new int[rules.Count][];
        for (int r = 0; r < rules.Count; r++)
        {
            _ruleStarts[r] = new int[rules[r].Count];
            for (int a = 0; a < rules[r].Count; a++)
            {
                _ruleStarts[r][a] = elements.Count;
                foreach (var e in rules[r][a])
                {
                    if (e.IsRef)
                    {
                        elements.Add(~e.Rule);
                    }
                    else
                    {
                        elements.Add(classes.Count);
                        classes.Add(Ranges(e.Ranges!, e.Negated));
                    }
                }

                elements.Add(End);
            }
        }

        _elements = [.. elements];
        _classes = [.. classes];
        RefuseLeftRecursion(rules); // before any stack is made: expanding a left-recursive rule would not end
        Stacks = new GbnfStacks(this);
    }

    /// <summary>Rule names by id (repetitions and groups get made-up names in parentheses).</summary>
    public IReadOnlyList<string> Names { get; }

    internal int Root { get; }

    /// <summary>The grammar's run-time state space (stack nodes and the step memo), shared by every request on it.</summary>
    internal GbnfStacks Stacks { get; }

    internal IReadOnlyList<int> Alternatives(int rule) => _ruleStarts[rule];

    internal bool IsEnd(int position) => _elements[position] == End;

    /// <summary>The rule referenced at <paramref name="position"/>, or -1 when it holds a class or the end.</summary>
    internal int RuleAt(int position) => _elements[position] is < 0 and not End ? ~_elements[position] : -1;

    /// <summary>Whether the class at <paramref name="position"/> takes <paramref name="codePoint"/>.</summary>
    internal bool Matches(int position, int codePoint)
    {
        var (lo, hi) = _classes[_elements[position]];
        int i = Array.BinarySearch(lo, codePoint);
        i = i >= 0 ? i : ~i - 1; // the last range starting at or below the code point
        return i >= 0 && codePoint <= hi[i];
    }

    /// <summary>Whether the class at <paramref name="position"/> takes some code point in [<paramref name="from"/>, <paramref name="to"/>].</summary>
    internal bool MatchesAny(int position, int from, int to)
    {
        var (lo, hi) = _classes[_elements[position]];
        int i = Array.BinarySearch(lo, to);
        i = i >= 0 ? i : ~i - 1; // the last range starting at or below `to`
        return i >= 0 && hi[i] >= from;
    }

    private static (int[] Lo, int[] Hi) Ranges(IReadOnlyList<(int Lo, int Hi)> ranges, bool negated)
    {
        var merged = new List<(int Lo, int Hi)>();
        foreach (var (lo, hi) in ranges.OrderBy(r => r.Lo))
        {
            if (merged.Count > 0 && lo <= merged[^1].Hi + 1)
            {
                merged[^1] = (merged[^1].Lo, Math.Max(merged[^1].Hi, hi));
            }
            else
            {
                merged.Add((lo, hi));
            }
        }

        if (negated)
        {
            var complement = new List<(int, int)>();
            int next = 0;
            foreach (var (lo, hi) in merged)
            {
                if (lo > next)
                {
                    complement.Add((next, lo - 1));
                }

                next = hi + 1;
            }

            if (next <= 0x10FFFF)
            {
                complement.Add((next, 0x10FFFF));
            }

            merged = complement;
        }

        return ([.. merged.Select(r => r.Lo)], [.. merged.Select(r => r.Hi)]);
    }

    /// <summary>
    /// Refuses a rule that can reach itself through references each preceded in its alternative only by rules that
    /// can match nothing. Nullable rules first, by fixpoint; then a depth-first search over the leftmost references.
    /// </summary>
    private void RefuseLeftRecursion(IReadOnlyList<List<List<GbnfElement>>> rules)
    {
        var nullable = new bool[rules.Count];
        for (bool changed = true; changed;)
        {
            changed = false;
            for (int r = 0; r < rules.Count; r++)
            {
                if (!nullable[r] && rules[r].Any(alt => alt.All(e => e.IsRef && nullable[e.Rule])))
                {
                    nullable[r] = changed = true;
                }
            }
        }

        var leftmost = rules.Select(alts => alts.SelectMany(alt => alt.TakeWhileInclusive(e => e.IsRef && nullable[e.Rule])
            .Where(e => e.IsRef).Select(e => e.Rule)).Distinct().ToArray()).ToArray();
        var color = new byte[rules.Count]; // 0 unseen, 1 on the path, 2 done
        for (int r = 0; r < rules.Count; r++)
        {
            Visit(r, leftmost, color);
        }
    }

    /// <summary>
    /// A depth-first search from <paramref name="root"/> over the leftmost references, on an explicit stack (a chain of
    /// nested optional rules can be tens of thousands long): a reference back to a rule on the path is left recursion.
    /// </summary>
    private void Visit(int root, int[][] leftmost, byte[] color)
    {
        if (color[root] != 0)
        {
            return;
        }

        var path = new List<(int Rule, int Next)> { (root, 0) }; // a rule on the path, and the index of its next reference to follow
        color[root] = 1;
        while (path.Count > 0)
        {
            var (rule, next) = path[^1];
            if (next == leftmost[rule].Length)
            {
                color[rule] = 2;
                path.RemoveAt(path.Count - 1);
                continue;
            }

            path[^1] = (rule, next + 1);
            int target = leftmost[rule][next];
            if (color[target] == 1)
            {
                var cycle = path.Select(p => p.Rule).SkipWhile(r => r != target).Append(target).Select(r => Names[r]);
                throw new GrammarNotSupportedException($"rule `{Names[target]}` is left-recursive ({string.Join(" -> ", cycle)}): write the repetition with `*` or `+`");
            }

            if (color[target] == 0)
            {
                color[target] = 1;
                path.Add((target, 0));
            }
        }
    }
}

internal static class GbnfSequenceExtensions
{
    /// <summary>The elements up to and including the first that fails <paramref name="keepGoing"/>.</summary>
    public static IEnumerable<T> TakeWhileInclusive<T>(this IEnumerable<T> items, Func<T, bool> keepGoing)
    {
        foreach (var item in items)
        {
            yield return item;
            if (!keepGoing(item))
            {
                yield break;
            }
        }
    }
}
