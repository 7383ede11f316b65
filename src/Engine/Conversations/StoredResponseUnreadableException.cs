namespace MambaServe.Engine.Conversations;

/// <summary>A stored response whose file is torn, corrupt or of an unknown format; it is removed when found.</summary>
public sealed class StoredResponseUnreadableException(string id, string reason)
    : Exception($"The stored response '{id}' is unreadable ({reason}) and was removed.")
{
    public string ResponseId { get; } = id;
}
