namespace MambaServe.Server.OpenAi.Responses;

/// <summary><c>response.content_part.added</c> / <c>.done</c>: the message's text part.</summary>
public sealed record ResponseContentPartEvent(string Type, int SequenceNumber, string ItemId, int OutputIndex, int ContentIndex, ResponseOutputText Part)
    : ResponseStreamEvent(Type, SequenceNumber);
