using MambaServe.Server.Hosting;
using MambaServe.Server.OpenAi.Chat;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// How a response's text becomes its output, by the request's tool choice, as the chat endpoint answers the same
/// choice: no tools (or <c>none</c>): the text is the message. A function forced by name, or <c>required</c> with one
/// tool: the text is that call's arguments, held to its parameters schema. <c>required</c> with several tools: the text
/// is a JSON array of calls (<see cref="RequiredToolCalls"/>). <c>auto</c> (the default with tools) with the server's
/// Hermes parser on: calls written in the Hermes format (<see cref="HermesToolCalls"/>), the text before them the
/// message; without the parser it is a 400 that says what to send instead.
/// </summary>
public sealed class ResponseToolAnswer
{
    private readonly ToolCallReader _reader;

    private ResponseToolAnswer(ForcedToolCall? forced, bool required, ToolCallReader reader)
    {
        Forced = forced;
        RequiredOfSeveral = required;
        _reader = reader;
    }

    public static readonly ResponseToolAnswer Text = new(null, false, ToolCallReader.Text);

    /// <summary>The function every answer calls (by name, or required with one tool): the text is its arguments.</summary>
    public ForcedToolCall? Forced { get; }

    /// <summary><c>required</c> with several tools: the text is a JSON array of calls, held to the tools' schemas.</summary>
    public bool RequiredOfSeveral { get; }

    /// <summary>Whether the model may call a tool, so the template is shown the tools.</summary>
    public bool MayCall => this != Text;

    public static ResponseToolAnswer For(ResponseTools tools, ServerOptions server)
    {
        // none, or auto without tools: a text answer (OpenAI takes either choice with no tools).
        if (tools.Functions.Count == 0)
        {
            return Text;
        }

        var choice = ToolAnswerChoice.Decide(tools.AsChat(), server,
            "name the function ({\"type\": \"function\", \"name\": ...}), send `required`, or `none` for a text answer");
        return choice switch
        {
            { Auto: true } => new ResponseToolAnswer(null, false, ToolCallParsers.Reader(server, tools.Parallel)),
            { RequiredOfSeveral: true } => new ResponseToolAnswer(null, true, ToolCallReader.Required),
            { Forced: { } forced } => new ResponseToolAnswer(forced, false, ToolCallReader.Forced(forced.Name)),
            _ => Text,
        };
    }

    /// <summary>A whole answer's message text (null: none) and calls; an answer without a readable call is all text.</summary>
    public (string? Content, IReadOnlyList<ChatFunctionCall> Calls) Read(string text) => _reader.Read(text);

    /// <summary>How much of a partial answer may stream as message text now: the rest may still be (part of) a call.</summary>
    public int StreamableText(string text) => _reader.HeldFrom(text);
}
