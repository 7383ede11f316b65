namespace MambaServe.Server.OpenAi.Responses;

/// <summary>A text part of the output message (<c>type: output_text</c>).</summary>
public sealed record ResponseOutputText(string Text)
{
    public string Type => "output_text";

    public IReadOnlyList<object> Annotations { get; } = [];

    public IReadOnlyList<object> Logprobs { get; } = [];
}
