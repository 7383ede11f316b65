using MambaServe.Server.OpenAi.Chat;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary><c>response.output_text.done</c>: the whole text of the part.</summary>
public sealed record ResponseTextDoneEvent(string Type, int SequenceNumber, string ItemId, int OutputIndex, int ContentIndex, string Text)
    : ResponseStreamEvent(Type, SequenceNumber)
{
    /// <summary>The tokens' logprobs when the request asked for them (<see cref="ResponseLogprobs"/>), else empty.</summary>
    public IReadOnlyList<ChatTokenLogprob> Logprobs { get; init; } = [];
}
