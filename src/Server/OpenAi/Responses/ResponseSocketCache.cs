using System.Security.Cryptography;
using MambaServe.Engine.Conversations;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// A Responses WebSocket's connection-local cache: the latest response made with <c>store: false</c> on each of its lanes
/// (<see cref="ResponseSocketLanes"/>), held in the state store under an owner no API key hashes to (random, one per
/// socket), in memory only, so that the socket's next responses, on any lane, can continue it by
/// <c>previous_response_id</c> on its saved state (a lane forking another's) while nobody else can read it (GET and other
/// sockets get it as missing, as any unstored response). The next response on the same lane replaces it; closing the
/// socket drops them all. Lanes run at once, so every call takes the lock.
/// </summary>
/// <param name="store">The served model's state store, where the socket's responses are kept.</param>
public sealed class ResponseSocketCache(ConversationStore store)
{
    private readonly Lock _lock = new();
    // Lane (the default lane as "": a stream_id is never empty) -> its latest unstored response.
    private readonly Dictionary<string, string> _latest = [];

    /// <summary>The owner this socket's unstored responses are held under.</summary>
    public string Owner { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>This socket's owner when <paramref name="previousId"/> is a lane's latest unstored response; else null (the caller's own store).</summary>
    public string? OwnerOf(string previousId)
    {
        lock (_lock)
        {
            return _latest.ContainsValue(previousId) ? Owner : null;
        }
    }

    /// <summary>
    /// A response on <paramref name="streamId"/>'s lane ended: the unstored one that lane held goes, and this one, if
    /// unstored, takes its place. Called as its last event goes out and again once it is over, so the second call changes
    /// nothing.
    /// </summary>
    public void Ended(string? streamId, ResponseDraft draft)
    {
        string lane = streamId ?? string.Empty;
        string? dropped;
        lock (_lock)
        {
            _latest.TryGetValue(lane, out dropped);
            if (dropped == draft.Id)
            {
                return;
            }

            if (draft.Stored)
            {
                _latest.Remove(lane);
            }
            else
            {
                _latest[lane] = draft.Id;
            }
        }

        if (dropped is not null)
        {
            store.Delete(dropped, Owner);
        }
    }

    /// <summary>Drops every response held (the socket closed).</summary>
    public void Drop()
    {
        List<string> held;
        lock (_lock)
        {
            held = [.. _latest.Values];
            _latest.Clear();
        }

        foreach (var id in held)
        {
            store.Delete(id, Owner);
        }
    }
}
