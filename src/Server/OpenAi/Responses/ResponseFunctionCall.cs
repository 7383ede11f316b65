using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// A function call in a response's output (<c>type: function_call</c>): the item's own id (<c>fc_...</c>), the
/// <c>call_id</c> a later <c>function_call_output</c> answers, the function's name and its arguments as JSON text.
/// </summary>
public sealed record ResponseFunctionCall(string Id, string Status, string CallId, string Name, string Arguments) : ResponseItem(Id, Status)
{
    [JsonPropertyOrder(-3)]
    public string Type => "function_call";

    /// <summary>A new item id, as OpenAI writes them (<c>fc_</c> and hex).</summary>
    public static string NewId() => ResponseItemIds.NewFunctionCall();
}
