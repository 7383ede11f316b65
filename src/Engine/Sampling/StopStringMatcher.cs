using System.Text;

namespace MambaServe.Engine.Sampling;

/// <summary>
/// Cuts streamed text before the first stop string. Text arrives in deltas and a stop string may straddle them, so
/// the longest tail that could still begin a stop string is held back until the next delta decides it. Ordinal
/// comparison, as vLLM and OpenAI. Not thread-safe: one per sequence.
/// </summary>
public sealed class StopStringMatcher
{
    private readonly string[] _stops;
    private readonly int _longest;
    private readonly StringBuilder _held = new();
    private bool _stopped;

    public StopStringMatcher(IReadOnlyList<string> stops)
    {
        ArgumentNullException.ThrowIfNull(stops);
        _stops = stops.Where(s => !string.IsNullOrEmpty(s)).Distinct(StringComparer.Ordinal).ToArray();
        _longest = _stops.Length == 0 ? 0 : _stops.Max(s => s.Length);
    }

    /// <summary>
    /// Adds a delta. Returns the text that is now safe to emit and whether a stop string matched; on a match the text
    /// ends just before the stop string and every later call emits nothing.
    /// </summary>
    public (string Emit, bool Stopped) Push(string delta)
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
        var match = FirstMatch(text);
        if (match >= 0)
        {
            _stopped = true;
            _held.Clear();
            return (text[..match], true);
        }
        var keep = PossibleStopPrefixLength(text);
        _held.Clear().Append(text, text.Length - keep, keep);
        return (text[..^keep], false);
    }

    /// <summary>Releases held-back text at the end of the sequence (nothing after a stop).</summary>
    public string Flush()
    {
        var text = _stopped ? string.Empty : _held.ToString();
        _held.Clear();
        return text;
    }

    private int FirstMatch(string text)
    {
        var first = -1;
        foreach (var stop in _stops)
        {
            var at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first))
            {
                first = at;
            }
        }
        return first;
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
