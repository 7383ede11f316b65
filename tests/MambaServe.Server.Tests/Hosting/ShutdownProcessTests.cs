using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Grpc.Core;
using Grpc.Net.Client;
using MambaServe.Server.Grpc.V1;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.Hosting;

/// <summary>
/// SIGTERM to the real process with long generations in flight over SSE, plain HTTP and gRPC: after the grace
/// period each ends with finish reason abort (a final chunk and [DONE]; a 200 with the text so far; a final
/// message), and the process exits 0, instead of Kestrel's 30-second drain ending in reset connections.
/// </summary>
public sealed partial class ShutdownProcessTests
{
    private const int Endless = 500_000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sigterm_LongGenerationsInFlight_EachEndsWithAbortAndProcessExitsZero()
    {
        await using var server = ServerProcess.Start(
            ["--max-model-len", "1000000", "--MambaServe:Scheduler:ShutdownGracePeriod=00:00:01", "--MambaServe:Model:Threads=1"]);
        var http = await server.WaitHealthyAsync(Ct);
        var body = new { prompt = "Once upon a time", max_tokens = Endless, ignore_eos = true };
        var plain = Json.PostAsync(http, "/v1/completions", body);
        using var sse = await StartStreamAsync(http, body);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{server.GrpcPort}");
        using var call = new TextGeneration.TextGenerationClient(channel).Generate(
            new GenerateRequest { Prompt = "Once upon a time", MaxTokens = Endless, IgnoreEos = true }, cancellationToken: Ct);
        Assert.True(await call.ResponseStream.MoveNext(Ct));
        await WaitRunningAsync(http, 3);

        server.Terminate();

        var events = await ReadEventsAsync(sse);
        using var plainResponse = await plain;
        var plainBody = await Json.ReadAsync(plainResponse);
        var grpcLast = call.ResponseStream.Current;
        while (await call.ResponseStream.MoveNext(Ct))
        {
            grpcLast = call.ResponseStream.Current;
        }

        Assert.Equal("[DONE]", events[^1]);
        Assert.Equal("abort", (string?)Json.Parse(events[^2])["choices"]![0]!["finish_reason"]);
        Assert.Equal(HttpStatusCode.OK, plainResponse.StatusCode);
        Assert.Equal("abort", (string?)plainBody["choices"]![0]!["finish_reason"]);
        Assert.NotEmpty((string?)plainBody["choices"]![0]!["text"] ?? "");
        Assert.InRange((int)plainBody["usage"]!["completion_tokens"]!, 1, Endless - 1);
        Assert.Equal("abort", grpcLast.FinishReason);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromMinutes(1), Ct));
    }

    private static async Task<HttpResponseMessage> StartStreamAsync(HttpClient http, object body)
    {
        var json = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(body))!;
        json["stream"] = true;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent(json.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response;
    }

    /// <summary>The SSE data payloads until the server ends the body.</summary>
    private static async Task<List<string>> ReadEventsAsync(HttpResponseMessage response)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
        var events = new List<string>();
        while (await reader.ReadLineAsync(Ct) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add(line["data: ".Length..]);
            }
        }

        return events;
    }

    /// <summary>Until the engine runs <paramref name="count"/> sequences: every request is admitted, none finished.</summary>
    private static async Task WaitRunningAsync(HttpClient http, int count)
    {
        while (true)
        {
            var metrics = await http.GetStringAsync("/metrics", Ct);
            if (RunningGauge().Match(metrics) is { Success: true } m && int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= count)
            {
                return;
            }

            await Task.Delay(100, Ct);
        }
    }

    [GeneratedRegex(@"^mambaserve_scheduler_running\{[^}]*\} (\d+)", RegexOptions.Multiline)]
    private static partial Regex RunningGauge();
}
