using System.Text.Json.Serialization;

namespace MambaServe.Server.Anthropic;

/// <summary>
/// GET /v1/models as Anthropic's clients read it, answered when the request carries Anthropic's
/// <c>anthropic-version</c> header (its SDKs always send it; OpenAI's never do): the served model as a ModelInfo,
/// with the prompt limit as <c>max_input_tokens</c> and the output limit as <c>max_tokens</c>.
/// </summary>
public static class AnthropicModels
{
    public const string VersionHeader = "anthropic-version";

    public static bool Asks(HttpRequest request) => request.Headers.ContainsKey(VersionHeader);

    public static AnthropicModelInfo Info(string name, DateTimeOffset started, int maxModelLen, int maxGenerationTokens) =>
        new(name, name, started.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture), maxModelLen, maxGenerationTokens);

    public static AnthropicModelList List(AnthropicModelInfo model) => new([model], false, model.Id, model.Id);
}

public sealed record AnthropicModelInfo(string Id, string DisplayName, string CreatedAt, int MaxInputTokens, int MaxTokens)
{
    [JsonPropertyOrder(-1)]
    public string Type => "model";
}

public sealed record AnthropicModelList(IReadOnlyList<AnthropicModelInfo> Data, bool HasMore, string FirstId, string LastId);
