using MambaServe.Server.OpenAi.Chat;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>A text part of the output message (<c>type: output_text</c>).</summary>
public sealed record ResponseOutputText(string Text)
{
    public string Type => "output_text";

    public IReadOnlyList<object> Annotations { get; } = [];

    /// <summary>The tokens' logprobs when the request asked for them (<see cref="ResponseLogprobs"/>), else empty.</summary>
    public IReadOnlyList<ChatTokenLogprob> Logprobs { get; init; } = [];
}
