namespace MambaServe.Engine.Structured;

/// <summary>
/// Where an output stands against a fixed list of choices (vLLM's choice / guided_choice): the choices are sorted
/// by their UTF-8 bytes, so those that begin with what was output so far are one range [Lo, Hi) of them. Each byte
/// narrows the range; the output may end when a choice in it has been matched whole.
/// </summary>
public readonly record struct ChoiceGrammarState : IGrammarState<ChoiceGrammarState>
{
    private readonly ChoiceTable _table;
    private readonly int _lo;
    private readonly int _hi;
    private readonly int _length;

    private ChoiceGrammarState(ChoiceTable table, int lo, int hi, int length)
    {
        _table = table;
        _lo = lo;
        _hi = hi;
        _length = length;
    }

    public static ChoiceGrammarState Start(ChoiceTable table) => new(table, 0, table.Count, 0);

    // Shorter choices sort first, so a choice matched whole is the first of the range.
    public bool IsComplete => _lo < _hi && _table[_lo].Length == _length;

    public bool Feed(ReadOnlySpan<byte> bytes, out ChoiceGrammarState next)
    {
        int lo = _lo, hi = _hi, length = _length;
        foreach (byte b in bytes)
        {
            // The choices of the range whose byte at `length` is b: skip those too short or smaller, then take the run.
            while (lo < hi && (_table[lo].Length <= length || _table[lo][length] < b))
            {
                lo++;
            }

            int end = lo;
            while (end < hi && _table[end].Length > length && _table[end][length] == b)
            {
                end++;
            }

            if (end == lo)
            {
                next = this;
                return false;
            }

            hi = end;
            length++;
        }

        next = new ChoiceGrammarState(_table, lo, hi, length);
        return true;
    }
}

/// <summary>The choices of one request as sorted, distinct UTF-8 byte strings (compared by reference in states).</summary>
public sealed class ChoiceTable
{
    private readonly byte[][] _choices;

    public ChoiceTable(IEnumerable<string> choices)
    {
        var sorted = choices.Select(System.Text.Encoding.UTF8.GetBytes).ToList();
        sorted.Sort((a, b) => a.AsSpan().SequenceCompareTo(b));
        _choices = sorted.Where((c, i) => i == 0 || !c.AsSpan().SequenceEqual(sorted[i - 1])).ToArray();
    }

    public int Count => _choices.Length;

    public byte[] this[int index] => _choices[index];
}
