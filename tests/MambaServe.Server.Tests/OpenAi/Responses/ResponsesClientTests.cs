using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using MambaServe.Server.Tests.Infrastructure;
using OpenAI.Responses;

#pragma warning disable OPENAI001 // the Responses client is marked experimental in the OpenAI .NET package

namespace MambaServe.Server.Tests.OpenAi.Responses;

/// <summary>The official OpenAI .NET Responses client, unchanged, against the in-process server.</summary>
public sealed class ResponsesClientTests
{
    [Fact]
    public async Task ResponsesClient_CreateContinueStreamRetrieveDelete_WorkUnchanged()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { StopAfter = 3, Script = ResponsesEndpointTests.ScriptStartingWithASpace() };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var http = await factory.CreateReadyClientAsync();
        var client = new ResponsesClient(new ApiKeyCredential("unused"), new ResponsesClientOptions
        {
            Endpoint = new Uri(http.BaseAddress!, "/v1"),
            Transport = new HttpClientPipelineTransport(http),
        });

        ResponseResult first = await client.CreateResponseAsync(
            new CreateResponseOptions("fake-model", [ResponseItem.CreateUserMessageItem("Hello there")]) { MaxOutputTokenCount = 8, Instructions = "Be brief." });
        Assert.Equal(ResponseStatus.Completed, first.Status);
        Assert.Equal(engine.TextOf(engine.TokensOf(0, 3)), first.GetOutputText());
        Assert.Equal(3, first.Usage.OutputTokenCount);

        var text = new StringBuilder();
        ResponseResult? completed = null;
        var options = new CreateResponseOptions("fake-model", [ResponseItem.CreateUserMessageItem("And then?")])
        {
            PreviousResponseId = first.Id, MaxOutputTokenCount = 8, Instructions = "Be brief.", StreamingEnabled = true,
        };
        await foreach (var update in await client.CreateResponseStreamingAsync(options))
        {
            if (update is StreamingResponseOutputTextDeltaUpdate delta)
            {
                text.Append(delta.Delta);
            }
            else if (update is StreamingResponseCompletedUpdate done)
            {
                completed = done.Response;
            }
        }

        Assert.NotNull(completed);
        Assert.Equal(completed.GetOutputText(), text.ToString());
        Assert.Equal(first.Id, completed.PreviousResponseId);
        Assert.NotNull(engine.Requests.Last().Start);
        Assert.Equal(first.Usage.InputTokenCount + 3 - 1, completed.Usage.InputTokenDetails.CachedTokenCount);

        ResponseResult fetched = await client.GetResponseAsync(completed.Id);
        Assert.Equal(completed.GetOutputText(), fetched.GetOutputText());
        ResponseDeletionResult deleted = await client.DeleteResponseAsync(completed.Id);
        Assert.True(deleted.Deleted);
        var gone = await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync(completed.Id));
        Assert.Equal(404, gone.Status);
    }
}
