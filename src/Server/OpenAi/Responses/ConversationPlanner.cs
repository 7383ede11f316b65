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
/// </summary>
public static class ConversationPlanner
{
    public static ConversationPlan Plan(
        IServedModel model, string? instructions, IReadOnlyList<ConversationMessage> input, StoredConversation? previous, InitialState? previousState)
    {
        var messages = new List<ConversationMessage>(previous?.Messages ?? []);
        messages.AddRange(input);
        string rendered;
        try
        {
            rendered = Render(model, instructions, messages);
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
        return new ConversationPlan(PromptBuilder.FromText(model, rendered, "input"), null, 0, messages, rendered);
    }

    /// <summary>The conversation as the chat endpoint would render it, ending with the assistant's turn opener.</summary>
    public static string Render(IServedModel model, string? instructions, IReadOnlyList<ConversationMessage> messages)
    {
        var chat = new List<ChatMessage>(messages.Count + 1);
        if (instructions is not null)
        {
            chat.Add(Message("system", instructions));
        }

        chat.AddRange(messages.Select(m => Message(m.Role, m.Content)));
        return model.ChatTemplate is { } template
            ? template.Render(chat, addGenerationPrompt: true)
            : DefaultChatTemplate.Render(chat, addGenerationPrompt: true);
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

    private static ChatMessage Message(string role, string content) =>
        new() { Role = role, Content = JsonSerializer.SerializeToElement(content) };
}
