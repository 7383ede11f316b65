using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>A user, system or developer message of a response's input (<c>type: message</c>, its text as input_text).</summary>
public sealed record ResponseInputMessage(string Id, string Status, string Role, IReadOnlyList<ResponseInputText> Content) : ResponseItem(Id, Status)
{
    [JsonPropertyOrder(-3)]
    public string Type => "message";
}

/// <summary>A text part of an input message (<c>type: input_text</c>).</summary>
public sealed record ResponseInputText(string Text)
{
    public string Type => "input_text";
}
