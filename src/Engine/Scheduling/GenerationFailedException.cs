namespace MambaServe.Engine.Scheduling;

/// <summary>
/// One request failed inside the engine (the runner or its sampler threw for it); thrown from the request's update
/// stream after any updates already produced. Other requests are unaffected. The inner exception is the cause.
/// The server maps it to HTTP 500 / gRPC INTERNAL.
/// </summary>
public sealed class GenerationFailedException(string message, Exception? inner) : Exception(message, inner);
