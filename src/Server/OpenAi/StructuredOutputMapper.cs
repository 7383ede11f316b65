using System.Text.Json;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Structured;
using MambaServe.Engine.Tokenization;
using MambaServe.Server.Hosting;
using Grammars = MambaServe.Engine.Structured.StructuredOutputs;

namespace MambaServe.Server.OpenAi;

/// <summary>
/// The request's output format, from OpenAI's response_format, vLLM's structured_outputs or vLLM's older
/// guided_json / guided_regex / guided_choice / guided_grammar (and llama.cpp's grammar), as the engine constraint that
/// enforces it: JSON mode (one JSON object), a JSON schema (<see cref="JsonSchemaCompiler"/> says which keywords), a
/// regular expression (<see cref="RegexParser"/>), a choice among strings, a GBNF grammar (<see cref="GbnfGrammar"/>) or
/// vLLM's structural tag (<see cref="StructuralTagGrammar"/>). docs/server.md has the rules.
/// </summary>
public static partial class StructuredOutputMapper
{
    /// <summary>Most choices one request may list (each is compared byte by byte against every vocabulary token).</summary>
    public const int MaxChoices = 1024;

    private const string Supported = "this server enforces JSON mode, JSON schemas, regular expressions, choices among strings, GBNF grammars and structural tags";

    /// <summary>The constraint for the request's format, or null for free text.</summary>
    public static ITokenConstraintFactory? Map(SamplingRequest request, IServedModel model) =>
        Build(Kinds(request), model, request.IgnoreEos == true, request.MinTokens ?? 0);

    /// <summary>A forced tool call's constraint: its function's parameters schema (no other format beside it).</summary>
    /// <param name="parametersField">Where a tool's schema sits in the request, for a 400's param: chat's <c>function.parameters</c>, Responses' <c>parameters</c>.</param>
    public static ITokenConstraintFactory MapTool(Chat.ForcedToolCall tool, SamplingRequest request, IServedModel model, string parametersField = "function.parameters")
    {
        var kinds = Kinds(request);
        string param = $"tools[{tool.ToolIndex}].{parametersField}";
        kinds.Insert(0, new("tool_choice", FromSchema(tool.Parameters, param)));
        return Build(kinds, model, request.IgnoreEos == true, request.MinTokens ?? 0)!;
    }

    /// <summary>tool_choice "required" with several tools: a JSON array of calls, each call's parameters by its tool's schema.</summary>
    /// <param name="several">OpenAI's parallel_tool_calls: false allows one call only.</param>
    public static ITokenConstraintFactory MapRequiredTools(
        IReadOnlyList<Chat.ChatTool> tools, bool several, SamplingRequest request, IServedModel model, string parametersField = "function.parameters")
    {
        var kinds = Kinds(request);
        List<(string, SchemaNode)> calls = [.. tools.Select((tool, i) => (tool.Function!.Name!, SchemaOf(
            Chat.ForcedToolCall.ParametersOf(tool.Function), $"tools[{i}].{parametersField}")))];
        string text = JsonSerializer.Serialize(new { several, tools = tools.Select(t => new { t.Function!.Name, Parameters = Chat.ForcedToolCall.ParametersOf(t.Function) }) });
        var grammar = Grammars.CompileToolCalls(text, () => new ToolCallsGrammar(calls, several));
        kinds.Insert(0, new("tool_choice", t => Grammars.ToolCalls(t, grammar)));
        return Build(kinds, model, request.IgnoreEos == true, request.MinTokens ?? 0)!;
    }

    private static List<FormatKind> Kinds(SamplingRequest request)
    {
        var kinds = new List<FormatKind>();
        if (request.ResponseFormat is { ValueKind: not JsonValueKind.Null } format && FromResponseFormat(format) is { } fromFormat)
        {
            kinds.Add(new("response_format", fromFormat));
        }

        if (request.StructuredOutputs is { ValueKind: not JsonValueKind.Null } outputs)
        {
            kinds.Add(FromStructuredOutputs(outputs));
        }

        if (request.GuidedChoice is { } guided)
        {
            kinds.Add(new("guided_choice", t => StructuredOutputsChoice(guided, "guided_choice", t)));
        }

        if (request.GuidedJson is { ValueKind: not JsonValueKind.Null } guidedJson)
        {
            kinds.Add(new("guided_json", FromSchema(guidedJson, "guided_json")));
        }

        if (request.GuidedRegex is { } guidedRegex)
        {
            kinds.Add(new("guided_regex", FromRegex(JsonSerializer.SerializeToElement(guidedRegex), "guided_regex")));
        }

        if (request.GuidedGrammar is { } guidedGrammar)
        {
            kinds.Add(new("guided_grammar", FromGrammar(JsonSerializer.SerializeToElement(guidedGrammar), "guided_grammar")));
        }

        if (request.Grammar is { } grammar)
        {
            kinds.Add(new("grammar", FromGrammar(JsonSerializer.SerializeToElement(grammar), "grammar")));
        }

        return kinds;
    }

