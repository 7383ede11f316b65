using MambaServe.Server.OpenAi.Chat;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary><c>response.output_text.delta</c>: new text as the engine produces it.</summary>
public sealed record ResponseTextDeltaEvent(string Type, int SequenceNumber, string ItemId, int OutputIndex, int ContentIndex, string Delta)
    : ResponseStreamEvent(Type, SequenceNumber)
{
    /// <summary>The tokens' logprobs when the request asked for them (<see cref="ResponseLogprobs"/>), else empty.</summary>
    public IReadOnlyList<ChatTokenLogprob> Logprobs { get; init; } = [];
}
