using System.Text.Json;
using MambaServe.Engine.Generation;
using MambaServe.Server.Hosting;
using MambaServe.Server.OpenAi.Chat;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// Turns a Responses request into a prompt. The whole conversation (the stored messages, the previous output as an
/// assistant message, the new input; <c>instructions</c> as the system message) is rendered through the chat template
/// the chat endpoint uses. When the previous response's state is there and the text it holds is a prefix of that
/// rendering, only the rest is prefilled, after the previous response's pending token; otherwise (a template without
/// that prefix property, changed instructions, no saved state) the whole rendering is prefilled from zero and nothing
/// counts as cached. Either way the model sees the same text as if the conversation had been sent in one request.
/// Function calls and their results render as the chat endpoint renders an assistant's tool_calls and tool messages.
/// </summary>
public static class ConversationPlanner
{
    /// <param name="tools">The tools in chat form when the model may call one (the template shows them), else null.</param>
    /// <param name="warmUp">
    /// A warm-up (a WebSocket's <c>generate: false</c>): the conversation rendered without the assistant's turn opener,
    /// so that the next turn's rendering starts with it and continues from its state.
    /// </param>
    public static ConversationPlan Plan(
        IServedModel model, string? instructions, IReadOnlyList<ConversationMessage> input, StoredConversation? previous, InitialState? previousState,
        JsonElement? tools = null, bool warmUp = false)
    {
        var messages = new List<ConversationMessage>(previous?.Messages ?? []);
        messages.AddRange(input);
        string rendered;
        try
        {
            ResponseInputParser.CheckToolOutputs(messages);
            rendered = Render(model, instructions, messages, tools, addGenerationPrompt: !warmUp);
        }
        catch
        {
            previousState?.Release();
            throw;
        }

        if (previous is not null && previousState is not null && rendered.StartsWith(previous.ContextText, StringComparison.Ordinal))
        {
            var rest = rendered[previous.ContextText.Length..];
            var tokens = new List<int>();
            if (previous.PendingToken is { } pending)
            {
                tokens.Add(pending);
            }

            tokens.AddRange(PromptBuilder.RequireTokenizer(model, "input").Encode(rest));
            if (tokens.Count > 0)
            {
                var prompt = Checked(model, tokens, rest, previousState);
                return new ConversationPlan(prompt, previousState, previous.StateTokens, messages, rendered);
            }
        }

        previousState?.Release();
        var whole = PromptBuilder.FromText(model, rendered, "input");
        // The previous turns are prefilled again (their tokens, pending one included, are the history); only what this
        // request adds counts against the prompt limit, or a long conversation would fail at a turn that cannot be
        // continued (an answer starting with a letter, an evicted state) and not at the next.
        int history = previous is null ? 0 : previous.StateTokens + (previous.PendingToken is null ? 0 : 1);
        return new ConversationPlan(whole, null, 0, messages, rendered) { HistoryTokens = Math.Clamp(history, 0, whole.Tokens.Count - 1) };
    }

    /// <summary>The conversation as the chat endpoint would render it, ending with the assistant's turn opener (unless <paramref name="addGenerationPrompt"/> is false).</summary>
    public static string Render(
        IServedModel model, string? instructions, IReadOnlyList<ConversationMessage> messages, JsonElement? tools = null, bool addGenerationPrompt = true)
    {
        var chat = new List<ChatMessage>(messages.Count + 1);
        if (instructions is not null)
        {
            chat.Add(Message(new ConversationMessage("system", instructions)));
        }

        chat.AddRange(messages.Select(Message));
        return model.ChatTemplate is { } template
            ? template.Render(chat, addGenerationPrompt, tools: tools)
            : DefaultChatTemplate.Render(chat, addGenerationPrompt);
    }

    private static PreparedPrompt Checked(IServedModel model, List<int> tokens, string rest, InitialState state)
    {
        try
        {
            return PromptBuilder.FromTokens(model, tokens, "input") with { Text = rest };
        }
        catch
        {
            state.Release();
            throw;
        }
    }

    /// <summary>A message as the chat endpoint takes it: calls as chat's tool_calls (content null when the calls are all), a result as a tool message.</summary>
    private static ChatMessage Message(ConversationMessage message) => new()
    {
        Role = message.Role,
        Content = message.ToolCalls is { Count: > 0 } && message.Content.Length == 0 ? null : JsonSerializer.SerializeToElement(message.Content),
        ToolCalls = message.ToolCalls is { Count: > 0 } calls
            ? JsonSerializer.SerializeToElement(calls.Select(c => new { id = c.CallId, type = "function", function = new { name = c.Name, arguments = c.Arguments } }))
            : null,
        ToolCallId = message.ToolCallId,
    };
}
