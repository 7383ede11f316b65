using MambaServe.Server.Anthropic;
using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi.Models;

/// <summary>
/// GET /v1/models and GET /v1/models/{id}: the one served model, in OpenAI's shape, or in Anthropic's for a request
/// from an Anthropic client (<see cref="AnthropicModels"/>).
/// </summary>
public static class ModelsEndpoint
{
    private static readonly DateTimeOffset s_started = DateTimeOffset.UtcNow;

    public static Task ListAsync(HttpContext http, ApiServices api)
    {
        var model = api.Models.Require();
        return AnthropicModels.Asks(http.Request)
            ? OpenAiJson.WriteAsync(http.Response, AnthropicModels.List(Info(model, api)))
            : OpenAiJson.WriteAsync(http.Response, new ModelList([Card(model, api)]));
    }

    public static Task GetAsync(HttpContext http, string id, ApiServices api)
    {
        var model = api.Models.Require(id);
        return AnthropicModels.Asks(http.Request)
            ? OpenAiJson.WriteAsync(http.Response, Info(model, api))
            : OpenAiJson.WriteAsync(http.Response, Card(model, api));
    }

    private static ModelCard Card(IServedModel model, ApiServices api) =>
        new(model.Name, s_started.ToUnixTimeSeconds(), api.ModelOptions.MaxModelLen, api.ModelOptions.MaxGenerationTokens);

    private static AnthropicModelInfo Info(IServedModel model, ApiServices api) =>
        AnthropicModels.Info(model.Name, s_started, api.ModelOptions.MaxModelLen, api.ModelOptions.MaxGenerationTokens);
}
