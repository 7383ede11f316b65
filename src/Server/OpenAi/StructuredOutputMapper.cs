using System.Text.Json;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Structured;
using MambaServe.Engine.Tokenization;
using MambaServe.Server.Hosting;
using Grammars = MambaServe.Engine.Structured.StructuredOutputs;

namespace MambaServe.Server.OpenAi;

/// <summary>
/// The request's output format, from OpenAI's response_format, vLLM's structured_outputs or vLLM's older
/// guided_json / guided_regex / guided_choice, as the engine constraint that enforces it: JSON mode (one JSON object),
/// a JSON schema (<see cref="JsonSchemaCompiler"/> says which keywords), a regular expression (<see cref="RegexParser"/>)
/// or a choice among strings. A grammar or a structural tag is a 400 naming the field. docs/server.md has the rules.
/// </summary>
public static class StructuredOutputMapper
{
    /// <summary>Most choices one request may list (each is compared byte by byte against every vocabulary token).</summary>
    public const int MaxChoices = 1024;

    private const string Supported = "this server enforces JSON mode, JSON schemas, regular expressions and choices among strings";

    /// <summary>The constraint for the request's format, or null for free text.</summary>
    public static ITokenConstraintFactory? Map(SamplingRequest request, IServedModel model) =>
        Build(Kinds(request), model, request.IgnoreEos == true, request.MinTokens ?? 0);

    /// <summary>A forced tool call's constraint: its function's parameters schema (no other format beside it).</summary>
    public static ITokenConstraintFactory MapTool(Chat.ForcedToolCall tool, SamplingRequest request, IServedModel model)
    {
        var kinds = Kinds(request);
        string param = $"tools[{tool.ToolIndex}].function.parameters";
        kinds.Insert(0, ("tool_choice", FromSchema(tool.Parameters, param)));
        return Build(kinds, model, request.IgnoreEos == true, request.MinTokens ?? 0)!;
    }

    private static List<(string Param, Func<MambaTokenizer, ITokenConstraintFactory> Make)> Kinds(SamplingRequest request)
    {
        var kinds = new List<(string Param, Func<MambaTokenizer, ITokenConstraintFactory> Make)>();
        if (request.ResponseFormat is { ValueKind: not JsonValueKind.Null } format && FromResponseFormat(format) is { } fromFormat)
        {
            kinds.Add(("response_format", fromFormat));
        }

        if (request.StructuredOutputs is { ValueKind: not JsonValueKind.Null } outputs)
        {
            kinds.Add(FromStructuredOutputs(outputs));
        }

        if (request.GuidedChoice is { } guided)
        {
            kinds.Add(("guided_choice", t => StructuredOutputsChoice(guided, "guided_choice", t)));
        }

        if (request.GuidedJson is { ValueKind: not JsonValueKind.Null } guidedJson)
        {
            kinds.Add(("guided_json", FromSchema(guidedJson, "guided_json")));
        }

        if (request.GuidedRegex is { } guidedRegex)
        {
            kinds.Add(("guided_regex", FromRegex(JsonSerializer.SerializeToElement(guidedRegex), "guided_regex")));
        }

        return kinds;
    }

    /// <summary>gRPC's fields: json_object, a JSON schema's text, or a non-empty choice list (the same rules and 400s as REST).</summary>
    public static ITokenConstraintFactory? Map(
        bool jsonObject, string? jsonSchema, string? regex, IReadOnlyList<string> choice, bool ignoreEos, int minTokens, IServedModel model)
    {
        var kinds = new List<(string Param, Func<MambaTokenizer, ITokenConstraintFactory> Make)>();
        if (jsonObject)
        {
            kinds.Add(("json_object", Grammars.JsonObject));
        }

        if (jsonSchema is not null)
        {
            kinds.Add(("json_schema", FromSchema(JsonSerializer.SerializeToElement(jsonSchema), "json_schema")));
        }

        if (regex is not null)
        {
            kinds.Add(("regex", FromRegex(JsonSerializer.SerializeToElement(regex), "regex")));
        }

        if (choice.Count > 0)
        {
            kinds.Add(("choice", t => StructuredOutputsChoice(choice, "choice", t)));
        }

        return Build(kinds, model, ignoreEos, minTokens);
    }

    /// <summary>/v1/responses' <c>text.format</c>: <c>json_object</c>, or <c>json_schema</c> with its schema beside the type.</summary>
    public static ITokenConstraintFactory? MapResponsesText(JsonElement? text, IServedModel model)
    {
        var kinds = new List<(string Param, Func<MambaTokenizer, ITokenConstraintFactory> Make)>();
        if (text is { ValueKind: JsonValueKind.Object } t && t.TryGetProperty("format", out var format) && format.ValueKind == JsonValueKind.Object)
        {
            string? type = format.TryGetProperty("type", out var ty) && ty.ValueKind == JsonValueKind.String ? ty.GetString() : null;
            switch (type)
            {
                case "text":
                    break;
                case "json_object":
                    kinds.Add(("text.format", Grammars.JsonObject));
                    break;
                case "json_schema":
                    var schema = format.TryGetProperty("schema", out var s) && s.ValueKind != JsonValueKind.Null
                        ? s
                        : throw ApiException.BadRequest("text.format.schema is required.", "text.format.schema");
                    kinds.Add(("text.format", FromSchema(schema, "text.format.schema")));
                    break;
                default:
                    throw ApiException.BadRequest($"text.format.type must be `text`, `json_object` or `json_schema`, got `{type}`.", "text.format.type");
            }
        }

        return Build(kinds, model, ignoreEos: false, minTokens: 0);
    }

    private static ITokenConstraintFactory? Build(
        List<(string Param, Func<MambaTokenizer, ITokenConstraintFactory> Make)> kinds, IServedModel model, bool ignoreEos, int minTokens)
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

