using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Models;

/// <summary>An entry of GET /v1/models (OpenAI's model object plus vLLM's max_model_len).</summary>
public sealed record ModelCard(string Id, long Created, int MaxModelLen)
{
    [JsonPropertyOrder(-1)]
    public string Object => "model";

    public string OwnedBy => "mambaserve";
}
