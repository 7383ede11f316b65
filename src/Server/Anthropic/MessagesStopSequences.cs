namespace MambaServe.Server.Anthropic;

/// <summary>
/// Which stop sequence ended an answer. The engine keeps the matched stop string in the text for Messages requests
/// (include_stop_str_in_output) and holds back any text that may begin one, so a stop string always arrives whole at
/// the end of the answer's last update: an answer stopped by it ends with it, and one that ends with it was stopped by
/// it (the engine would have stopped there). Anthropic's answer leaves it out of the text and names it in
/// <c>stop_sequence</c>.
/// </summary>
public sealed class MessagesStopSequences(IReadOnlyList<string>? stops)
{
    /// <summary>
    /// <paramref name="text"/> (the whole answer, or its last update) without the stop sequence it ends with, and that
    /// sequence; unchanged and null unless the answer <paramref name="stopped"/> by itself.
    /// </summary>
    public (string Text, string? Matched) Cut(string text, bool stopped)
    {
        if (!stopped || stops is null)
        {
            return (text, null);
        }

        // Of stops that end the text, the longest: the engine's match starts first (["b", "ab"] on "xab" matched "ab").
        var matched = stops.Where(s => s.Length > 0 && text.EndsWith(s, StringComparison.Ordinal)).MaxBy(s => s.Length);
        return matched is null ? (text, null) : (text[..^matched.Length], matched);
    }
}
