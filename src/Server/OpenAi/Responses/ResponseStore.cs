using MambaServe.Engine.Conversations;
using MambaServe.Engine.Generation;
using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>The store's responses, and its answers as API errors: unknown, expired or foreign ids are 404; another model's state is 400.</summary>
public static class ResponseStore
{
    public static ConversationStore Of(IServedModel model) =>
        model.Conversations ?? throw new ApiException(503, "This model has no state store.", ApiException.ServiceUnavailable, null, "store_unavailable");

    /// <summary>The previous response and its state; the caller owns the returned state.</summary>
    public static (StoredConversation Document, InitialState? State) Previous(IServedModel model, string id, string owner, string param)
    {
        Continuation? found;
        try
        {
            found = IsResponseId(id) ? Of(model).Continue(id, owner) : null;
        }
        catch (StateModelMismatchException ex)
        {
            throw new ApiException(400, ex.Message, ApiException.InvalidRequest, param, "model_mismatch");
        }
        catch (StoredResponseUnreadableException ex)
        {
            throw NotFound(ex.Message, param);
        }

        if (found is null)
        {
            throw NotFound($"Previous response with id '{id}' not found.", param);
        }

        try
        {
            return (StoredConversation.Parse(found.Response), found.State);
        }
        catch (StoredResponseUnreadableException ex)
        {
            found.State?.Release();
            throw NotFound(ex.Message, param);
        }
    }

    /// <summary>The stored document of <paramref name="id"/>, or 404.</summary>
    public static StoredConversation Get(IServedModel model, string id, string owner)
    {
        try
        {
            var found = (IsResponseId(id) ? Of(model).Get(id, owner) : null) ?? throw NotFound($"Response with id '{id}' not found.", null);
            return StoredConversation.Parse(found);
        }
        catch (StoredResponseUnreadableException ex)
        {
            throw NotFound(ex.Message, null);
        }
    }

    /// <summary>Deletes the stored response; false when there is none (a conversation's id names no response).</summary>
    public static bool Delete(IServedModel model, string id, string owner) => IsResponseId(id) && Of(model).Delete(id, owner);

    /// <summary>The store also keeps conversations (<c>conv_…</c>): the Responses routes look up only response ids.</summary>
    private static bool IsResponseId(string id) => ResponseIds.IsWellFormed(id, ResponseIds.Prefix);

    public static ApiException NotFound(string message, string? param) =>
        new(404, message, ApiException.InvalidRequest, param, param is null ? "not_found" : "previous_response_not_found");
}
