using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Anthropic.Models.Messages;
using MambaServe.Server.Tests.Infrastructure;
using MambaServe.Server.Tests.OpenAi.Chat;

namespace MambaServe.Server.Tests.Anthropic;

/// <summary>The official Anthropic .NET SDK, unchanged, against the in-process server on the demo model.</summary>
public sealed class AnthropicClientTests
{
    [Fact]
    public async Task AnthropicSdk_CreateStreamAndCountTokens_AnswerAsChatDoesForTheSameConversation()
    {
        await using var factory = ServerFactory.WithDemoModel();
        var http = await factory.CreateReadyClientAsync();
        var client = Client(http);
        var parameters = Greedy(new MessageCreateParams
        {
            Model = "mamba-demo-5m", MaxTokens = 12, System = "You are a reporter.",
            Messages = [new UserMessageParam("Tell me about the jury.")],
        });

        Message message = await client.Messages.Create(parameters);
        var streamed = new StringBuilder();
        var types = new List<string>();
        await foreach (var streamEvent in client.Messages.CreateStreaming(parameters))
        {
            types.Add(streamEvent.Json.GetProperty("type").GetString()!);
            if (streamEvent.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var text))
            {
                streamed.Append(text.Text);
            }
        }

        MessageTokensCount count = await client.Messages.CountTokens(new MessageCountTokensParams
        {
            Model = "mamba-demo-5m", System = "You are a reporter.", Messages = [new UserMessageParam("Tell me about the jury.")],
        });

