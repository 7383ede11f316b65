using System.Net;
using System.Text.Json.Nodes;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi.Responses;

/// <summary>
/// The output text's logprobs on /v1/responses (include message.output_text.logprobs, top_logprobs) on the demo
/// model: one entry a token, greedy picks the best of its alternatives, and a stream's deltas carry the same entries
/// as the finished text.
/// </summary>
public sealed class ResponsesLogprobsTests
{
    [Fact]
    public async Task Create_IncludeLogprobs_OneEntryATokenWithItsAlternatives_GreedyPicksTheBest()
    {
        await using var factory = ServerFactory.WithDemoModel();
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/responses", Body(stream: false));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var body = Json.Parse(text);
        var part = body["output"]![0]!["content"]![0]!;
        var logprobs = part["logprobs"]!.AsArray();
        Assert.Equal((int)body["usage"]!["output_tokens"]!, logprobs.Count);
        Assert.Equal((string?)part["text"], string.Concat(logprobs.Select(l => (string?)l!["token"])));
        foreach (var entry in logprobs)
        {
            var top = entry!["top_logprobs"]!.AsArray();
            Assert.Equal(3, top.Count);
            Assert.Equal((string?)top[0]!["token"], (string?)entry["token"]);
            Assert.Equal((float)top[0]!["logprob"]!, (float)entry["logprob"]!, 1e-4f);
            Assert.True((float)entry["logprob"]! <= 0f);
            Assert.Equal(System.Text.Encoding.UTF8.GetBytes((string)entry["token"]!).Select(b => (int)b), entry["bytes"]!.AsArray().Select(b => (int)b!));
        }
    }

    [Fact]
    public async Task Stream_TheDeltasCarryTheSameEntriesAsTheDoneText()
    {
        await using var factory = ServerFactory.WithDemoModel();
        var client = await factory.CreateReadyClientAsync();
        using var plain = await Json.PostAsync(client, "/v1/responses", Body(stream: false));
        var expected = Json.Parse(await plain.Content.ReadAsStringAsync())["output"]![0]!["content"]![0]!["logprobs"]!.ToJsonString();

        using var response = await Json.PostAsync(client, "/v1/responses", Body(stream: true));

        var events = await ResponsesEndpointTests.ReadEventsAsync(response);
        var deltas = new JsonArray([.. events.Where(e => e.Type == "response.output_text.delta")
            .SelectMany(e => e.Data["logprobs"]!.AsArray()).Select(l => l!.DeepClone())]);
        var done = events.Single(e => e.Type == "response.output_text.done").Data["logprobs"]!;
        Assert.Equal(expected, done.ToJsonString());
        Assert.Equal(expected, deltas.ToJsonString());
    }

    private static JsonObject Body(bool stream) => new()
    {
        ["input"] = "Tell me about the jury.", ["max_output_tokens"] = 12, ["temperature"] = 0, ["stream"] = stream,
        ["include"] = new JsonArray("message.output_text.logprobs"), ["top_logprobs"] = 3,
    };
}
