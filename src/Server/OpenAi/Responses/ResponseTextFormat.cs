using System.Text.Json;
using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>The response's text.format as the request gave it: <c>text</c>, <c>json_object</c>, or <c>json_schema</c> with its name and schema.</summary>
public sealed record ResponseTextFormat(
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Name = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Schema = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Strict = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Description = null)
{
    /// <summary>The format of <paramref name="text"/> (a request's text field, checked), text when it names none.</summary>
    public static ResponseTextFormat Of(JsonElement? text)
    {
        if (text is not { ValueKind: JsonValueKind.Object } t || !t.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.Object)
        {
            return new("text");
        }

        string? String(string name) => format.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        return new(
            String("type") ?? "text",
            String("name"),
            format.TryGetProperty("schema", out var schema) && schema.ValueKind != JsonValueKind.Null ? schema.Clone() : null,
            format.TryGetProperty("strict", out var strict) && strict.ValueKind is JsonValueKind.True or JsonValueKind.False ? strict.GetBoolean() : null,
            String("description"));
    }
}
