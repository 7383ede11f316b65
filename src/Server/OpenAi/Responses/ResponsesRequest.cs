using System.Text.Json;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// POST /v1/responses body: the part of OpenAI's Responses API that text generation uses. Fields the server does not
/// use (tools, reasoning, text format, truncation, ...) are ignored as elsewhere; <see cref="Input"/> is parsed by
/// <see cref="ResponseInputParser"/> so that every malformed item is a 400 naming its path.
/// </summary>
public sealed class ResponsesRequest
{
    public string? Model { get; set; }

    /// <summary>A string (one user message) or a list of message items.</summary>
    public JsonElement? Input { get; set; }

    /// <summary>The system message of this request only: it is not carried over to responses that continue this one.</summary>
    public string? Instructions { get; set; }

    public string? PreviousResponseId { get; set; }

    /// <summary>Keep the response (and its state) for retrieval and continuation; default true.</summary>
    public bool? Store { get; set; }

    public int? MaxOutputTokens { get; set; }

    public float? Temperature { get; set; }

    public float? TopP { get; set; }

    public bool? Stream { get; set; }

    public Dictionary<string, string?>? Metadata { get; set; }

    public string? User { get; set; }
}
