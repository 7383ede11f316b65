using System.Text;

namespace MambaServe.Engine.Structured;

/// <summary>
/// vLLM's structural tag (<c>{"type": "structural_tag", "structures": [{"begin", "schema", "end"}], "triggers"}</c>,
/// as xgrammar reads it): free text, except that where the output writes a trigger it must go on with the rest of the
/// <c>begin</c> of one of the structures that begin with that trigger, then a JSON value of that structure's schema,
/// then its <c>end</c>, and then free text again. Models that call tools inside their prose
/// (<c>&lt;function=get_weather&gt;{...}&lt;/function&gt;</c>) are held to the arguments' schemas that way, and the
/// text around the calls stays free.
/// </summary>
/// <remarks>
/// Triggers are watched for by an automaton over their prefixes (the longest suffix of the output that begins a
/// trigger is its state), so the free phase has one state per prefix and shares its token masks.
/// </remarks>
public sealed class StructuralTagGrammar
{
    /// <summary>Most bytes all triggers may hold together: the automaton's table has 256 entries per prefix.</summary>
    public const int MaxTriggerBytes = 4096;

    private readonly int[] _next;     // [prefix * 256 + byte] => the next prefix, or ~trigger when that byte completes a trigger

    /// <param name="structures">Each structure: its begin (starting with one of the triggers), its compiled schema, its end (may be empty).</param>
    /// <param name="triggers">The texts that start a structure; none may begin another.</param>
    /// <exception cref="GrammarNotSupportedException">A structure that no trigger starts, two structures one begin could be,
    /// a trigger that begins another, an empty trigger, or no trigger.</exception>
    public StructuralTagGrammar(IReadOnlyList<(string Begin, SchemaNode Schema, string End)> structures, IReadOnlyList<string> triggers)
    {
        if (triggers.Count == 0 || structures.Count == 0)
        {
            throw new GrammarNotSupportedException("a structural tag needs at least one structure and one trigger");
        }

        var bytes = triggers.Select(Encoding.UTF8.GetBytes).ToArray();
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i].Length == 0)
            {
                throw new GrammarNotSupportedException($"triggers[{i}] is empty");
            }

            for (int j = 0; j < bytes.Length; j++)
            {
                if (i != j && bytes[j].AsSpan().StartsWith(bytes[i]))
                {
                    throw new GrammarNotSupportedException($"triggers[{i}] `{triggers[i]}` begins triggers[{j}] `{triggers[j]}`: the longer one could never start a structure");
                }
            }
        }

        if (bytes.Sum(b => b.Length) > MaxTriggerBytes)
        {
            throw new GrammarNotSupportedException($"the triggers hold more than {MaxTriggerBytes} bytes together");
        }

        var begins = new List<(string Remainder, int Structure)>[triggers.Count];
        for (int t = 0; t < triggers.Count; t++)
        {
            begins[t] = [];
        }

        for (int s = 0; s < structures.Count; s++)
        {
            int t = Enumerable.Range(0, triggers.Count).FirstOrDefault(i => structures[s].Begin.StartsWith(triggers[i], StringComparison.Ordinal), -1);
            if (t < 0)
            {
                throw new GrammarNotSupportedException($"structures[{s}].begin `{structures[s].Begin}` starts with none of the triggers");
            }

            string rest = structures[s].Begin[triggers[t].Length..];
            var clash = begins[t].FindIndex(b => b.Remainder.StartsWith(rest, StringComparison.Ordinal) || rest.StartsWith(b.Remainder, StringComparison.Ordinal));
            if (clash >= 0)
            {
                int other = begins[t][clash].Structure;
                throw new GrammarNotSupportedException(
                    $"structures[{other}].begin and structures[{s}].begin are equal or one begins the other: the output could not tell which structure it writes");
            }

            begins[t].Add((rest, s));
        }

        Begins = [.. begins.Select(b => new ChoiceTable(b.Select(x => (x.Remainder, x.Structure))))];
        Schemas = [.. structures.Select(s => s.Schema)];
        Ends = [.. structures.Select(s => new ChoiceTable([s.End]))];
        _next = Automaton(bytes);
    }

    /// <summary>For each trigger, the rest of the begins it starts, each tagged with its structure.</summary>
    internal IReadOnlyList<ChoiceTable> Begins { get; }

    internal IReadOnlyList<SchemaNode> Schemas { get; }

    internal IReadOnlyList<ChoiceTable> Ends { get; }

    /// <summary>After <paramref name="b"/> in the free text at <paramref name="prefix"/>: the next prefix (>= 0) or, when it completes trigger t, ~t.</summary>
    internal int Next(int prefix, byte b) => _next[prefix * 256 + b];

    /// <summary>
    /// The trigger automaton: its states are the distinct prefixes of the triggers (0 the empty one); from a prefix, a
    /// byte leads to the longest suffix of prefix + byte that is again a prefix, unless prefix + byte ends with a whole
    /// trigger, which then starts its structure (no trigger begins another, so at most one can end there).
    /// </summary>
    private static int[] Automaton(byte[][] triggers)
    {
        var prefixes = new List<byte[]> { Array.Empty<byte>() };
        var index = new Dictionary<string, int>(StringComparer.Ordinal) { [string.Empty] = 0 };
        foreach (var trigger in triggers)
        {
            for (int n = 1; n < trigger.Length; n++)
            {
                string key = Convert.ToHexString(trigger, 0, n);
                if (index.TryAdd(key, prefixes.Count))
                {
                    prefixes.Add(trigger[..n]);
                }
            }
        }

        var next = new int[prefixes.Count * 256];
        var text = new byte[triggers.Max(t => t.Length)];
        for (int p = 0; p < prefixes.Count; p++)
        {
            prefixes[p].CopyTo(text, 0);
            int length = prefixes[p].Length + 1;
            for (int b = 0; b < 256; b++)
            {
                text[length - 1] = (byte)b;
                var written = text.AsSpan(0, length);
                int whole = -1;
                for (int t = 0; t < triggers.Length && whole < 0; t++)
                {
                    whole = written.EndsWith(triggers[t]) ? t : -1;
                }

                if (whole >= 0)
                {
                    next[p * 256 + b] = ~whole;
                    continue;
                }

                // The longest suffix (the whole first) that begins a trigger; none: the empty prefix.
                int state = 0;
                for (int from = 0; from < length; from++)
                {
                    if (index.TryGetValue(Convert.ToHexString(written[from..]), out int found))
                    {
                        state = found;
                        break;
                    }
                }

                next[p * 256 + b] = state;
            }
        }

        return next;
    }
}
