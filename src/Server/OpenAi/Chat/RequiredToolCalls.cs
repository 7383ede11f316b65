using System.Text;
using System.Text.Json;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// <c>tool_choice: "required"</c> with several tools, as vLLM serves it: the answer is a JSON array of calls,
/// <c>[{"name": "f", "parameters": {...}}, ...]</c>, enforced by <see cref="Engine.Structured.ToolCallsGrammarState"/>
/// (each call's parameters by its tool's schema), and read back here into the message's tool calls (arguments: each
/// call's parameters as the model wrote them). An answer <c>max_tokens</c> cut short gives the calls it finished.
/// </summary>
public static class RequiredToolCalls
{
    public static (string? Content, IReadOnlyList<ChatFunctionCall> Calls) Parse(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var calls = new List<ChatFunctionCall>();
        // Read as far as the text goes (not a final block: a cut answer ends mid-call), taking each whole element.
        var reader = new Utf8JsonReader(bytes, isFinalBlock: false, default);
        long start = -1;
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth != 1)
                {
                    continue;
                }

                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    start = reader.TokenStartIndex;
                }
                else if (reader.TokenType == JsonTokenType.EndObject && start >= 0)
                {
                    using var call = JsonDocument.Parse(bytes.AsMemory((int)start, (int)(reader.BytesConsumed - start)));
                    calls.Add(new ChatFunctionCall(call.RootElement.GetProperty("name").GetString(), call.RootElement.GetProperty("parameters").GetRawText()));
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return (text, []);
        }

        return calls.Count > 0 ? (null, calls) : (text, []);
    }
}
