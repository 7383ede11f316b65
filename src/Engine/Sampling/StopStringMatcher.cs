using System.Text;

namespace MambaServe.Engine.Sampling;

/// <summary>
/// Cuts streamed text before the first stop string. Text arrives in deltas and a stop string may straddle them, so
/// the longest tail that could still begin a stop string is held back until the next delta decides it. Ordinal
/// comparison, as vLLM and OpenAI. With include_stop_str_in_output the matched stop string is kept and the text ends
/// right after it, as vLLM's detokenizer truncates it. Not thread-safe: one per sequence.
/// </summary>
public sealed class StopStringMatcher
{
    private readonly string[] _stops;
    private readonly int _longest;
    private readonly bool _includeStop;
    private readonly StringBuilder _held = new();
    private bool _stopped;
    // Leading characters of _held that came in deltas pushed with mayStop false: a match must end after them.
    private int _unmatchable;

    /// <param name="includeStop">Keep the matched stop string in the text (vLLM's include_stop_str_in_output).</param>
    public StopStringMatcher(IReadOnlyList<string> stops, bool includeStop = false)
    {
        _includeStop = includeStop;
        ArgumentNullException.ThrowIfNull(stops);
        _stops = stops.Where(s => !string.IsNullOrEmpty(s)).Distinct(StringComparer.Ordinal).ToArray();
        _longest = _stops.Length == 0 ? 0 : _stops.Max(s => s.Length);
    }

    /// <summary>
    /// Adds a delta. Returns the text that is now safe to emit and whether a stop string matched; on a match the text
    /// ends just before the stop string (just after it when the matcher includes it) and every later call emits nothing.
    /// </summary>
    public (string Emit, bool Stopped) Push(string delta) => Push(delta, mayStop: true);

    /// <summary>
    /// Adds a delta that may end in a stop string only when <paramref name="mayStop"/> (false: text of a sample's first
    /// min_tokens tokens). Such text is never the end of a match, but its tail is still held back while it could begin
    /// one, so a stop string that starts there and ends in a later delta cuts the text where it starts (vLLM's
    /// detokenizer checks only the text after min_tokens, looking back a stop string's length).
    /// </summary>
    public (string Emit, bool Stopped) Push(string delta, bool mayStop)
    {
        if (_stopped)
        {
            return (string.Empty, true);
        }
        if (_longest == 0)
        {
            return (delta, false);
        }
        _held.Append(delta);
        var text = _held.ToString();
        if (!mayStop)
        {
            _unmatchable = text.Length;
        }
        var (match, length) = mayStop ? FirstMatch(text, _unmatchable) : (-1, 0);
        if (match >= 0)
        {
            _stopped = true;
            _held.Clear();
            return (text[..(_includeStop ? match + length : match)], true);
        }
        var keep = PossibleStopPrefixLength(text);
        _held.Clear().Append(text, text.Length - keep, keep);
        _unmatchable = Math.Max(0, _unmatchable - (text.Length - keep));
        return (text[..^keep], false);
    }

    /// <summary>Releases held-back text at the end of the sequence (nothing after a stop).</summary>
    public string Flush()
    {
        var text = _stopped ? string.Empty : _held.ToString();
        _held.Clear();
        _unmatchable = 0;
        return text;
    }

    /// <summary>
    /// Where the first match that ends after <paramref name="unmatchable"/> characters starts (-1: none) and the
    /// matched stop string's length; of stop strings starting at the same place, the one listed first.
    /// </summary>
    private (int At, int Length) FirstMatch(string text, int unmatchable)
    {
        var first = -1;
        var length = 0;
        foreach (var stop in _stops)
        {
            var at = text.IndexOf(stop, Math.Max(0, unmatchable - stop.Length + 1), StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first))
            {
                first = at;
                length = stop.Length;
            }
        }
        return (first, length);
    }

    /// <summary>Length of the longest suffix of <paramref name="text"/> that is a proper prefix of some stop string.</summary>
    private int PossibleStopPrefixLength(string text)
    {
        for (var length = Math.Min(_longest - 1, text.Length); length > 0; length--)
        {
            var tail = text.AsSpan(text.Length - length);
            foreach (var stop in _stops)
            {
                if (stop.Length > length && stop.AsSpan().StartsWith(tail, StringComparison.Ordinal))
                {
                    return length;
                }
            }
        }
        return 0;
    }
}
