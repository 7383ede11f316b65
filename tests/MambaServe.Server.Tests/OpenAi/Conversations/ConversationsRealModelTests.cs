using System.Text.Json.Nodes;
using MambaServe.Server.Tests.Infrastructure;
using MambaServe.Server.Tests.OpenAi.Responses;
using static MambaServe.Server.Tests.OpenAi.Conversations.ConversationsEndpointTests;
using static MambaServe.Server.Tests.OpenAi.Responses.ResponsesEndpointTests;
using static MambaServe.Server.Tests.OpenAi.Responses.ResponsesRealModelTests;

namespace MambaServe.Server.Tests.OpenAi.Conversations;

/// <summary>The demo model's conversations: kept across a restart, and edited, against sending the whole conversation through chat.</summary>
public sealed class ConversationsRealModelTests
{
    [Fact]
    public async Task Conversation_AfterRestartWithAStateDirectory_KeepsItsItems_AndContinuesFromTheSavedState()
    {
        using var directory = new ResponsesRealModelTests.TempDirectory();
        string conv;
        JsonNode first, items;
        await using (var factory = new ServerFactory(null, Settings(directory.Path)))
        {
            var client = await factory.CreateReadyClientAsync();
            conv = (string)(await SendAsync(client, HttpMethod.Post, "/v1/conversations", """{"items":[{"role":"user","content":"Tell me about the jury."}],"metadata":{"k":"v"}}"""))["id"]!;
            first = await CreateAsync(client, new { input = "Be brief.", conversation = conv, max_output_tokens = 6, temperature = 0 });
            items = await SendAsync(client, HttpMethod.Get, $"/v1/conversations/{conv}/items");
        }

        await using var restarted = new ServerFactory(null, Settings(directory.Path));
        var again = await restarted.CreateReadyClientAsync();
        Assert.Equal(items.ToJsonString(), (await SendAsync(again, HttpMethod.Get, $"/v1/conversations/{conv}/items")).ToJsonString());
        Assert.Equal("v", (string?)(await SendAsync(again, HttpMethod.Get, $"/v1/conversations/{conv}"))["metadata"]!["k"]);

        var second = await CreateAsync(again, new { input = "And then?", conversation = conv, max_output_tokens = 6, temperature = 0 });

        int cached = (int)first["usage"]!["input_tokens"]! + (int)first["usage"]!["output_tokens"]! - 1;
        Assert.Equal(cached, (int)second["usage"]!["input_tokens_details"]!["cached_tokens"]!);
        var chat = await ChatAsync(again,
            [new { role = "user", content = "Tell me about the jury." }, new { role = "user", content = "Be brief." }, new { role = "assistant", content = TextOf(first) }, new { role = "user", content = "And then?" }], 6);
        Assert.Equal((string)chat["choices"]![0]!["message"]!["content"]!, TextOf(second));
    }

    [Fact]
    public async Task Conversation_WithAnItemDeleted_AnswersAsChatWithoutIt()
    {
        await using var factory = new ServerFactory(null, Settings());
        var client = await factory.CreateReadyClientAsync();
        string conv = (string)(await SendAsync(client, HttpMethod.Post, "/v1/conversations",
            """{"items":[{"role":"user","content":"Tell me about the city.","id":"msg_city"},{"role":"user","content":"Tell me about the jury."}]}"""))["id"]!;
        var first = await CreateAsync(client, new { input = "Be brief.", conversation = conv, max_output_tokens = 5, temperature = 0 });
        await SendAsync(client, HttpMethod.Delete, $"/v1/conversations/{conv}/items/msg_city");

        var second = await CreateAsync(client, new { input = "And then?", conversation = conv, max_output_tokens = 6, temperature = 0 });

        Assert.Equal(0, (int)second["usage"]!["input_tokens_details"]!["cached_tokens"]!);
        var chat = await ChatAsync(client,
            [new { role = "user", content = "Tell me about the jury." }, new { role = "user", content = "Be brief." }, new { role = "assistant", content = TextOf(first) }, new { role = "user", content = "And then?" }], 6);
        Assert.Equal((string)chat["choices"]![0]!["message"]!["content"]!, TextOf(second));
        Assert.Equal((int)chat["usage"]!["prompt_tokens"]!, (int)second["usage"]!["input_tokens"]!);
    }

    private static string TextOf(JsonNode response) => (string)response["output"]![0]!["content"]![0]!["text"]!;
}
