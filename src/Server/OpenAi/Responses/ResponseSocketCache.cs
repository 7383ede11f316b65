using System.Security.Cryptography;
using MambaServe.Engine.Conversations;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// A Responses WebSocket's connection-local cache: its latest response made with <c>store: false</c>, held in the state
/// store under an owner no API key hashes to (random, one per socket), in memory only, so that the socket's next
/// response can continue it by <c>previous_response_id</c> on its saved state while nobody else can read it (GET and
/// other sockets get 404, as for any unstored response). The next response on the socket replaces it; closing the
/// socket drops it. Used by one socket's responses, one at a time.
/// </summary>
/// <param name="store">The served model's state store, where the socket's responses are kept.</param>
public sealed class ResponseSocketCache(ConversationStore store)
{
    private string? _latest;

    /// <summary>The owner this socket's unstored responses are held under.</summary>
    public string Owner { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>This socket's owner when <paramref name="previousId"/> is its latest unstored response; else null (the caller's own store).</summary>
    public string? OwnerOf(string previousId) => _latest == previousId ? Owner : null;

    /// <summary>A response on this socket ended: the unstored one held before goes, and this one, if unstored, takes its place.</summary>
    public void Ended(ResponseDraft draft)
    {
        Drop();
        _latest = draft.Stored ? null : draft.Id;
    }

    /// <summary>Drops the response held (the socket closed).</summary>
    public void Drop()
    {
        if (_latest is { } latest)
        {
            store.Delete(latest, Owner);
            _latest = null;
        }
    }
}
