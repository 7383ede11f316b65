using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// How an answer calls tools, decided once for chat, Responses and Anthropic's Messages: calls read from the text
/// (<see cref="Auto"/>: tool_choice auto, with the server's parser, <see cref="ToolCallParsers"/>), a JSON array of calls
/// (<see cref="RequiredOfSeveral"/>: required or any with several tools), or one forced call (<see cref="Forced"/>: a
/// named tool, or required with one); none of these is a text answer. Auto without the parser is a 400 whose hint
/// names the other choices in the API's own syntax.
/// </summary>
public sealed record ToolAnswerChoice(ForcedToolCall? Forced, bool Auto, bool RequiredOfSeveral)
{
    /// <param name="otherChoices">The choices the API offers instead of auto, e.g. "send `required`", ending the error's sentence.</param>
    public static ToolAnswerChoice Decide(ChatRequest chat, ServerOptions server, string otherChoices)
    {
        if (ForcedToolCall.AsksAuto(chat))
        {
            return server.AutoToolChoice ? new(null, true, false) : throw AutoUnsupported(otherChoices);
        }

        return ForcedToolCall.AsksRequiredOfSeveral(chat) ? new(null, false, true) : new(ForcedToolCall.Of(chat), false, false);
    }

    /// <summary>The 400 for tool_choice auto (the default with tools) on a server without a tool-call parser.</summary>
    public static ApiException AutoUnsupported(string otherChoices) => new(400,
        "tool_choice `auto` (the default with tools) is not supported without a parser for the model's tool-call format: start the server "
        + $"with --enable-auto-tool-choice and --tool-call-parser {ToolCallParsers.NamesText} (the format the model writes its calls in), or {otherChoices}.",
        ApiException.InvalidRequest, "tool_choice", "unsupported_parameter");
}
