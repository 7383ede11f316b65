using System.Text.Json;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// The input of a <c>response.steer</c>: what OpenAI takes for steering, the shape of <c>response.create</c>'s input
/// restricted to user messages (a string, or a non-empty list of <c>{"role": "user", "content"}</c> items with an
/// optional <c>"type": "message"</c>, content a string or text parts). Read into input items, so that queued steers join
/// the input of the response that commits them, in the order they were sent.
/// </summary>
public static class ResponseSteerInput
{
    /// <summary>The steer's input as input items; an input a steer cannot carry is a 400 naming its path.</summary>
    public static IReadOnlyList<JsonElement> Read(JsonElement input)
    {
        if (input.ValueKind == JsonValueKind.Array)
        {
            int index = 0;
            foreach (var item in input.EnumerateArray())
            {
                CheckUserMessage(item, $"input[{index++}]");
            }
        }

        // Text, parts and the rest are checked as a response's input is (images and files are refused there).
        ResponseInputParser.Parse(input);
        return input.ValueKind == JsonValueKind.String ? [UserMessage(input)] : [.. input.EnumerateArray().Select(item => item.Clone())];
    }

    /// <summary>
    /// The input of the response that commits queued steers: every steer's items in the order sent, then
    /// <paramref name="input"/>'s (a string as one user message; none when left out).
    /// </summary>
    public static JsonElement Join(IEnumerable<IReadOnlyList<JsonElement>> steers, JsonElement? input)
    {
        var items = steers.SelectMany(steer => steer).ToList();
        if (input is { ValueKind: JsonValueKind.String } text)
        {
            items.Add(UserMessage(text));
        }
        else if (input is { ValueKind: JsonValueKind.Array } list)
        {
            items.AddRange(list.EnumerateArray());
        }

        return JsonSerializer.SerializeToElement(items);
    }

    /// <summary>Steering takes only the user's messages: another role, a tool output or another item is a 400.</summary>
    private static void CheckUserMessage(JsonElement item, string path)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            return; // the parser names it
        }

        if (item.TryGetProperty("type", out var type) && !(type.ValueKind == JsonValueKind.String && type.ValueEquals("message")))
        {
            throw ApiException.BadRequest($"{path}.type: steering takes only user messages (type message), not tool outputs or other items.", $"{path}.type");
        }

        if (!item.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String || !role.ValueEquals("user"))
        {
            throw ApiException.BadRequest($"{path}.role: steering takes only user messages (role user).", $"{path}.role");
        }
    }

    private static JsonElement UserMessage(JsonElement text) => JsonSerializer.SerializeToElement(new { type = "message", role = "user", content = text });
}
