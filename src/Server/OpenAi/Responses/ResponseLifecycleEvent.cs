namespace MambaServe.Server.OpenAi.Responses;

/// <summary><c>response.created</c>, <c>.in_progress</c>, <c>.completed</c>, <c>.incomplete</c>, <c>.failed</c>: the whole response at that point.</summary>
public sealed record ResponseLifecycleEvent(string Type, int SequenceNumber, ResponseObject Response) : ResponseStreamEvent(Type, SequenceNumber);
