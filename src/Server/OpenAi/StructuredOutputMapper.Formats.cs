using System.Text.Json;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Structured;
using MambaServe.Engine.Tokenization;
using Grammars = MambaServe.Engine.Structured.StructuredOutputs;

namespace MambaServe.Server.OpenAi;

/// <summary>How each field's value becomes a format: its checks (400s naming the field) and the compiled grammar.</summary>
public static partial class StructuredOutputMapper
{
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
            "structural_tag" => FromStructuralTag(format, "response_format"),
            _ => throw ApiException.BadRequest($"response_format.type must be `text`, `json_object`, `json_schema` or `structural_tag`, got `{type}`.", "response_format.type"),
        };
    }

    private static FormatKind FromStructuredOutputs(JsonElement outputs)
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
            "json_object" when kind.Value.ValueKind == JsonValueKind.True => new(param, Grammars.JsonObject),
            "json_object" => throw ApiException.BadRequest("structured_outputs.json_object must be true.", param),
            "choice" => new(param, t => StructuredOutputsChoice(ReadChoices(kind.Value, param), param, t)),
            "json" => new(param, FromSchema(kind.Value, param)),
            "regex" => new(param, FromRegex(kind.Value, param)),
            "grammar" => new(param, FromGrammar(kind.Value, param)),
            "structural_tag" => new(param, FromStructuralTag(FromJsonText(kind.Value, param), param)),
            _ => throw ApiException.BadRequest($"Unknown structured_outputs field `{kind.Name}`.", param),
        };
    }

    /// <summary>
    /// vLLM's structural tag, <c>{"structures": [{"begin", "schema", "end"}], "triggers": [...]}</c>: free text in which
    /// each trigger must go on into a structure that begins with it (<see cref="StructuralTagGrammar"/>). Every schema is
    /// compiled now, and a tag whose structures no trigger starts, or that one output could read two ways, is a 400.
    /// xgrammar's newer <c>format</c> objects are a 400 saying what to send.
    /// </summary>
    private static Func<MambaTokenizer, ITokenConstraintFactory> FromStructuralTag(JsonElement tag, string param)
    {
        if (tag.ValueKind != JsonValueKind.Object)
        {
            throw ApiException.BadRequest($"{param} must be an object (or its JSON text) with `structures` and `triggers`.", param);
        }

        if (tag.TryGetProperty("format", out _))
        {
            throw Unsupported($"{param}.format", $"{param}.format (xgrammar's structural tag formats) is not supported; send `structures` and `triggers`");
        }

        var structures = NonEmptyArray(tag, "structures", param, JsonValueKind.Object).Select((s, i) =>
        {
            string path = $"{param}.structures[{i}]";
            var schema = s.TryGetProperty("schema", out var given) || s.TryGetProperty("structural_tag_schema", out given)
                ? given
                : throw ApiException.BadRequest($"{path}.schema is required.", $"{path}.schema");
            return (Field(s, "begin", path), SchemaOf(schema, $"{path}.schema"), Field(s, "end", path));
        }).ToList();
        var triggers = NonEmptyArray(tag, "triggers", param, JsonValueKind.String).Select(t => t.GetString()!).ToList();
        try
        {
            var grammar = Grammars.CompileStructuralTag(JsonSerializer.Serialize(tag), () => new StructuralTagGrammar(structures, triggers));
            return t => Grammars.StructuralTag(t, grammar);
        }
        catch (GrammarNotSupportedException ex)
        {
            throw new ApiException(400, $"{param} cannot be enforced: {ex.Message}.", ApiException.InvalidRequest, param, "unsupported_parameter");
        }

        static string Field(JsonElement structure, string name, string path) =>
            structure.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()!
                : throw ApiException.BadRequest($"{path}.{name} must be a string.", $"{path}.{name}");
    }

    /// <summary>A non-empty array field of <paramref name="tag"/> whose items are all of <paramref name="kind"/>.</summary>
    private static List<JsonElement> NonEmptyArray(JsonElement tag, string field, string param, JsonValueKind kind)
    {
        string path = $"{param}.{field}";
        if (!tag.TryGetProperty(field, out var array) || array.ValueKind != JsonValueKind.Array || array.GetArrayLength() == 0
            || array.EnumerateArray().Any(item => item.ValueKind != kind))
        {
            throw ApiException.BadRequest($"{path} must be a non-empty array of {(kind == JsonValueKind.String ? "strings" : "objects")}.", path);
        }

        return [.. array.EnumerateArray()];
    }

    /// <summary>vLLM takes schemas and structural tags as JSON or as JSON text: a string is parsed (400 when it is not JSON).</summary>
    private static JsonElement FromJsonText(JsonElement value, string param)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return value;
        }

        try
        {
            using var doc = JsonDocument.Parse(value.GetString()!);
            return doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw ApiException.BadRequest($"{param} is not valid JSON: {ex.Message}", param);
        }
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
        var root = SchemaOf(schema, param);
        return t => Grammars.JsonSchema(t, root);
    }

    /// <summary>A JSON schema (an object, or its JSON text) compiled; 400s naming <paramref name="param"/>.</summary>
    private static SchemaNode SchemaOf(JsonElement schema, string param)
    {
        schema = FromJsonText(schema, param);
        if (schema.ValueKind is not (JsonValueKind.Object or JsonValueKind.True))
        {
            throw ApiException.BadRequest($"{param} must be a JSON schema (an object).", param);
        }

        try
        {
            return Grammars.CompileSchema(schema);
        }
        catch (SchemaNotSupportedException ex)
        {
            throw new ApiException(400, $"{param} cannot be enforced: {ex.Message}.", ApiException.InvalidRequest, param, "unsupported_parameter");
        }
    }

    /// <summary>A regular expression the whole output must match, parsed now, so a construct it does not take is a 400.</summary>
    private static Func<MambaTokenizer, ITokenConstraintFactory> FromRegex(JsonElement pattern, string param) =>
        FromText(pattern, param, "a regular expression", text =>
        {
            var program = Grammars.CompileRegex(text);
            return t => Grammars.Regex(t, program);
        });

    /// <summary>A GBNF grammar whose <c>root</c> rule the whole output must match, compiled now, so a bad one is a 400 saying where.</summary>
    private static Func<MambaTokenizer, ITokenConstraintFactory> FromGrammar(JsonElement grammar, string param) =>
        FromText(grammar, param, "a grammar in GBNF", text =>
        {
            var compiled = Grammars.CompileGrammar(text);
            return t => Grammars.Grammar(t, compiled);
        });

    /// <summary>A format given as text, compiled by <paramref name="compile"/> now: not a string, or text it refuses, is a 400.</summary>
    private static Func<MambaTokenizer, ITokenConstraintFactory> FromText(
        JsonElement value, string param, string what, Func<string, Func<MambaTokenizer, ITokenConstraintFactory>> compile)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw ApiException.BadRequest($"{param} must be a string ({what}).", param);
        }

        try
        {
            return compile(value.GetString()!);
        }
        catch (Exception ex) when (ex is RegexNotSupportedException or GrammarNotSupportedException)
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
        new(400, $"{what}: {Supported} (response_format `json_object`, `json_schema` or `structural_tag`, structured_outputs `json_object`, `json`, `regex`, `choice`, `grammar` or `structural_tag`, guided_json, guided_regex, guided_choice, guided_grammar, grammar).",
            ApiException.InvalidRequest, param, "unsupported_parameter");
}
