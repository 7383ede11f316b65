namespace MambaServe.Server.OpenAi.Responses;

/// <summary><c>response.output_item.added</c> / <c>.done</c>: an output item (the message or a function call).</summary>
public sealed record ResponseOutputItemEvent(string Type, int SequenceNumber, int OutputIndex, ResponseItem Item) : ResponseStreamEvent(Type, SequenceNumber);
