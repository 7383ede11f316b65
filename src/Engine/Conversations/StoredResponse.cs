namespace MambaServe.Engine.Conversations;

/// <summary>
/// What the store keeps beside a saved state: the response's id, who may see it, when it was made, and the server's
/// document (the response object and the conversation, small JSON the store never interprets).
/// </summary>
/// <param name="Owner">Hex SHA-256 of the API key that created it; empty when the API was open.</param>
public sealed record StoredResponse(string Id, string Owner, DateTimeOffset CreatedAt, byte[] Document);
