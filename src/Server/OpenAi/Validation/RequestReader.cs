using System.Text.Json;
using Microsoft.Net.Http.Headers;

namespace MambaServe.Server.OpenAi.Validation;

/// <summary>
/// Reads a request body into its wire type, refusing every kind of bad input with a 400 (415 for a body that is not
/// JSON) that names the field: malformed JSON, a body that is not an object, text that is not valid Unicode, fields
/// the server does not honour, null array items and values of the wrong type. Nothing a client sends reaches an
/// endpoint unchecked, so no input can end in a 5xx.
/// </summary>
public static class RequestReader
{
    private static readonly JsonDocumentOptions s_documentOptions = new() { MaxDepth = 64 };

    public static async Task<T> ReadAsync<T>(HttpRequest request, JsonSerializerOptions options, CancellationToken ct)
        where T : class
    {
        CheckContentType(request.ContentType);
        if (request.ContentLength == 0)
        {
            throw new ApiException(400, "The request body is empty; expected a JSON object.", ApiException.InvalidRequest, null, "invalid_json");
        }

        using var document = await ParseAsync(request.Body, ct);
        return Read<T>(document.RootElement, options);
    }

    /// <summary>A message that is not HTTP (a WebSocket's): parsed as a body is, or a 400 saying why it is not JSON.</summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8)
    {
        try
        {
            return JsonDocument.Parse(utf8, s_documentOptions);
        }
        catch (JsonException ex)
        {
            throw NotJson(ex);
        }
    }

    /// <summary>Reads one parsed body into its wire type, with every check a request body gets.</summary>
    public static T Read<T>(JsonElement body, JsonSerializerOptions options)
        where T : class
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new ApiException(400, $"The request body must be a JSON object, not {WireTypes.KindOf(body)}.", ApiException.InvalidRequest, null, "invalid_type");
        }

        JsonTextCheck.CheckUnicode(body);
        FieldPolicy.Check(body, typeof(T), options);
        JsonTextCheck.CheckNullItems(body, path => WireTypes.TypeAt(options, typeof(T), path) is { } type ? WireTypes.Describe(options, type) : null);
        try
        {
            return body.Deserialize<T>(options)!;
        }
        catch (JsonException ex)
        {
            throw JsonBindingErrors.ToApi(ex, typeof(T), body, options);
        }
    }

    private static async Task<JsonDocument> ParseAsync(Stream body, CancellationToken ct)
    {
        try
        {
            return await JsonDocument.ParseAsync(body, s_documentOptions, ct);
        }
        catch (JsonException ex)
        {
            throw NotJson(ex);
        }
    }

    // Reader messages describe the syntax ("'x' is an invalid start of a value. LineNumber: 0 | …"), never types.
    private static ApiException NotJson(JsonException ex) =>
        new(400, $"The request body is not valid JSON: {ex.Message}", ApiException.InvalidRequest, null, "invalid_json");

    // JSON, or no Content-Type at all (as FastAPI, behind vLLM, reads it); a form or text body is a client mistake.
    private static void CheckContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return;
        }

        if (MediaTypeHeaderValue.TryParse(contentType, out var media)
            && (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                || media.SubTypeWithoutSuffix.HasValue && media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)))
        {
            return;
        }

        throw new ApiException(415, $"Unsupported Content-Type `{contentType}`: send the body as JSON with `Content-Type: application/json`.",
            ApiException.InvalidRequest, null, "unsupported_media_type");
    }
}