    /// <summary>gRPC's fields: json_object, a JSON schema's text, a regex, a GBNF grammar or a non-empty choice list (the same rules and 400s as REST).</summary>
    public static ITokenConstraintFactory? Map(
        bool jsonObject, string? jsonSchema, string? regex, string? grammar, IReadOnlyList<string> choice, bool ignoreEos, int minTokens, IServedModel model)
    {
        var kinds = new List<FormatKind>();
        if (jsonObject)
        {
            kinds.Add(new("json_object", Grammars.JsonObject));
        }

        if (jsonSchema is not null)
        {
            kinds.Add(new("json_schema", FromSchema(JsonSerializer.SerializeToElement(jsonSchema), "json_schema")));
        }

        if (regex is not null)
        {
            kinds.Add(new("regex", FromRegex(JsonSerializer.SerializeToElement(regex), "regex")));
        }

        if (grammar is not null)
        {
            kinds.Add(new("grammar", FromGrammar(JsonSerializer.SerializeToElement(grammar), "grammar")));
        }

        if (choice.Count > 0)
        {
            kinds.Add(new("choice", t => StructuredOutputsChoice(choice, "choice", t)));
        }

        return Build(kinds, model, ignoreEos, minTokens);
    }

    /// <summary>A JSON schema the whole output follows, from a field at <paramref name="param"/> (Anthropic's <c>output_config.format.schema</c>).</summary>
    public static ITokenConstraintFactory MapSchema(JsonElement schema, string param, IServedModel model) =>
        Build([new(param, FromSchema(schema, param))], model, ignoreEos: false, minTokens: 0)!;

    /// <summary>/v1/responses' <c>text.format</c>: <c>json_object</c>, or <c>json_schema</c> with its schema beside the type.</summary>
    public static ITokenConstraintFactory? MapResponsesText(JsonElement? text, IServedModel model)
    {
        var kinds = new List<FormatKind>();
        if (text is { ValueKind: JsonValueKind.Object } t && t.TryGetProperty("format", out var format) && format.ValueKind == JsonValueKind.Object)
        {
            string? type = format.TryGetProperty("type", out var ty) && ty.ValueKind == JsonValueKind.String ? ty.GetString() : null;
            switch (type)
            {
                case "text":
                    break;
                case "json_object":
                    kinds.Add(new("text.format", Grammars.JsonObject));
                    break;
                case "json_schema":
                    var schema = format.TryGetProperty("schema", out var s) && s.ValueKind != JsonValueKind.Null
                        ? s
                        : throw ApiException.BadRequest("text.format.schema is required.", "text.format.schema");
                    kinds.Add(new("text.format", FromSchema(schema, "text.format.schema")));
                    break;
                default:
                    throw ApiException.BadRequest($"text.format.type must be `text`, `json_object` or `json_schema`, got `{type}`.", "text.format.type");
            }
        }

        return Build(kinds, model, ignoreEos: false, minTokens: 0);
    }

    private static ITokenConstraintFactory? Build(
        List<FormatKind> kinds, IServedModel model, bool ignoreEos, int minTokens)
    {
        if (kinds.Count == 0)
        {
            return null;
        }

        if (kinds.Count > 1)
        {
            throw ApiException.BadRequest($"Send one output format, not {string.Join(" and ", kinds.Select(k => k.Param))}.", kinds[1].Param);
        }

        var (param, make) = kinds[0];
        var tokenizer = model.Tokenizer
            ?? throw ApiException.BadRequest($"{param} needs the model's tokenizer, and `{model.Name}` is served without one.", param);
        if (tokenizer.EosTokenId is null)
        {
            throw ApiException.BadRequest($"{param} needs an end-of-sequence token to end the output, and `{model.Name}`'s tokenizer has none.", param);
        }

        if (ignoreEos)
        {
            throw ApiException.BadRequest($"ignore_eos cannot be combined with {param}: a structured output ends with EOS once it is complete.", "ignore_eos");
        }

        if (minTokens > 0)
        {
            throw ApiException.BadRequest($"min_tokens cannot be combined with {param}: it would ban the EOS that ends a complete output.", "min_tokens");
        }

        return make(tokenizer);
    }

    /// <summary>One output format a request asked for: the field it came from and how to make its constraint.</summary>
    private sealed record FormatKind(string Param, Func<MambaTokenizer, ITokenConstraintFactory> Make);
}
