using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>A page of items (<c>object: list</c>): the items, the first and last ids (the cursors of the next page), and whether more follow.</summary>
public sealed record ResponseItemList(IReadOnlyList<ResponseItem> Data, string? FirstId, string? LastId, bool HasMore)
{
    [JsonPropertyOrder(-1)]
    public string Object => "list";
}