        Assert.True(message.Content.Single().TryPickText(out var block));
        string chatText = await ChatAnswerAsync(http, """[{"role":"system","content":"You are a reporter."},{"role":"user","content":"Tell me about the jury."}]""");
        Assert.Equal(chatText, block.Text);
        Assert.Equal(StopReason.MaxTokens, (StopReason)message.StopReason!);
        Assert.Equal(12, message.Usage.OutputTokens);
        Assert.StartsWith("msg_", message.ID, StringComparison.Ordinal);
        Assert.Equal(block.Text, streamed.ToString());
        Assert.Equal("message_start", types[0]);
        Assert.Equal(["message_delta", "message_stop"], types[^2..]);
        Assert.Equal(message.Usage.InputTokens, count.InputTokens);
    }

    [Fact]
    public async Task AnthropicSdk_ForcedToolUse_FollowsItsInputSchema_AndItsResultContinuesTheConversation()
    {
        await using var factory = ServerFactory.WithDemoModel();
        var client = Client(await factory.CreateReadyClientAsync());
        var weather = new Tool
        {
            Name = "get_weather", Description = "The weather in a city",
            InputSchema = InputSchema.FromRawUnchecked(JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(ToolChoiceTests.WeatherParameters)!),
        };

        Message called = await client.Messages.Create(Greedy(new MessageCreateParams
        {
            Model = "mamba-demo-5m", MaxTokens = 60, Tools = [weather],
            ToolChoice = new ToolChoiceTool("get_weather"),
            Messages = [new UserMessageParam("What is the weather in Paris?")],
        }));

        Assert.Equal(StopReason.ToolUse, (StopReason)called.StopReason!);
        Assert.True(called.Content.Single().TryPickToolUse(out var use));
        Assert.Equal("get_weather", use.Name);
        ToolChoiceTests.AssertWeather(JsonSerializer.Serialize(use.Input));

        Message answered = await client.Messages.Create(Greedy(new MessageCreateParams
        {
            Model = "mamba-demo-5m", MaxTokens = 6, Tools = [weather],
            Messages =
            [
                new UserMessageParam("What is the weather in Paris?"),
                new AssistantMessageParam(new List<ContentBlockParam> { new ToolUseBlockParam { ID = use.ID, Name = use.Name, Input = use.Input } }),
                new UserMessageParam(new List<ContentBlockParam> { new ToolResultBlockParam(use.ID) { Content = "18 C and sunny" } }),
            ],
            ToolChoice = new ToolChoiceNone(),
        }));

        Assert.True(answered.Content.Single().TryPickText(out var text));
        Assert.False(string.IsNullOrEmpty(text.Text));
        Assert.True(answered.Usage.InputTokens > called.Usage.InputTokens, "the second prompt holds the call and its result");
    }

    [Fact]
    public async Task AnthropicSdk_OutputConfigFormat_MakesTheTextAValueOfItsSchema()
    {
        await using var factory = ServerFactory.WithDemoModel();
        var client = Client(await factory.CreateReadyClientAsync());

        Message message = await client.Messages.Create(Greedy(new MessageCreateParams
        {
            Model = "mamba-demo-5m", MaxTokens = 60, Messages = [new UserMessageParam("What is the weather in Paris?")],
            OutputConfig = new OutputConfig
            {
                Format = new JsonOutputFormat { Schema = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(ToolChoiceTests.WeatherParameters)! },
            },
        }));

        Assert.True(message.Content.Single().TryPickText(out var text));
        ToolChoiceTests.AssertWeather(text.Text);
        Assert.Equal(StopReason.EndTurn, (StopReason)message.StopReason!);
    }

    [Fact]
    public async Task AnthropicSdk_BadRequest_IsItsBadRequestException_WithAnthropicsErrorBody()
    {
        await using var factory = ServerFactory.WithDemoModel();
        var client = Client(await factory.CreateReadyClientAsync());

        var error = await Assert.ThrowsAsync<global::Anthropic.Exceptions.AnthropicBadRequestException>(() => client.Messages.Create(WithBody(
            new MessageCreateParams { Model = "mamba-demo-5m", MaxTokens = 4, Messages = [new UserMessageParam("Hi")] }, "temperature", 1.5)));

        using var body = JsonDocument.Parse(error.ResponseBody);
        Assert.Equal("error", body.RootElement.GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", body.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("temperature", body.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnthropicSdk_ListsAndRetrievesTheServedModel_WithItsLimits_AndAnUnknownOneIsItsNotFoundException()
    {
        await using var factory = ServerFactory.WithDemoModel();
        var http = await factory.CreateReadyClientAsync();
        var client = Client(http);

        var page = await client.Models.List(new global::Anthropic.Models.Models.ModelListParams());
        var model = await client.Models.Retrieve("mamba-demo-5m", new global::Anthropic.Models.Models.ModelRetrieveParams());
        var missing = await Assert.ThrowsAsync<global::Anthropic.Exceptions.AnthropicNotFoundException>(
            () => client.Models.Retrieve("claude-sonnet-4-5", new global::Anthropic.Models.Models.ModelRetrieveParams()));
        using var openAi = await http.GetAsync("/v1/models");

        var listed = Assert.Single(page.Items);
        Assert.False(page.HasNext());
        Assert.Equal(("mamba-demo-5m", "mamba-demo-5m"), (listed.ID, model.ID));
        Assert.True(model.MaxInputTokens > 0 && model.MaxTokens > 0);
        Assert.Equal("not_found_error", JsonDocument.Parse(missing.ResponseBody).RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("list", (string?)(await Json.ReadAsync(openAi))["object"]); // without Anthropic's header: OpenAI's shape
    }

    [Fact]
    public async Task AnthropicSdk_TheNextTurn_RestoresTheStateTheFirstAnswerEndedWith()
    {
        // Anthropic's clients resend the whole conversation each turn: the second turn restores the state the first
        // answer ended with (the prefix cache's end entry: its prompt and all its tokens but the last, which nothing
        // fed). Anthropic's usage has no field for it (cache_read_input_tokens is caching the client asks for), so
        // /metrics says how many prompt tokens were restored.
        await using var factory = ServerFactory.WithDemoModel(extra: new Dictionary<string, string?> { ["MambaServe:Scheduler:PrefixCacheInterval"] = "16" });
        var http = await factory.CreateReadyClientAsync();
        var client = Client(http);
        UserMessageParam question = new("Tell me about the jury.");
        Message first = await client.Messages.Create(Greedy(new MessageCreateParams
        {
            Model = "mamba-demo-5m", MaxTokens = 24, System = "You are a reporter.", Messages = [question],
        }));
        Assert.True(first.Content.Single().TryPickText(out var answer));

        await client.Messages.Create(Greedy(new MessageCreateParams
        {
            Model = "mamba-demo-5m", MaxTokens = 8, System = "You are a reporter.",
            Messages = [question, new AssistantMessageParam(answer.Text), new UserMessageParam("And then?")],
        }));

        const string HitTokens = "mambaserve_prefix_cache_hit_tokens_total";
        long restored = first.Usage.InputTokens + first.Usage.OutputTokens - 1;
        var metrics = await Prometheus.ScrapeUntilAsync(http, text => Prometheus.Sum(text, HitTokens) == restored);
        Assert.Equal(restored, Prometheus.Sum(metrics, HitTokens));
    }

    /// <summary>
    /// <paramref name="parameters"/> with temperature 0. This SDK has no sampling fields (newer Claude models take none),
    /// but the API, and this server, still take <c>temperature</c>: older clients and raw calls send it.
    /// </summary>
    private static MessageCreateParams Greedy(MessageCreateParams parameters) => WithBody(parameters, "temperature", 0);

    private static MessageCreateParams WithBody(MessageCreateParams parameters, string field, double value)
    {
        var body = new Dictionary<string, JsonElement>(parameters.RawBodyData) { [field] = JsonSerializer.SerializeToElement(value) };
        return MessageCreateParams.FromRawUnchecked(parameters.RawHeaderData, parameters.RawQueryData, body);
    }

    /// <summary>The greedy answer of /v1/chat/completions to <paramref name="messages"/> (12 tokens).</summary>
    internal static async Task<string> ChatAnswerAsync(HttpClient http, string messages)
    {
        using var response = await Json.PostAsync(http, "/v1/chat/completions", $$"""{"messages":{{messages}},"max_tokens":12,"temperature":0}""");
        return (string)(await Json.ReadAsync(response))["choices"]![0]!["message"]!["content"]!;
    }

    private static AnthropicClient Client(HttpClient http) => new(new ClientOptions
    {
        HttpClient = http, BaseUrl = http.BaseAddress!.ToString().TrimEnd('/'), ApiKey = "unused", MaxRetries = 0,
    });
}
