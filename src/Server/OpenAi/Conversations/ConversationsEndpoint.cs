using MambaServe.Server.Hosting;
using MambaServe.Server.OpenAi.Responses;

namespace MambaServe.Server.OpenAi.Conversations;

/// <summary>
/// OpenAI's Conversations API: <c>POST /v1/conversations</c>, <c>GET</c>, <c>POST</c> (metadata) and <c>DELETE
/// /v1/conversations/{id}</c>, and its items: <c>POST</c> and <c>GET /v1/conversations/{id}/items</c>, <c>GET</c> and
/// <c>DELETE /v1/conversations/{id}/items/{item_id}</c>. A response created with <c>conversation</c> reads the items as
/// its earlier turns and appends its input and output (docs/server.md).
/// </summary>
public static class ConversationsEndpoint
{
    public static async Task CreateAsync(HttpContext http, ApiServices api)
    {
        var request = await OpenAiJson.ReadAsync<ConversationCreateRequest>(http.Request, http.RequestAborted);
        var model = api.Models.Require();
        var metadata = ResponseMetadata.Validate(request.Metadata);
        var items = ConversationItems.Read(request.Items, [], required: false);
        var (id, record) = ConversationRecords.Create(model, api.OwnerOf(http), items, metadata);
        await OpenAiJson.WriteAsync(http.Response, record.ToObject(id));
    }

    public static async Task GetAsync(HttpContext http, string id, ApiServices api)
    {
        var record = ConversationRecords.Get(api.Models.Require(), id, api.OwnerOf(http));
        await OpenAiJson.WriteAsync(http.Response, record.ToObject(id));
    }

    /// <summary>POST /v1/conversations/{id}: replaces the metadata.</summary>
    public static async Task UpdateAsync(HttpContext http, string id, ApiServices api)
    {
        var request = await OpenAiJson.ReadAsync<ConversationUpdateRequest>(http.Request, http.RequestAborted);
        var metadata = ResponseMetadata.Validate(request.Metadata);
        var record = ConversationRecords.Update(api.Models.Require(), id, api.OwnerOf(http), r => r with { Metadata = metadata });
        await OpenAiJson.WriteAsync(http.Response, record.ToObject(id));
    }

    public static async Task DeleteAsync(HttpContext http, string id, ApiServices api)
    {
        ConversationRecords.Delete(api.Models.Require(), id, api.OwnerOf(http));
        await OpenAiJson.WriteAsync(http.Response, new ConversationDeleted(id));
    }

    /// <summary>POST /v1/conversations/{id}/items: appends the items and lists them, with their ids.</summary>
    public static async Task AddItemsAsync(HttpContext http, string id, ApiServices api)
    {
        ResponseItemQuery.RefuseInclude(http.Request.Query);
        var request = await OpenAiJson.ReadAsync<ConversationItemsRequest>(http.Request, http.RequestAborted);
        IReadOnlyList<ConversationMessage> added = [];
        ConversationRecords.Update(api.Models.Require(), id, api.OwnerOf(http), record =>
        {
            added = ConversationItems.Read(request.Items, record.Items, required: true);
            return record with { Items = [.. record.Items, .. added] };
        });
        var listed = ConversationItems.List(id, added);
        await OpenAiJson.WriteAsync(http.Response, new ResponseItemList(listed, listed[0].Id, listed[^1].Id, false));
    }

    /// <summary>GET /v1/conversations/{id}/items: a page of items (<see cref="ResponseItemQuery"/>: limit, order, after, before).</summary>
    public static async Task ListItemsAsync(HttpContext http, string id, ApiServices api)
    {
        var query = ResponseItemQuery.Read(http.Request.Query);
        var record = ConversationRecords.Get(api.Models.Require(), id, api.OwnerOf(http));
        await OpenAiJson.WriteAsync(http.Response, query.Page(ConversationItems.List(id, record.Items)));
    }

    public static async Task GetItemAsync(HttpContext http, string id, string itemId, ApiServices api)
    {
        ResponseItemQuery.RefuseInclude(http.Request.Query);
        var record = ConversationRecords.Get(api.Models.Require(), id, api.OwnerOf(http));
        await OpenAiJson.WriteAsync(http.Response, ConversationItems.Find(id, record.Items, itemId));
    }

    /// <summary>DELETE /v1/conversations/{id}/items/{item_id}: removes the item and answers the conversation.</summary>
    public static async Task DeleteItemAsync(HttpContext http, string id, string itemId, ApiServices api)
    {
        var record = ConversationRecords.Update(api.Models.Require(), id, api.OwnerOf(http), r => r with { Items = ConversationItems.Without(id, r.Items, itemId) });
        await OpenAiJson.WriteAsync(http.Response, record.ToObject(id));
    }
}
