using MambaServe.Engine.Conversations;
using MambaServe.Engine.Generation;
using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// The store's responses, and its answers as API errors: unknown, expired or foreign ids are 404 to GET and DELETE, and
/// 400 <c>previous_response_not_found</c> to a response that continues one (as OpenAI answers: clients such as Codex
/// resend the whole conversation on exactly that status and code); another model's state is 400.
/// </summary>
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
            throw PreviousNotFound(ex.Message, param);
        }

        if (found is null)
        {
            throw PreviousNotFound($"Previous response with id '{id}' not found.", param);
        }

        try
        {
            return (StoredConversation.Parse(found.Response), found.State);
        }
        catch (StoredResponseUnreadableException ex)
        {
            found.State?.Release();
            throw PreviousNotFound(ex.Message, param);
        }
    }

    /// <summary>The stored document of <paramref name="id"/>, or 404.</summary>
    public static StoredConversation Get(IServedModel model, string id, string owner)
    {
        try
        {
            var found = (IsResponseId(id) ? Of(model).Get(id, owner) : null) ?? throw NotFound($"Response with id '{id}' not found.");
            return StoredConversation.Parse(found);
        }
        catch (StoredResponseUnreadableException ex)
        {
            throw NotFound(ex.Message);
        }
    }

    /// <summary>Deletes the stored response; false when there is none (a conversation's id names no response).</summary>
    public static bool Delete(IServedModel model, string id, string owner) => IsResponseId(id) && Of(model).Delete(id, owner);

    /// <summary>The store also keeps conversations (<c>conv_…</c>): the Responses routes look up only response ids.</summary>
    private static bool IsResponseId(string id) => ResponseIds.IsWellFormed(id, ResponseIds.Prefix);

    public static ApiException NotFound(string message) => new(404, message, ApiException.InvalidRequest, null, "not_found");

    /// <summary>The response a new one continues is gone: a bad request, as OpenAI answers it.</summary>
    private static ApiException PreviousNotFound(string message, string param) =>
        new(400, message, ApiException.InvalidRequest, param, PreviousNotFoundCode);

    public const string PreviousNotFoundCode = "previous_response_not_found";
}
