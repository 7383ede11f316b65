namespace MambaServe.Server.OpenAi.Responses;

/// <summary><c>response.output_text.done</c>: the whole text of the part.</summary>
public sealed record ResponseTextDoneEvent(string Type, int SequenceNumber, string ItemId, int OutputIndex, int ContentIndex, string Text)
    : ResponseStreamEvent(Type, SequenceNumber)
{
    public IReadOnlyList<object> Logprobs { get; } = [];
}
