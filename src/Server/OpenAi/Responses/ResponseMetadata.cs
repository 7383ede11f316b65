namespace MambaServe.Server.OpenAi.Responses;

/// <summary>OpenAI's metadata rules: at most 16 pairs, keys up to 64 characters, values strings up to 512.</summary>
public static class ResponseMetadata
{
    public const int MaxPairs = 16;
    public const int MaxKeyLength = 64;
    public const int MaxValueLength = 512;

    public static IReadOnlyDictionary<string, string> Validate(Dictionary<string, string?>? metadata)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (metadata is null)
        {
            return result;
        }

        if (metadata.Count > MaxPairs)
        {
            throw ApiException.BadRequest($"metadata may hold at most {MaxPairs} pairs.", "metadata");
        }

        foreach (var (key, value) in metadata)
        {
            if (key.Length > MaxKeyLength || !IsValidText(key))
            {
                throw ApiException.BadRequest($"metadata keys must be valid text of at most {MaxKeyLength} characters.", "metadata");
            }

            if (value is null || value.Length > MaxValueLength || !IsValidText(value))
            {
                throw ApiException.BadRequest($"metadata[{key}] must be a string of at most {MaxValueLength} characters.", "metadata");
            }

            result[key] = value;
        }

        return result;
    }

    private static bool IsValidText(string text) => Utf16Text.IsValid(text);
}
