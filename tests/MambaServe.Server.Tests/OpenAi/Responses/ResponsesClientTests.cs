using System.ClientModel;
using System.Text;
using MambaServe.Server.Tests.Infrastructure;
using MambaServe.Server.Tests.OpenAi.Chat;
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
        var client = OpenAiClients.Responses(http);

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

    [Fact]
    public async Task ResponsesClient_ForcedFunctionCall_ThenItsOutput_ContinuesTheConversation_WhoseInputItemsPage()
    {
        await using var factory = ServerFactory.WithDemoModel();
        var client = Client(await factory.CreateReadyClientAsync());
        var weather = ResponseTool.CreateFunctionTool(
            "get_weather", BinaryData.FromString(ToolChoiceTests.WeatherParameters), strictModeEnabled: true, functionDescription: "The weather in a city");
        var ask = new CreateResponseOptions("mamba-demo-5m", [ResponseItem.CreateUserMessageItem("What is the weather in Paris?")])
        {
            Tools = { weather }, ToolChoice = ResponseToolChoice.CreateFunctionChoice("get_weather"), Temperature = 0, MaxOutputTokenCount = 60,
        };

        ResponseResult first = await client.CreateResponseAsync(ask);

        var call = Assert.IsType<FunctionCallResponseItem>(Assert.Single(first.OutputItems));
        Assert.Equal("get_weather", call.FunctionName);
        Assert.StartsWith("call_", call.CallId, StringComparison.Ordinal);
        ToolChoiceTests.AssertWeather(call.FunctionArguments.ToString());

        var answer = new CreateResponseOptions("mamba-demo-5m", [ResponseItem.CreateFunctionCallOutputItem(call.CallId, "18 C and sunny")])
        {
            PreviousResponseId = first.Id, Temperature = 0, MaxOutputTokenCount = 8,
        };
        ResponseResult second = await client.CreateResponseAsync(answer);

        Assert.IsAssignableFrom<MessageResponseItem>(Assert.Single(second.OutputItems));
        Assert.Equal(first.Id, second.PreviousResponseId);
        Assert.True(second.Usage.InputTokenCount > first.Usage.InputTokenCount + first.Usage.OutputTokenCount, "the second prompt holds the whole conversation");

        var items = new List<ResponseItem>();
        await foreach (var item in client.GetResponseInputItemsAsync(new ResponseItemCollectionOptions(second.Id) { PageSizeLimit = 1, Order = ResponseItemCollectionOrder.Ascending }))
        {
            items.Add(item);
        }

        Assert.Equal("What is the weather in Paris?", Assert.IsAssignableFrom<MessageResponseItem>(items[0]).Content.Single().Text);
        Assert.Equal((call.Id, call.CallId), (Assert.IsType<FunctionCallResponseItem>(items[1]).Id, ((FunctionCallResponseItem)items[1]).CallId));
        Assert.Equal("18 C and sunny", Assert.IsType<FunctionCallOutputResponseItem>(items[2]).FunctionOutput);
        Assert.Equal(3, items.Count);
    }

    [Fact]
    public async Task ResponsesClient_StreamedForcedCall_ArgumentUpdatesJoinToTheCall()
    {
        await using var factory = ServerFactory.WithDemoModel();
        var client = Client(await factory.CreateReadyClientAsync());
        var options = new CreateResponseOptions("mamba-demo-5m", [ResponseItem.CreateUserMessageItem("What is the weather in Oslo?")])
        {
            Tools = { ResponseTool.CreateFunctionTool("get_weather", BinaryData.FromString(ToolChoiceTests.WeatherParameters), strictModeEnabled: null) },
            ToolChoice = ResponseToolChoice.CreateRequiredChoice(), Temperature = 0, MaxOutputTokenCount = 60, StreamingEnabled = true,
        };

        var arguments = new StringBuilder();
        string? done = null;
        ResponseResult? completed = null;
        await foreach (var update in await client.CreateResponseStreamingAsync(options))
        {
            switch (update)
            {
                case StreamingResponseFunctionCallArgumentsDeltaUpdate delta:
                    arguments.Append(delta.Delta.ToString());
                    break;
                case StreamingResponseFunctionCallArgumentsDoneUpdate end:
                    done = end.FunctionArguments.ToString();
                    break;
                case StreamingResponseCompletedUpdate last:
                    completed = last.Response;
                    break;
            }
        }

        Assert.Equal(arguments.ToString(), done);
        ToolChoiceTests.AssertWeather(done!);
        var call = Assert.IsType<FunctionCallResponseItem>(Assert.Single(completed!.OutputItems));
        Assert.Equal(done, call.FunctionArguments.ToString());
    }

    [Fact]
    public async Task ResponsesClient_BackgroundResponse_PolledThenCancelled_WorksUnchanged()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = Client(await factory.CreateReadyClientAsync());

        ResponseResult created = await client.CreateResponseAsync(
            new CreateResponseOptions("fake-model", [ResponseItem.CreateUserMessageItem("Hello there")]) { MaxOutputTokenCount = 8, BackgroundModeEnabled = true });
        await engine.FirstUpdateSent.WaitAsync(TimeSpan.FromSeconds(30));
        ResponseResult polled = await client.GetResponseAsync(created.Id);
        ResponseResult cancelled = await client.CancelResponseAsync(created.Id);

        Assert.True(created.BackgroundModeEnabled);
        Assert.Contains(created.Status, new ResponseStatus?[] { ResponseStatus.Queued, ResponseStatus.InProgress });
        Assert.Contains(polled.Status, new ResponseStatus?[] { ResponseStatus.Queued, ResponseStatus.InProgress });
        Assert.Equal(ResponseStatus.Cancelled, cancelled.Status);
        Assert.Equal(engine.TextOf(engine.TokensOf(0, 1)), cancelled.GetOutputText());
        Assert.Equal(ResponseStatus.Cancelled, (await client.GetResponseAsync(created.Id)).Value.Status);
    }

    private static ResponsesClient Client(HttpClient http) => OpenAiClients.Responses(http);
}
