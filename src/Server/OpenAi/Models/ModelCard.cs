using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Models;

/// <summary>
/// An entry of GET /v1/models: OpenAI's model object, vLLM's max_model_len (here the prompt limit: there is no context
/// wall) and max_generation_tokens, the largest max_tokens / max_output_tokens a request may ask for.
/// </summary>
public sealed record ModelCard(string Id, long Created, int MaxModelLen, int MaxGenerationTokens)
{
    [JsonPropertyOrder(-1)]
    public string Object => "model";

    public string OwnedBy => "mambaserve";
}
