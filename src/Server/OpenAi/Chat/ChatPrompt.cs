using System.Text.Json;
using MambaServe.Engine.Tokenization;
using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// The prompt text of a chat request: which template renders it (the request's, when the server trusts request
/// templates; the model's; else <see cref="DefaultChatTemplate"/>), with vLLM's add_generation_prompt,
/// continue_final_message and chat_template_kwargs applied. docs/server.md gives the rules and refusals.
/// </summary>
public static class ChatPrompt
{
    // Variables the server gives every template itself: a kwarg may not replace them (vLLM would let some through,
    // or fail inside transformers); the request field, where there is one, is the way to set them.
    private static readonly Dictionary<string, string> s_reserved = new(StringComparer.Ordinal)
    {
        ["messages"] = "send them as the messages field",
        ["add_generation_prompt"] = "use the request's add_generation_prompt field",
        ["continue_final_message"] = "use the request's continue_final_message field",
        ["chat_template"] = "a request's template goes in the chat_template field",
        ["tokenize"] = "the server tokenizes the rendered prompt itself",
        ["tools"] = "this server does not call tools",
        ["documents"] = "the server sets it",
        ["raise_exception"] = "the server defines it",
        ["strftime_now"] = "the server defines it",
    };

    private static readonly JsonSerializerOptions s_toolsJson = new(OpenAiJson.Options)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The rendered prompt (400s name the field at fault).</summary>
    /// <param name="tool">The call the request forces (<see cref="ForcedToolCall.Of"/>), or null: the template then sees no tools, unless <paramref name="withTools"/>.</param>
    /// <param name="withTools">An auto tool choice: the template sees the tools and the model may call one.</param>
    public static string Render(ChatRequest request, IServedModel model, ServerOptions server, ForcedToolCall? tool = null, bool withTools = false)
    {
        bool continueFinal = request.ContinueFinalMessage == true;
        if (continueFinal && request.AddGenerationPrompt == true)
        {
            throw ApiException.BadRequest("Cannot set both `continue_final_message` and `add_generation_prompt` to True.", "continue_final_message");
        }

        var template = RequestTemplate(request, model, server) ?? model.ChatTemplate;
        // The default template knows five roles; a model's own template decides which roles it takes.
        var messages = ChatMessageValidator.Validate(request.Messages, template is null ? ChatMessageValidator.Roles : null);
        if (continueFinal && messages[^1].Role != "assistant")
        {
            throw ApiException.BadRequest(
                $"continue_final_message needs the last message to be the assistant's; messages[{messages.Count - 1}].role is `{messages[^1].Role}`.",
                $"messages[{messages.Count - 1}].role");
        }

        var kwargs = Kwargs(request.ChatTemplateKwargs, template);
        bool addGenerationPrompt = !continueFinal && (request.AddGenerationPrompt ?? true);
        if (template is null)
        {
            // The default template takes no variables: kwargs change nothing (vLLM drops those a template does not use).
            return DefaultChatTemplate.Render(messages, addGenerationPrompt, continueFinal);
        }

        // As vLLM: the template sees the tools whenever the model may be made to call one (fields the client left out
        // stay out, so `tools | tojson` prints what was sent).
        var tools = tool is not null || withTools ? ToolsForTemplate(request.Tools) : (JsonElement?)null;
        var text = template.Render(messages, addGenerationPrompt, kwargs, tools);
        return continueFinal ? CutAfterFinalMessage(text, DefaultChatTemplate.Content(messages[^1].Content)) : text;
    }

    /// <summary>The tools as a template sees them: chat's form, with the fields the client left out left out.</summary>
    public static JsonElement ToolsForTemplate(IReadOnlyList<ChatTool>? tools) => JsonSerializer.SerializeToElement(tools, s_toolsJson);

    /// <summary>
    /// transformers' continue_final_message: the text up to the last occurrence of the final message's content, so
    /// what the template wrote after it (end of turn, later tags) is gone. Trailing spaces the template trimmed stay trimmed.
    /// </summary>
    internal static string CutAfterFinalMessage(string rendered, string final)
    {
        var stripped = final.Trim();
        int at = rendered.LastIndexOf(stripped, StringComparison.Ordinal);
        if (at < 0)
        {
            throw ApiException.BadRequest(
                "continue_final_message is set but the final message does not appear in the chat after applying the chat template.", "messages");
        }

        var lstripped = final.TrimStart();
        bool preserved = string.CompareOrdinal(rendered, at, lstripped, 0, lstripped.Length) == 0 && at + lstripped.Length <= rendered.Length;
        return rendered[..(at + (preserved ? lstripped.Length : stripped.Length))];
    }

    private static ModelChatTemplate? RequestTemplate(ChatRequest request, IServedModel model, ServerOptions server)
    {
        if (request.ChatTemplate is not { } source)
        {
            return null;
        }

        if (!server.TrustRequestChatTemplate)
        {
            throw new ApiException(400,
                "chat_template is not supported: this server does not take a chat template from the request; it renders with the model's own "
                + "template (or its default). An operator can allow request templates with MambaServe:Server:TrustRequestChatTemplate "
                + "(vLLM's --trust-request-chat-template).",
                ApiException.InvalidRequest, "chat_template", "unsupported_parameter");
        }

        if (source.Length > server.MaxRequestChatTemplateChars)
        {
            throw ApiException.BadRequest(
                $"chat_template must be at most {server.MaxRequestChatTemplateChars} characters long; it has {source.Length}.", "chat_template");
        }

        try
        {
            var tokens = model.Tokenizer?.SpecialTokens ?? new Dictionary<string, string>();
            return ModelChatTemplate.Parse(source, tokens);
        }
        catch (InvalidDataException ex)
        {
            throw ApiException.BadRequest($"chat_template is not a template this server can run: {ex.InnerException?.Message ?? ex.Message}", "chat_template");
        }
    }

    private static Dictionary<string, JsonElement>? Kwargs(Dictionary<string, JsonElement>? kwargs, ModelChatTemplate? template)
    {
        if (kwargs is null)
        {
            return null;
        }

        foreach (var (key, value) in kwargs)
        {
            if (s_reserved.TryGetValue(key, out var why))
            {
                throw ApiException.BadRequest($"chat_template_kwargs cannot set `{key}`: the server gives the template that variable itself; {why}.", $"chat_template_kwargs.{key}");
            }

            if (MambaTokenizer.SpecialTokenAttributes.Contains(key) || key == "additional_special_tokens"
                || template?.SpecialTokenNames.Contains(key) == true)
            {
                throw ApiException.BadRequest($"chat_template_kwargs cannot set `{key}`: the template gets the tokenizer's special tokens as they are.", $"chat_template_kwargs.{key}");
            }

            CheckNumbers(value, $"chat_template_kwargs.{key}");
        }

        return kwargs;
    }

    // A template sees numbers as Python would (int or float); a number no double holds (1e400) has no such value.
    private static void CheckNumbers(JsonElement value, string path)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Number when !value.TryGetInt64(out _) && !(value.TryGetDouble(out double d) && double.IsFinite(d)):
                throw ApiException.BadRequest($"{path} is a number out of range.", path);
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    CheckNumbers(item, $"{path}[{i++}]");
                }

                break;
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    CheckNumbers(property.Value, $"{path}.{property.Name}");
                }

                break;
        }
    }
}
