namespace MambaServe.Engine.Conversations;

/// <summary>A stored response whose state was saved by another model (or another state layout) than the one served.</summary>
public sealed class StateModelMismatchException(string id)
    : Exception($"The response '{id}' was stored by another model than the one this server runs; its state cannot be continued here.")
{
    public string ResponseId { get; } = id;
}
