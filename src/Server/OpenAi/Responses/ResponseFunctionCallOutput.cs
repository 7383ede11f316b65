using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>A function call's result in a response's input (<c>type: function_call_output</c>): the call it answers and its output text.</summary>
public sealed record ResponseFunctionCallOutput(string Id, string Status, string CallId, string Output) : ResponseItem(Id, Status)
{
    [JsonPropertyOrder(-3)]
    public string Type => "function_call_output";
}