    private static Func<MambaTokenizer, ITokenConstraintFactory>? FromResponseFormat(JsonElement format)
    {
        string? type = format.ValueKind == JsonValueKind.Object && format.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
            ? t.GetString()
            : throw ApiException.BadRequest("response_format must be an object with a string `type`.", "response_format");
        return type switch
        {
            "text" => null,
            "json_object" => Grammars.JsonObject,
            "json_schema" => FromSchema(OpenAiSchema(format), "response_format.json_schema.schema"),
            _ => throw ApiException.BadRequest($"response_format.type must be `text`, `json_object` or `json_schema`, got `{type}`.", "response_format.type"),
        };
    }

    private static (string, Func<MambaTokenizer, ITokenConstraintFactory>) FromStructuredOutputs(JsonElement outputs)
    {
        if (outputs.ValueKind != JsonValueKind.Object)
        {
            throw ApiException.BadRequest("structured_outputs must be an object.", "structured_outputs");
        }

        var kinds = outputs.EnumerateObject().Where(p => p.Value.ValueKind is not (JsonValueKind.Null or JsonValueKind.False)).ToList();
        if (kinds.Count != 1)
        {
            throw ApiException.BadRequest(
                $"structured_outputs must set exactly one kind of constraint (`json_object` or `choice` here), got {kinds.Count}.", "structured_outputs");
        }

        var kind = kinds[0];
        string param = $"structured_outputs.{kind.Name}";
        return kind.Name switch
        {
            "json_object" when kind.Value.ValueKind == JsonValueKind.True => (param, Grammars.JsonObject),
            "json_object" => throw ApiException.BadRequest("structured_outputs.json_object must be true.", param),
            "choice" => (param, t => StructuredOutputsChoice(ReadChoices(kind.Value, param), param, t)),
            "json" => (param, FromSchema(kind.Value, param)),
            "regex" => (param, FromRegex(kind.Value, param)),
            "grammar" or "structural_tag" => throw Unsupported(param, $"{param} is not supported"),
            _ => throw ApiException.BadRequest($"Unknown structured_outputs field `{kind.Name}`.", param),
        };
    }

    /// <summary>OpenAI's <c>{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}</c>: its schema (strict or not, it is enforced).</summary>
    private static JsonElement OpenAiSchema(JsonElement format)
    {
        if (!format.TryGetProperty("json_schema", out var wrapper) || wrapper.ValueKind != JsonValueKind.Object)
        {
            throw ApiException.BadRequest("response_format.json_schema must be an object with the `schema`.", "response_format.json_schema");
        }

        return wrapper.TryGetProperty("schema", out var schema) && schema.ValueKind != JsonValueKind.Null
            ? schema
            : throw ApiException.BadRequest("response_format.json_schema.schema is required.", "response_format.json_schema.schema");
    }

    /// <summary>
    /// A JSON schema given as an object or (vLLM allows both) as its JSON text, compiled now, so that a schema the
    /// grammar cannot enforce is a 400 naming where in it.
    /// </summary>
    private static Func<MambaTokenizer, ITokenConstraintFactory> FromSchema(JsonElement schema, string param)
    {
        if (schema.ValueKind == JsonValueKind.String)
        {
            try
            {
                using var doc = JsonDocument.Parse(schema.GetString()!);
                schema = doc.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw ApiException.BadRequest($"{param} is not valid JSON: {ex.Message}", param);
            }
        }

        if (schema.ValueKind is not (JsonValueKind.Object or JsonValueKind.True))
        {
            throw ApiException.BadRequest($"{param} must be a JSON schema (an object).", param);
        }

        try
        {
            var root = Grammars.CompileSchema(schema);
            return t => Grammars.JsonSchema(t, root);
        }
        catch (SchemaNotSupportedException ex)
        {
            throw new ApiException(400, $"{param} cannot be enforced: {ex.Message}.", ApiException.InvalidRequest, param, "unsupported_parameter");
        }
    }

    /// <summary>A regular expression the whole output must match, parsed now, so a construct it does not take is a 400.</summary>
    private static Func<MambaTokenizer, ITokenConstraintFactory> FromRegex(JsonElement pattern, string param)
    {
        if (pattern.ValueKind != JsonValueKind.String)
        {
            throw ApiException.BadRequest($"{param} must be a string (a regular expression).", param);
        }

        try
        {
            var program = Grammars.CompileRegex(pattern.GetString()!);
            return t => Grammars.Regex(t, program);
        }
        catch (RegexNotSupportedException ex)
        {
            throw new ApiException(400, $"{param} cannot be enforced: {ex.Message}.", ApiException.InvalidRequest, param, "unsupported_parameter");
        }
    }

    private static List<string> ReadChoices(JsonElement value, string param)
    {
        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(c => c.ValueKind != JsonValueKind.String))
        {
            throw ApiException.BadRequest($"{param} must be an array of strings.", param);
        }

        return [.. value.EnumerateArray().Select(c => c.GetString()!)];
    }

    private static ITokenConstraintFactory StructuredOutputsChoice(IReadOnlyList<string> choices, string param, MambaTokenizer tokenizer)
    {
        if (choices.Count == 0 || choices.Count > MaxChoices)
        {
            throw ApiException.BadRequest($"{param} must list 1 to {MaxChoices} strings, got {choices.Count}.", param);
        }

        return Grammars.Choice(tokenizer, choices);
    }

    private static ApiException Unsupported(string param, string what) =>
        new(400, $"{what}: {Supported} (response_format `json_object` or `json_schema`, structured_outputs `json_object`, `json`, `regex` or `choice`, guided_json, guided_regex, guided_choice).",
            ApiException.InvalidRequest, param, "unsupported_parameter");
}
