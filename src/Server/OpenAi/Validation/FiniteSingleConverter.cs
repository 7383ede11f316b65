using System.Text.Json;
using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Validation;

/// <summary>
/// Floats on the wire: a JSON number that fits a float. System.Text.Json reads 1e39 as infinity, which then fails
/// range checks with a misleading message ("temperature must be >= 0"); here it is refused as what it is.
/// </summary>
public sealed class FiniteSingleConverter : JsonConverter<float>
{
    public override float Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            // No message: the request reader names the field and the expected type from the path.
            throw new JsonException();
        }

        if (!reader.TryGetDouble(out double value) || !double.IsFinite(value) || Math.Abs(value) > float.MaxValue)
        {
            throw new WireFormatException("must be a finite number (at most 3.4e38 in magnitude)");
        }

        return (float)value;
    }

    public override void Write(Utf8JsonWriter writer, float value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}
