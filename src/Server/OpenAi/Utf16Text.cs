using System.Text.Json;

namespace MambaServe.Server.OpenAi;

/// <summary>Checks for lone surrogates, which JSON allows (<c>"\ud800"</c>) but no tokenizer or UTF-8 writer accepts.</summary>
public static class Utf16Text
{
    /// <summary>
    /// The text a JSON string holds; null for another kind of value or for text with a lone surrogate, whether escaped
    /// (which <see cref="JsonElement.GetString"/> refuses with an exception) or not.
    /// </summary>
    public static string? StringOf(JsonElement value)
    {
        try
        {
            return value.ValueKind == JsonValueKind.String && value.GetString() is { } text && IsValid(text) ? text : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    public static bool IsValid(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }
}
