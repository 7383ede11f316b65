using System.Text.Json;
using System.Text.Json.Serialization;
using MambaServe.Server.OpenAi.Validation;

namespace MambaServe.Server.OpenAi;

/// <summary>OpenAI's <c>stop</c>: a string, an array of strings, or null.</summary>
public sealed class StringOrListConverter : JsonConverter<List<string>>
{
    public override List<string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return [reader.GetString()!];
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new WireFormatException("must be a string or an array of strings");
        }

        var list = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new WireFormatException("must be a string or an array of strings (every item a string)");
            }

            list.Add(reader.GetString()!);
        }

        return list;
    }

    public override void Write(Utf8JsonWriter writer, List<string> value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value, options);
}
