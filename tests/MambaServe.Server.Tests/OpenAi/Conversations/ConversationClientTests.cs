using System.ClientModel;
using System.Text.Json.Nodes;
using MambaServe.Server.Tests.Infrastructure;
using MambaServe.Server.Tests.OpenAi.Responses;
using OpenAI.Responses;

#pragma warning disable OPENAI001 // the Responses and Conversations clients are marked experimental in the OpenAI .NET package

namespace MambaServe.Server.Tests.OpenAi.Conversations;

/// <summary>The official OpenAI .NET clients, unchanged: ConversationClient's calls, and a response made in a conversation through ResponsesClient.</summary>
public sealed class ConversationClientTests
{
    [Fact]
    public async Task ConversationClient_AndResponsesInAConversation_WorkUnchanged()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { StopAfter = 3, Script = ResponsesEndpointTests.ScriptStartingWithASpace() };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var http = await factory.CreateReadyClientAsync();
        var conversations = OpenAiClients.Conversations(http);
        var responses = OpenAiClients.Responses(http);

        var created = Read(await conversations.CreateConversationAsync(BinaryContent.Create(BinaryData.FromString(
            """{"items":[{"type":"message","role":"user","content":"Hello there"}],"metadata":{"topic":"greeting"}}"""))));
        string id = (string)created["id"]!;

        ResponseResult first = await responses.CreateResponseAsync(new CreateResponseOptions("fake-model", [ResponseItem.CreateUserMessageItem("And then?")])
        {
            ConversationOptions = new ResponseConversationOptions(id), MaxOutputTokenCount = 8,
        });
        ResponseResult second = await responses.CreateResponseAsync(new CreateResponseOptions("fake-model", [ResponseItem.CreateUserMessageItem("Why?")])
        {
            ConversationOptions = new ResponseConversationOptions(id), MaxOutputTokenCount = 8,
        });

        Assert.Equal(id, second.ConversationOptions?.ConversationId);
        Assert.Equal(first.Usage.InputTokenCount + 3 - 1, second.Usage.InputTokenDetails.CachedTokenCount);
        // Two items a page: the client follows last_id and has_more through the three pages.
        var texts = new List<string?>();
        await foreach (ClientResult page in conversations.GetConversationItemsAsync(id, limit: 2, order: "asc", after: null, include: null, options: null).GetRawPagesAsync())
        {
            texts.AddRange(Read(page)["data"]!.AsArray().Select(item => (string?)item!["content"]![0]!["text"]));
        }

        Assert.Equal(["Hello there", "And then?", first.GetOutputText(), "Why?", second.GetOutputText()], texts);
        var fetched = Read(await conversations.GetConversationAsync(id));
        Assert.Equal(created.ToJsonString(), fetched.ToJsonString());
        var deleted = Read(await conversations.DeleteConversationAsync(id));
        Assert.True((bool)deleted["deleted"]!);
        var gone = await Assert.ThrowsAsync<ClientResultException>(() => conversations.GetConversationAsync(id));
        Assert.Equal(404, gone.Status);
    }

    private static JsonNode Read(ClientResult result) => JsonNode.Parse(result.GetRawResponse().Content.ToString())!;
}
