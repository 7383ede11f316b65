using System.Text.Json;

namespace MambaServe.Engine.Loading.Config;

/// <summary>
/// Typed, validating access to the keys of a config.json object; every error names the file and the key.
/// </summary>
internal sealed class JsonConfigObject
{
    private readonly JsonElement _element;

    public JsonConfigObject(string path, JsonElement element, string prefix = "")
    {
        Path = path;
        _element = element;
        Prefix = prefix;
    }

    public string Path { get; }

    private string Prefix { get; }

    public bool Has(string key) =>
        _element.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null;

    public int RequireInt(string key) => Has(key) ? GetInt(key, 0) : throw Missing(key);

    public int GetInt(string key, int fallback)
    {
        if (!TryGet(key, out var value))
        {
            return fallback;
        }

        // Python writes whole floats as "4.0" in some exported configs.
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number)
            && number == Math.Floor(number) && number is >= int.MinValue and <= int.MaxValue)
        {
            return (int)number;
        }

        throw Invalid(key, value, "an integer");
    }

    public int RequirePositiveInt(string key) => Positive(key, RequireInt(key));

    public int GetPositiveInt(string key, int fallback) => Positive(key, GetInt(key, fallback));

    public int? GetOptionalTokenId(string key)
    {
        if (!TryGet(key, out var value))
        {
            return null;
        }

        // Some configs list several EOS ids; the first is the canonical one.
        if (value.ValueKind == JsonValueKind.Array)
        {
            return value.GetArrayLength() == 0 ? null : GetIntValue(key, value[0]);
        }

        return GetIntValue(key, value);
    }

    public bool GetBool(string key, bool fallback)
    {
        if (!TryGet(key, out var value))
        {
            return fallback;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Invalid(key, value, "true or false"),
        };
    }

    public float GetFloat(string key, float fallback)
    {
        if (!TryGet(key, out var value))
        {
            return fallback;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && number > 0
            ? (float)number
            : throw Invalid(key, value, "a positive number");
    }

    public string? GetString(string key) =>
        TryGet(key, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString() : throw Invalid(key, value, "a string") : null;

    /// <summary>An integer, or <c>"auto"</c> (returned as null): the form of <c>dt_rank</c> / <c>time_step_rank</c>.</summary>
    public int? GetIntOrAuto(string key)
    {
        if (!TryGet(key, out var value) || (value.ValueKind == JsonValueKind.String && value.GetString() == "auto"))
        {
            return null;
        }

        return Positive(key, GetIntValue(key, value));
    }

    public JsonConfigObject? GetObject(string key)
    {
        if (!TryGet(key, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Object
            ? new JsonConfigObject(Path, value, $"{Prefix}{key}.")
            : throw Invalid(key, value, "an object");
    }

    public IEnumerable<JsonElement> GetArray(string key) =>
        TryGet(key, out var value)
            ? value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : throw Invalid(key, value, "an array")
            : [];

    public CheckpointException Error(string key, string problem) => new($"Config '{Path}', key '{Prefix}{key}': {problem}");

    private bool TryGet(string key, out JsonElement value) =>
        _element.TryGetProperty(key, out value) && value.ValueKind != JsonValueKind.Null;

    private int GetIntValue(string key, JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : throw Invalid(key, value, "an integer");

    private int Positive(string key, int value) => value > 0 ? value : throw Error(key, $"must be positive, got {value}.");

    private CheckpointException Missing(string key) => Error(key, "is required but missing.");

    private CheckpointException Invalid(string key, JsonElement value, string expected) =>
        Error(key, $"expected {expected}, got {value.GetRawText()}.");
}
