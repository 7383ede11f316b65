using System.Text.Json;
using MambaServe.Engine.Tokenization;
using MambaServe.Server.OpenAi.Chat.Templates;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// The model's own chat template, rendered as transformers' apply_chat_template renders it: Jinja with trim_blocks
/// and lstrip_blocks, globals <c>messages</c> (role, content, and name when given), <c>add_generation_prompt</c>,
/// <c>tools</c> and <c>documents</c> (none), the special tokens of tokenizer_config.json (bos_token, eos_token, ...),
/// <c>raise_exception(msg)</c> and <c>strftime_now(format)</c>. The rendered text is then tokenized as is: special
/// tokens in it (bos_token, &lt;|im_start|&gt;, ...) encode as their ids because the tokenizer matches added tokens first.
/// </summary>
public sealed class ModelChatTemplate
{
    private readonly JinjaTemplate _template;
    private readonly IReadOnlyDictionary<string, string> _specialTokens;
    private readonly TimeProvider _time;

    private ModelChatTemplate(JinjaTemplate template, IReadOnlyDictionary<string, string> specialTokens, TimeProvider time)
    {
        _template = template;
        _specialTokens = specialTokens;
        _time = time;
    }

    /// <summary>The tokenizer's template, compiled; null when the model has none (chat then uses <see cref="DefaultChatTemplate"/>).</summary>
    /// <exception cref="InvalidDataException">The template does not parse: one line naming the template line and the reason.</exception>
    public static ModelChatTemplate? FromTokenizer(MambaTokenizer? tokenizer, TimeProvider? time = null) =>
        tokenizer?.ChatTemplate is { } source ? Parse(source, tokenizer.SpecialTokens, time) : null;

    /// <exception cref="InvalidDataException">The template does not parse.</exception>
    public static ModelChatTemplate Parse(string source, IReadOnlyDictionary<string, string> specialTokens, TimeProvider? time = null)
    {
        try
        {
            return new ModelChatTemplate(JinjaTemplate.Parse(source, TemplateOptions.HuggingFace), specialTokens, time ?? TimeProvider.System);
        }
        catch (TemplateException ex)
        {
            throw new InvalidDataException($"The model's chat_template is not a template this server can run: {ex.Message}", ex);
        }
    }

    /// <summary>The names of the special-token variables (bos_token, eos_token, ...) the template is given.</summary>
    public IEnumerable<string> SpecialTokenNames => _specialTokens.Keys;

    /// <summary>
    /// The prompt for <paramref name="messages"/>; a template error (raise_exception included) is a 400 on messages.
    /// <paramref name="extra"/> (chat_template_kwargs) adds variables; the caller has refused names that collide.
    /// <paramref name="tools"/> is the request's tools list when the model is to call one (templates that know tools
    /// describe them in the prompt), else null.
    /// </summary>
    public string Render(
        IReadOnlyList<ChatMessage?>? messages, bool addGenerationPrompt, IReadOnlyDictionary<string, JsonElement>? extra = null, JsonElement? tools = null)
    {
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = Messages(messages),
            ["add_generation_prompt"] = addGenerationPrompt,
            ["tools"] = tools,
            ["documents"] = null,
            ["raise_exception"] = new TemplateFunction("raise_exception", args =>
                throw new TemplateRaisedException(args.Count > 0 ? TemplateFunction.Text(args[0]) : "raise_exception() called")),
            ["strftime_now"] = new TemplateFunction("strftime_now", args => Strftime.Format(_time.GetLocalNow(), args.Count > 0 ? TemplateFunction.Text(args[0]) : string.Empty)),
        };
        foreach (var (name, token) in _specialTokens)
        {
            variables[name] = token;
        }

        foreach (var (name, value) in extra ?? new Dictionary<string, JsonElement>())
        {
            variables.TryAdd(name, value);
        }

        try
        {
            return _template.Render(variables);
        }
        catch (TemplateRaisedException ex)
        {
            throw ApiException.BadRequest($"chat template error: {ex.Detail}", "messages");
        }
        catch (TemplateException ex)
        {
            throw ApiException.BadRequest($"chat template error: {ex.Message}", "messages");
        }
    }

    private static List<object?> Messages(IReadOnlyList<ChatMessage?>? messages)
    {
        if (messages is null || messages.Count == 0)
        {
            throw ApiException.BadRequest("messages must be a non-empty array.", "messages");
        }

        var result = new List<object?>(messages.Count);
        for (int i = 0; i < messages.Count; i++)
        {
            var message = messages[i] ?? throw ApiException.BadRequest($"messages[{i}] must be an object with a role and content.", "messages");
            if (string.IsNullOrEmpty(message.Role))
            {
                throw ApiException.BadRequest($"messages[{i}].role must be a non-empty string.", "messages");
            }

            // A map in insertion order: templates that print or tojson a message see role, content, name.
            var entry = new List<KeyValuePair<string, object?>>
            {
                new("role", message.Role),
                new("content", DefaultChatTemplate.Content(message.Content)),
            };
            if (message.Name is not null)
            {
                entry.Add(new("name", message.Name));
            }

            if (message.ToolCalls is { ValueKind: JsonValueKind.Array } calls)
            {
                entry.Add(new("tool_calls", ChatToolHistory.ForTemplate(calls)));
            }

            if (message.ToolCallId is not null)
            {
                entry.Add(new("tool_call_id", message.ToolCallId));
            }

            result.Add(entry);
        }

        return result;
    }
}
