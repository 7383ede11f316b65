namespace MambaServe.Server.OpenAi.Responses;

/// <summary><c>response.output_text.delta</c>: new text as the engine produces it.</summary>
public sealed record ResponseTextDeltaEvent(string Type, int SequenceNumber, string ItemId, int OutputIndex, int ContentIndex, string Delta)
    : ResponseStreamEvent(Type, SequenceNumber)
{
    public IReadOnlyList<object> Logprobs { get; } = [];
}
