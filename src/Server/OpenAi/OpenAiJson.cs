using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using MambaServe.Server.OpenAi.Validation;

namespace MambaServe.Server.OpenAi;

/// <summary>
/// The wire format: snake_case, strict numbers (a string where a number belongs is a 400), finite floats; request
/// bodies are read by <see cref="RequestReader"/>, which refuses fields the server does not honour.
/// </summary>
public static class OpenAiJson
{
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            NumberHandling = JsonNumberHandling.Strict,
            PropertyNameCaseInsensitive = false,
            AllowTrailingCommas = false,
            ReadCommentHandling = JsonCommentHandling.Disallow,
            // OpenAI sends '<', '>' and quotes unescaped; this is a JSON API, never embedded in HTML.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            Converters = { new FiniteSingleConverter() },
        };

        // Read-only with its resolver in place: the request reader inspects type metadata before the first (de)serialization.
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>Reads the request body as <typeparamref name="T"/>; any bad input is a 4xx naming the field (<see cref="RequestReader"/>).</summary>
    public static Task<T> ReadAsync<T>(HttpRequest request, CancellationToken ct)
        where T : class => RequestReader.ReadAsync<T>(request, Options, ct);

    public static Task WriteAsync<T>(HttpResponse response, T value, int status = 200)
    {
        response.StatusCode = status;
        return response.WriteAsJsonAsync(value, Options, response.HttpContext.RequestAborted);
    }
}
