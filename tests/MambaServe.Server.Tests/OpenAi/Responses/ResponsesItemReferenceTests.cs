using System.Net;
using System.Text.Json.Nodes;
using MambaServe.Server.Tests.Infrastructure;
using static MambaServe.Server.Tests.OpenAi.Responses.ResponsesEndpointTests;

namespace MambaServe.Server.Tests.OpenAi.Responses;

/// <summary>
/// item_reference inputs (what the AI SDK sends for earlier answers when store is on): a stored response's output
/// message, named by id, reads as if sent by value; anything this server cannot find under the caller's key is OpenAI's
/// 404 "Item with id '…' not found." naming the reference.
/// </summary>
public sealed class ResponsesItemReferenceTests
{
    [Fact]
    public async Task AReferenceToAStoredAnswer_RendersAsTheAnswerSentByValue()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { Script = ScriptStartingWithASpace() };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var first = await CreateAsync(client, new { input = "Hello there", max_output_tokens = 4 });
        var answer = first["output"]![0]!;
        string messageId = (string)answer["id"]!;
        Assert.Equal("msg_" + ((string)first["id"]!)["resp_".Length..], messageId);

        var byReference = await CreateAsync(client, new
        {
            input = new object[] { new { role = "user", content = "Hello there" }, new { type = "item_reference", id = messageId }, new { role = "user", content = "And then?" } },
            max_output_tokens = 2,
        });
        var byValue = await CreateAsync(client, new
        {
            input = new object[]
            {
                new { role = "user", content = "Hello there" },
                new { role = "assistant", content = (string)answer["content"]![0]!["text"]! },
                new { role = "user", content = "And then?" },
            },
            max_output_tokens = 2,
        });

        var requests = engine.Requests.ToArray();
        Assert.Equal(requests[2].PromptTokens, requests[1].PromptTokens);
        Assert.Equal((int)byValue["usage"]!["input_tokens"]!, (int)byReference["usage"]!["input_tokens"]!);
        using var items = await client.GetAsync($"/v1/responses/{(string)byReference["id"]!}/input_items?order=asc");
        var listed = (await Json.ReadAsync(items))["data"]!.AsArray();
        Assert.Equal(messageId, (string?)listed[1]!["id"]); // the item keeps the id it was referenced by
        using var count = await Json.PostAsync(client, "/v1/responses/input_tokens", new
        {
            input = new object[] { new { role = "user", content = "Hello there" }, new { type = "item_reference", id = messageId }, new { role = "user", content = "And then?" } },
        });
        Assert.Equal(requests[1].PromptTokens.Count, (int)(await Json.ReadAsync(count))["input_tokens"]!);
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("not-an-output-message")]
    [InlineData("deleted")]
    [InlineData("unstored")]
    [InlineData("another-key")]
    public async Task AReferenceThisServerCannotFindForTheCaller_Is404ItemNotFound(string kind)
    {
        var settings = new Dictionary<string, string?> { ["MambaServe:Server:ApiKeys:0"] = "sk-alice", ["MambaServe:Server:ApiKeys:1"] = "sk-bob" };
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance, settings: settings);
        var alice = await Authorized(factory, "sk-alice");
        var bob = await Authorized(factory, "sk-bob");
        var stored = await CreateAsync(alice, new { input = "Hi", max_output_tokens = 2, store = kind != "unstored" });
        string id = kind switch
        {
            "unknown" => "msg_" + new string('0', 48),
            "not-an-output-message" => (string)stored["id"]!,
            _ => (string)stored["output"]![0]!["id"]!,
        };
        if (kind == "deleted")
        {
            using var deleted = await alice.DeleteAsync($"/v1/responses/{(string)stored["id"]!}");
        }

        using var response = await Json.PostAsync(kind == "another-key" ? bob : alice, "/v1/responses",
            new { input = new object[] { new { role = "user", content = "Hi" }, new { type = "item_reference", id } } });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = (await Json.ReadAsync(response))["error"]!;
        Assert.Equal(($"Item with id '{id}' not found.", "input[1].id", "item_not_found"), ((string?)error["message"], (string?)error["param"], (string?)error["code"]));
    }

    [Fact]
    public async Task AReferenceOnTheConversationsItemsRoute_IsAnUnsupportedItem()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var conversation = await Json.ReadAsync(await Json.PostAsync(client, "/v1/conversations", new { }));

        using var response = await Json.PostAsync(client, $"/v1/conversations/{(string)conversation["id"]!}/items",
            new { items = new object[] { new { type = "item_reference", id = "msg_" + new string('0', 48) } } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("items[0].type", (string?)(await Json.ReadAsync(response))["error"]!["param"]);
    }
}
