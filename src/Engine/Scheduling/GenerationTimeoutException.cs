namespace MambaServe.Engine.Scheduling;

/// <summary>
/// A request ran past its <c>GenerationRequest.Timeout</c> (measured from admission, through the engine's
/// <see cref="TimeProvider"/>); thrown from the request's update stream after any updates already produced, and its
/// slots are freed that step. The server maps it to HTTP 504 / gRPC DEADLINE_EXCEEDED.
/// </summary>
public sealed class GenerationTimeoutException(string message) : TimeoutException(message);
