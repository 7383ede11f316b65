using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi;

/// <summary>The wire format: snake_case, strict numbers (a string where a number belongs is a 400), unknown fields ignored.</summary>
public static class OpenAiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.Strict,
        PropertyNameCaseInsensitive = false,
        AllowTrailingCommas = false,
        ReadCommentHandling = JsonCommentHandling.Disallow,
        // OpenAI sends '<', '>' and quotes unescaped; this is a JSON API, never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Reads the request body as <typeparamref name="T"/>; malformed JSON, wrong types and an empty body are 400s.</summary>
    public static async Task<T> ReadAsync<T>(HttpRequest request, CancellationToken ct)
        where T : class
    {
        if (request.ContentLength == 0)
        {
            throw ApiException.BadRequest("The request body is empty; expected a JSON object.");
        }

        var value = await JsonSerializer.DeserializeAsync<T>(request.Body, Options, ct);
        return value ?? throw ApiException.BadRequest("The request body must be a JSON object, not null.");
    }

    public static Task WriteAsync<T>(HttpResponse response, T value, int status = 200)
    {
        response.StatusCode = status;
        return response.WriteAsJsonAsync(value, Options, response.HttpContext.RequestAborted);
    }
}
