using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>The assistant message of a response (<c>type: message</c>).</summary>
public sealed record ResponseOutputMessage(string Id, string Status, IReadOnlyList<ResponseOutputText> Content) : ResponseItem(Id, Status)
{
    [JsonPropertyOrder(-3)]
    public string Type => "message";

    public string Role => "assistant";
}
