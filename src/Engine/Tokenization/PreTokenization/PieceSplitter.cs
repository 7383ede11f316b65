namespace MambaServe.Engine.Tokenization.PreTokenization;

/// <summary>
/// Splits one piece of text by the spans a pattern matched, as HF tokenizers' NormalizedString::split does: the piece
/// is cut into matched and unmatched spans that cover it, <see cref="SplitBehavior"/> decides which are kept and
/// joined, and empty pieces are dropped. Offsets are into the whole text.
/// </summary>
internal static class PieceSplitter
{
    /// <param name="spans">Covers [start, start + length) in order: (offset, length, matched).</param>
    public static void Split(List<(int Start, int Length, bool Match)> spans, SplitBehavior behavior, List<(int Start, int Length)> output)
    {
        var kept = new List<(int Start, int End)>();
        bool previousMatch = false;
        // MergedWithNext joins a match to what follows it: walk backwards so "what follows" is the piece kept last.
        bool backwards = behavior == SplitBehavior.MergedWithNext;
        for (int k = 0; k < spans.Count; k++)
        {
            var (start, length, match) = spans[backwards ? spans.Count - 1 - k : k];
            int end = start + length;
            bool join = behavior switch
            {
                SplitBehavior.Removed or SplitBehavior.Isolated => false,
                SplitBehavior.Contiguous => match == previousMatch,
                _ => match && !previousMatch,
            };
            if (behavior == SplitBehavior.Removed && match)
            {
                previousMatch = match;
                continue;
            }

            if (join && kept.Count > 0)
            {
                var last = kept[^1];
                kept[^1] = backwards ? (start, last.End) : (last.Start, end);
            }
            else
            {
                kept.Add((start, end));
            }

            previousMatch = match;
        }

        if (backwards)
        {
            kept.Reverse();
        }

        foreach (var (start, end) in kept)
        {
            if (end > start)
            {
                output.Add((start, end - start));
            }
        }
    }

    /// <summary>Spans of [start, start + length): each character (a whole surrogate pair) the predicate takes is a match of its own.</summary>
    public static List<(int Start, int Length, bool Match)> ByCharacter(string text, int start, int length, Func<System.Text.Rune, bool> predicate)
    {
        var spans = new List<(int, int, bool)>();
        int gap = start, i = start, end = start + length;
        while (i < end)
        {
            System.Text.Rune.DecodeFromUtf16(text.AsSpan(i, end - i), out var rune, out int width);
            if (predicate(rune))
            {
                if (i > gap) spans.Add((gap, i - gap, false));
                spans.Add((i, width, true));
                gap = i + width;
            }

            i += width;
        }

        if (end > gap) spans.Add((gap, end - gap, false));
        return spans;
    }

    /// <summary>Spans of [start, start + length) by a regex's matches; <paramref name="invert"/> swaps matched and unmatched.</summary>
    public static List<(int Start, int Length, bool Match)> ByRegex(string text, int start, int length, System.Text.RegularExpressions.Regex regex, bool invert)
    {
        var spans = new List<(int, int, bool)>();
        int gap = start, end = start + length;
        for (var m = regex.Match(text, start, length); m.Success; m = m.NextMatch())
        {
            if (m.Index > gap) spans.Add((gap, m.Index - gap, invert));
            spans.Add((m.Index, m.Length, !invert));
            gap = m.Index + m.Length;
        }

        if (end > gap) spans.Add((gap, end - gap, invert));
        return spans;
    }
}
