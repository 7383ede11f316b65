using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Models;

public sealed record ModelList(IReadOnlyList<ModelCard> Data)
{
    [JsonPropertyOrder(-1)]
    public string Object => "list";
}
