using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// The tool-call formats <c>--tool-call-parser</c> can name (vLLM's names), each a way to read calls out of an
/// answer's text for tool_choice <c>auto</c>: the one list behind the option's accepted values, its configuration's
/// validation and the readers.
/// </summary>
public static class ToolCallParsers
{
    public const string Hermes = "hermes";
    public const string Llama3Json = "llama3_json";
    public const string Pythonic = "pythonic";

    // Each name with its format: the one table the names, the option's accepted values and the readers come from.
    private static readonly (string Name, ToolCallReader Format)[] s_formats =
    [
        (Hermes, new(HermesToolCalls.Parse, HermesToolCalls.HeldFrom)),
        (Llama3Json, new(Llama3JsonToolCalls.Parse, Llama3JsonToolCalls.HeldFrom)),
        (Pythonic, new(PythonicToolCalls.Parse, PythonicToolCalls.HeldFrom)),
    ];

    public static IReadOnlyList<string> Names { get; } = [.. s_formats.Select(f => f.Name)];

    /// <summary>The names as a sentence names them, for the errors that ask for one: "hermes, llama3_json or pythonic".</summary>
    public static string NamesText { get; } = $"{string.Join(", ", Names.SkipLast(1))} or {Names[^1]}";

    /// <summary>Whether <paramref name="parser"/> is one of <see cref="Names"/> (case as written, as vLLM takes them).</summary>
    public static bool IsKnown(string parser) => Names.Contains(parser, StringComparer.Ordinal);

    /// <summary>The reader for <paramref name="parser"/>; <paramref name="several"/> false (parallel_tool_calls) keeps the first call only.</summary>
    public static ToolCallReader Reader(string parser, bool several)
    {
        var format = s_formats.FirstOrDefault(f => f.Name == parser).Format
            ?? throw new ArgumentOutOfRangeException(nameof(parser), parser, $"not one of {NamesText}");
        if (several)
        {
            return format;
        }

        return format with
        {
            Read = text =>
            {
                var (content, calls) = format.Read(text);
                return (content, [.. calls.Take(1)]);
            },
        };
    }

    /// <summary>The reader of the server's <see cref="ServerOptions.ToolCallParser"/>, which tool_choice auto needs (<see cref="ServerOptions.AutoToolChoice"/>).</summary>
    public static ToolCallReader Reader(ServerOptions server, bool several) =>
        Reader(server.ToolCallParser ?? throw new InvalidOperationException("tool_choice auto was decided without a tool-call parser"), several);
}
