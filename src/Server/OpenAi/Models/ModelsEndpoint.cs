using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi.Models;

/// <summary>GET /v1/models and GET /v1/models/{id}: the one served model.</summary>
public static class ModelsEndpoint
{
    private static readonly long s_started = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static Task ListAsync(HttpContext http, ApiServices api)
    {
        var model = api.Models.Require();
        return OpenAiJson.WriteAsync(http.Response, new ModelList([Card(model, api)]));
    }

    public static Task GetAsync(HttpContext http, string id, ApiServices api)
    {
        var model = api.Models.Require(id);
        return OpenAiJson.WriteAsync(http.Response, Card(model, api));
    }

    private static ModelCard Card(IServedModel model, ApiServices api) => new(model.Name, s_started, api.ModelOptions.MaxModelLen, api.ModelOptions.MaxGenerationTokens);
}
