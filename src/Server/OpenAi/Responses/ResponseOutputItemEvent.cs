namespace MambaServe.Server.OpenAi.Responses;

/// <summary><c>response.output_item.added</c> / <c>.done</c>: the output message.</summary>
public sealed record ResponseOutputItemEvent(string Type, int SequenceNumber, int OutputIndex, ResponseOutputMessage Item) : ResponseStreamEvent(Type, SequenceNumber);
