namespace MambaServe.Server.OpenAi;

/// <summary>
/// Response ids. vLLM's <c>request_id</c> names the request: the id becomes <c>cmpl-&lt;request_id&gt;</c> /
/// <c>chatcmpl-&lt;request_id&gt;</c>, which the generation log line and the trace's request id carry too. Without it,
/// a non-empty <c>X-Request-Id</c> header names it the same way (a proxy's or ingress's correlation id, as vLLM takes it), else
/// a random id. The response's <c>X-Request-Id</c> header gives the name used (when it is visible ASCII, as a header
/// value must be), so a caller can find the request in the logs. Ids need not be unique (vLLM does not check either).
/// </summary>
public static class RequestIds
{
    public const int MaxLength = 256;
    public const string Header = "X-Request-Id";

    /// <summary>
    /// <paramref name="prefix"/> and the request's name (the body's request_id, else the header's, else a fresh one),
    /// which also goes back as the response's X-Request-Id; 400 naming the field or header when empty or too long.
    /// </summary>
    public static string Create(HttpContext http, string prefix, string? requestId)
    {
        string name = requestId is not null ? Checked(requestId, "request_id")
            : http.Request.Headers[Header].FirstOrDefault() is { Length: > 0 } header ? Checked(header, Header)
            : Guid.NewGuid().ToString("N");
        // A header value is visible ASCII; a request_id beyond it (any Unicode is valid JSON) names the body's id only.
        if (name.All(c => c is >= ' ' and <= '~'))
        {
            http.Response.Headers[Header] = name;
        }

        return prefix + name;
    }

    private static string Checked(string name, string param) =>
        name.Length is > 0 and <= MaxLength
            ? name
            : throw ApiException.BadRequest($"{param} must be 1 to {MaxLength} characters long; it has {name.Length}.", param);
}
