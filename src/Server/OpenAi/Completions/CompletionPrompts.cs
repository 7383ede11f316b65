using System.Text.Json;
using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi.Completions;

/// <summary>Reads the completions "prompt" field in its four OpenAI forms into tokenized prompts.</summary>
public static class CompletionPrompts
{
    private const string Param = "prompt";

    public static IReadOnlyList<PreparedPrompt> Parse(JsonElement? prompt, IServedModel model)
    {
        if (prompt is not { } element || element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            throw ApiException.BadRequest("prompt is required.", Param);
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return [PromptBuilder.FromText(model, element.GetString()!, Param)];
            case JsonValueKind.Array when element.GetArrayLength() == 0:
                throw ApiException.BadRequest("prompt must not be empty.", Param);
            case JsonValueKind.Array:
                return ParseArray(element, model);
            default:
                throw ApiException.BadRequest("prompt must be a string, an array of strings, an array of token ids or an array of token-id arrays.", Param);
        }
    }

    private static IReadOnlyList<PreparedPrompt> ParseArray(JsonElement array, IServedModel model)
    {
        var first = array[0].ValueKind;
        if (first == JsonValueKind.Number)
        {
            return [PromptBuilder.FromTokens(model, TokenIds(array), Param)];
        }

        var prompts = new List<PreparedPrompt>();
        foreach (var item in array.EnumerateArray())
        {
            prompts.Add(item.ValueKind switch
            {
                JsonValueKind.String when first == JsonValueKind.String => PromptBuilder.FromText(model, item.GetString()!, Param),
                JsonValueKind.Array when first == JsonValueKind.Array => PromptBuilder.FromTokens(model, TokenIds(item), Param),
                _ => throw ApiException.BadRequest("prompt arrays must hold only strings, only token ids, or only token-id arrays.", Param),
            });
        }

        return prompts;
    }

    private static List<int> TokenIds(JsonElement array)
    {
        var ids = new List<int>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out int id))
            {
                throw ApiException.BadRequest("Token ids must be integers.", Param);
            }

            ids.Add(id);
        }

        return ids;
    }
}
