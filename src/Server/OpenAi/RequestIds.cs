namespace MambaServe.Server.OpenAi;

/// <summary>
/// Response ids. vLLM's <c>request_id</c> names the request: the id becomes <c>cmpl-&lt;request_id&gt;</c> /
/// <c>chatcmpl-&lt;request_id&gt;</c>, which the generation log line and the trace's request id carry too. Ids need not
/// be unique (vLLM does not check either); without one, a random id.
/// </summary>
public static class RequestIds
{
    public const int MaxLength = 256;

    /// <summary><paramref name="prefix"/> and the request's id, or a fresh one; 400 on request_id when it is empty or too long.</summary>
    public static string Create(string prefix, string? requestId)
    {
        if (requestId is null)
        {
            return $"{prefix}{Guid.NewGuid():N}";
        }

        if (requestId.Length == 0 || requestId.Length > MaxLength)
        {
            throw ApiException.BadRequest($"request_id must be 1 to {MaxLength} characters long; it has {requestId.Length}.", "request_id");
        }

        return prefix + requestId;
    }
}
