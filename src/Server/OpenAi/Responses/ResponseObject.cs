namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// OpenAI's Response object as this server fills it: one assistant message of <c>output_text</c>, usage with
/// <c>cached_tokens</c> (the context restored from the previous response's saved state), and the fields the official
/// clients read given their fixed values (no tools, no reasoning) and the text format asked for.
/// </summary>
public sealed record ResponseObject(
    string Id,
    long CreatedAt,
    string Status,
    ResponseError? Error,
    IncompleteDetails? IncompleteDetails,
    string? Instructions,
    int? MaxOutputTokens,
    string Model,
    IReadOnlyList<ResponseOutputMessage> Output,
    string? PreviousResponseId,
    bool Store,
    float Temperature,
    float TopP,
    ResponseUsage? Usage,
    string? User,
    IReadOnlyDictionary<string, string> Metadata)
{
    public string Object => "response";

    public bool Background => false;

    public bool ParallelToolCalls => true;

    public ResponseReasoning Reasoning { get; } = new(null, null);

    /// <summary>The text format the request asked for (JSON mode or a schema are enforced: docs/server.md).</summary>
    public ResponseTextConfig Text { get; init; } = new(new ResponseTextFormat("text"));

    public string ToolChoice => "auto";

    public IReadOnlyList<object> Tools { get; } = [];

    public string Truncation => "disabled";

    /// <summary>The text of the output message (what the SDKs' <c>output_text</c> convenience joins).</summary>
    public string OutputText() => string.Concat(Output.SelectMany(m => m.Content).Select(c => c.Text));
}
