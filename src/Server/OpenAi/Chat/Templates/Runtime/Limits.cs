namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

/// <summary>
/// Bounds that keep one render finite whatever the template does (Jinja's sandbox bounds range() the same way):
/// a template comes with the model, but it runs on every request and must not hang or exhaust the server.
/// </summary>
internal static class Limits
{
    public const int MaxRange = 100_000;

    public const int MaxSequence = 1 << 24;

    public const int MaxString = 1 << 26;

    public const int MaxSteps = 2_000_000;

    public const int MaxMacroDepth = 64;

    public static string CheckString(string value) =>
        value.Length > MaxString ? throw new TemplateException($"a string grew past {MaxString} characters") : value;

    public static void CheckLength(long length)
    {
        if (length > MaxString)
        {
            throw new TemplateException($"a string grew past {MaxString} characters");
        }
    }

    public static long CheckCount(long count) =>
        count > MaxSequence ? throw new TemplateException($"a list grew past {MaxSequence} items") : count;
}
