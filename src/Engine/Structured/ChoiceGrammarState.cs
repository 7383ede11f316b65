namespace MambaServe.Engine.Structured;

/// <summary>
/// Where an output stands against a fixed list of choices (vLLM's choice / guided_choice): the choices are sorted
/// by their UTF-8 bytes, so those that begin with what was output so far are one range [Lo, Hi) of them. Each byte
/// narrows the range by two binary searches (a mask feeds every vocabulary token, so a long list must not cost a
/// scan per byte); the output may end when a choice in it has been matched whole.
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

    /// <summary>The first index in [lo, hi) whose byte at <paramref name="position"/> (-1 past its end) is above <paramref name="value"/>, else hi.</summary>
    private int FirstWithByteAbove(int lo, int hi, int position, int value)
    {
        while (lo < hi)
        {
            int mid = lo + (hi - lo) / 2;
            var choice = _table[mid];
            int at = choice.Length > position ? choice[position] : -1;
            if (at > value)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo;
    }

    // Shorter choices sort first, so a choice matched whole is the first of the range.
    public bool IsComplete => _lo < _hi && _table[_lo].Length == _length;

    /// <summary>The tag of the choice matched whole (<see cref="IsComplete"/>).</summary>
    public int MatchedTag => _table.Tag(_lo);

    public bool Feed(byte b, out ChoiceGrammarState next) => Feed(new ReadOnlySpan<byte>(in b), out next);

    public bool Feed(ReadOnlySpan<byte> bytes, out ChoiceGrammarState next)
    {
        int lo = _lo, hi = _hi, length = _length;
        foreach (byte b in bytes)
        {
            // Within the range every choice shares the first `length` bytes, so the byte at `length` (-1 past the end)
            // never decreases: the choices with b there are one run, found by its two bounds.
            int first = FirstWithByteAbove(lo, hi, length, b - 1);
            int end = FirstWithByteAbove(first, hi, length, b);
            if (end == first)
            {
                next = this;
                return false;
            }

            (lo, hi) = (first, end);
            length++;
        }

        next = new ChoiceGrammarState(_table, lo, hi, length);
        return true;
    }
}

/// <summary>
/// Choices as sorted, distinct UTF-8 byte strings, each with a tag (its place in the caller's list: a property's
/// index for object keys). Compared by reference in states.
/// </summary>
public sealed class ChoiceTable
{
    private readonly byte[][] _choices;
    private readonly int[] _tags;

    public ChoiceTable(IEnumerable<string> choices)
        : this(choices.Select((c, i) => (c, i)))
    {
    }

    /// <param name="choices">Texts and their tags; of equal texts the first is kept.</param>
    public ChoiceTable(IEnumerable<(string Text, int Tag)> choices)
    {
        var sorted = choices.Select(c => (Bytes: System.Text.Encoding.UTF8.GetBytes(c.Text), c.Tag)).ToList();
        // A stable sort keeps the first of equal texts first.
        sorted = [.. sorted.Select((c, i) => (c, i)).OrderBy(x => x.c.Bytes, ByteOrder.Instance).ThenBy(x => x.i).Select(x => x.c)];
        var kept = sorted.Where((c, i) => i == 0 || !c.Bytes.AsSpan().SequenceEqual(sorted[i - 1].Bytes)).ToList();
        _choices = [.. kept.Select(c => c.Bytes)];
        _tags = [.. kept.Select(c => c.Tag)];
    }

    public int Count => _choices.Length;

    public byte[] this[int index] => _choices[index];

    public int Tag(int index) => _tags[index];

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
