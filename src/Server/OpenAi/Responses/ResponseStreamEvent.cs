namespace MambaServe.Server.OpenAi.Responses;

/// <summary>A Responses streaming event: its <c>type</c> and its place in the stream.</summary>
public abstract record ResponseStreamEvent(string Type, int SequenceNumber);
