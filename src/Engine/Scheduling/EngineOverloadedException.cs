namespace MambaServe.Engine.Scheduling;

/// <summary>
/// The waiting queue is full (too many requests or too many queued prompt tokens); thrown by
/// <see cref="IGenerationEngine.GenerateAsync"/> at once. The server maps it to HTTP 429 / gRPC RESOURCE_EXHAUSTED.
/// </summary>
public sealed class EngineOverloadedException(string message) : Exception(message);
