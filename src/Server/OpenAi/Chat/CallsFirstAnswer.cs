namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// What the formats whose calls must open the answer (Llama 3 JSON, pythonic) share when streaming: the answer is
/// held back whole while it may still open with calls, and streams as content from the moment it cannot.
/// </summary>
public static class CallsFirstAnswer
{
    /// <summary>
    /// 0 (hold everything) while <paramref name="text"/> is blank, opens with <paramref name="opener"/>, or opens with
    /// <paramref name="tag"/> or a part of it; else its length (nothing held).
    /// </summary>
    public static int HeldFrom(string text, char opener, string tag)
    {
        var rest = text.AsSpan().TrimStart();
        bool mayBeCalls = rest.IsEmpty || rest[0] == opener || rest.StartsWith(tag, StringComparison.Ordinal)
            || tag.AsSpan().StartsWith(rest, StringComparison.Ordinal);
        return mayBeCalls ? 0 : text.Length;
    }
}
