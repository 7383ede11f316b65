using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using MambaServe.Server.Grpc.V1;
using MambaServe.Server.Tests.Infrastructure;
using Google.Protobuf;

namespace MambaServe.Server.Tests.Hosting;

/// <summary>
/// Thousands of hostile requests against the real server process (the built dll, the demo model): none may get a
/// 5xx, every 4xx body is OpenAI's error shape (Anthropic's on its routes), none may hang, and the server logs no error and stays healthy.
/// MAMBASERVE_FUZZ_SEED replays a run; MAMBASERVE_FUZZ_REQUESTS sets its size.
/// </summary>
[Collection(RealServerCollection.Name)]
public sealed class FuzzTests(RealServerFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Rest_HostileRequests_NeverAServerErrorAndAlwaysTheErrorShape()
    {
        int seed = RealServerSettings.Int("MAMBASERVE_FUZZ_SEED", Random.Shared.Next());
        int count = RealServerSettings.Int("MAMBASERVE_FUZZ_REQUESTS", 3000);
        output.WriteLine($"fuzz seed {seed}, {count} requests (replay: MAMBASERVE_FUZZ_SEED={seed})");
        var server = fixture.Server;
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 8 }) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var generator = new HostileRequests(seed);
        // Generated lazily: the loop takes items one at a time, in order, so a seed always yields the same requests.
        var requests = Enumerable.Range(0, count).Select(i => (Index: i, Request: generator.Next()));
        var failures = new List<string>();
        var statuses = new Dictionary<int, int>();
        var clock = Stopwatch.StartNew();

        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (item, ct) =>
        {
            var problem = await SendAsync(http, item.Request, statuses);
            if (problem is not null)
            {
                lock (failures)
                {
                    failures.Add($"#{item.Index} {problem}\n    {item.Request}");
                }
            }
        });

        output.WriteLine($"{count} requests in {clock.Elapsed.TotalSeconds:F1} s; statuses {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))}");
        Assert.True(failures.Count == 0, $"seed {seed}: {failures.Count} bad answers, first ones:\n{string.Join('\n', failures.Take(10))}\nserver:\n{server.Tail}");
        await AssertHealthyAsync(http, server, seed);
    }

    /// <summary>
    /// The Responses WebSocket, one socket for the whole run: every hostile message is answered by an error event in
    /// OpenAI's shape (never a 5xx status), by a response's events or (a steer) by response.steer.failed, and the socket stays open for the next, except
    /// after text that is not UTF-8, which fails the connection as the WebSocket protocol has it (1007; the test then
    /// reconnects).
    /// </summary>
    [Fact]
    public async Task Socket_HostileMessages_AnErrorEventOrAResponse_AndTheSocketStaysOpen()
    {
        int seed = RealServerSettings.Int("MAMBASERVE_FUZZ_SEED", Random.Shared.Next());
        int count = RealServerSettings.Int("MAMBASERVE_FUZZ_SOCKET_MESSAGES", 400);
        output.WriteLine($"socket fuzz seed {seed}, {count} messages (replay: MAMBASERVE_FUZZ_SEED={seed})");
        var server = fixture.Server;
        var generator = new HostileRequests(seed);
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        int errors = 0, responses = 0, reconnects = 0;
        var socket = await OpenSocketAsync(server.BaseAddress);
        for (int i = 0; i < count && failures.Count < 10; i++)
        {
            var message = generator.NextSocketMessage();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await socket.SendAsync(message.Body, System.Net.WebSockets.WebSocketMessageType.Text, true, timeout.Token);
                while (true)
                {
                    var (last, problem) = await ReadEventAsync(socket, timeout.Token);
                    if (problem is not null)
                    {
                        failures.Add($"#{i} {problem}\n    {message}");
                    }

                    if (last is null)
                    {
                        continue;
                    }

                    if (last == "closed")
                    {
                        if (socket.CloseStatus != System.Net.WebSockets.WebSocketCloseStatus.InvalidPayloadData || IsUtf8(message.Body))
                        {
                            failures.Add($"#{i} closed with {socket.CloseStatus} {socket.CloseStatusDescription}\n    {message}");
                        }

                        socket.Dispose();
                        socket = await OpenSocketAsync(server.BaseAddress);
                        reconnects++;
                    }
                    else if (last == "error")
                    {
                        errors++;
                    }
                    else
                    {
                        responses++;
                    }

                    break;
                }
            }
            catch (System.Net.WebSockets.WebSocketException ex)
            {
                // Text that is not UTF-8 fails the connection (RFC 6455: a 1007 close frame, which a reset may overtake).
                if (IsUtf8(message.Body))
                {
                    failures.Add($"#{i} the connection dropped ({ex.Message})\n    {message}");
                }

                socket.Dispose();
                socket = await OpenSocketAsync(server.BaseAddress);
                reconnects++;
            }
            catch (OperationCanceledException)
            {
                failures.Add($"#{i} no last event within 60 s (hung)\n    {message}");
                socket.Dispose();
                socket = await OpenSocketAsync(server.BaseAddress);
            }
        }

        socket.Dispose();
        output.WriteLine($"{count} messages in {clock.Elapsed.TotalSeconds:F1} s: {errors} error events, {responses} responses, {reconnects} reconnects after text that is not UTF-8");
        Assert.True(failures.Count == 0, $"seed {seed}: {failures.Count} bad answers, first ones:\n{string.Join('\n', failures.Take(10))}\nserver:\n{server.Tail}");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        await AssertHealthyAsync(http, server, seed);
    }

    [Fact]
    public async Task Grpc_HostileMessages_NeverAServerFault()
    {
        int seed = RealServerSettings.Int("MAMBASERVE_FUZZ_SEED", Random.Shared.Next());
        int count = RealServerSettings.Int("MAMBASERVE_FUZZ_GRPC_REQUESTS", 500);
        output.WriteLine($"gRPC fuzz seed {seed}, {count} messages (replay: MAMBASERVE_FUZZ_SEED={seed})");
        var server = fixture.Server;
        var clock = Stopwatch.StartNew();
        using var channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var invoker = channel.CreateCallInvoker();
        var random = new Random(seed);
        var failures = new List<string>();
        var valid = new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 3, Temperature = 0.5f, TopK = 5, Stop = { "\n" }, StopTokenIds = { 0 } }.ToByteArray();
        var validTokenize = new TokenizeRequest { Text = "Hello world" }.ToByteArray();

        for (int i = 0; i < count; i++)
        {
            bool generate = random.Next(4) > 0;
            var message = Mutate(random, generate ? valid : validTokenize);
            var status = await CallAsync(invoker, generate, message);
            if (status is StatusCode.Unknown or StatusCode.Internal or StatusCode.DataLoss or StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
                failures.Add($"#{i} {(generate ? "Generate" : "Tokenize")} {Convert.ToHexString(message)}: {status}");
            }
        }

        output.WriteLine($"{count} messages in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(failures.Count == 0, $"seed {seed}: {failures.Count} server faults, first ones:\n{string.Join('\n', failures.Take(10))}\nserver:\n{server.Tail}");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        await AssertHealthyAsync(http, server, seed);
    }

    private static bool IsUtf8(byte[] bytes) => System.Text.Unicode.Utf8.IsValid(bytes);

    private static async Task<System.Net.WebSockets.ClientWebSocket> OpenSocketAsync(Uri baseAddress)
    {
        var socket = new System.Net.WebSockets.ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{baseAddress.Authority}/v1/responses"), CancellationToken.None);
        return socket;
    }

    /// <summary>
    /// One event: ("closed", problem) when the server closed the socket; the type of a last event (error, or a
    /// response's last) with a problem when an error event is a 5xx or not OpenAI's shape; (null, null) for any other.
    /// </summary>
    private static async Task<(string? Last, string? Problem)> ReadEventAsync(System.Net.WebSockets.ClientWebSocket socket, CancellationToken ct)
    {
        if (await ResponsesSocket.ReceiveMessageAsync(socket, ct) is not { } message)
        {
            return ("closed", null);
        }

        using var document = JsonDocument.Parse(message);
        string? type = document.RootElement.GetProperty("type").GetString();
        if (type == "error")
        {
            int status = document.RootElement.GetProperty("status").GetInt32();
            var body = document.RootElement.GetRawText();
            var problem = status >= 500 ? $"error event {status}: {body}"
                : ErrorShapeProblem(new MediaTypeHeaderValue("application/json"), JsonSerializer.Serialize(new { error = document.RootElement.GetProperty("error") }), status, anthropic: false);
            return ("error", problem);
        }

        if (type == "response.steer.failed")
        {
            return ("error", null); // a steer's answer: sent alone, a steer finds no response running to steer
        }

        return type is "response.completed" or "response.incomplete" or "response.failed"
            ? (type, type == "response.failed" ? $"response.failed: {document.RootElement.GetRawText()}" : null)
            : (null, null);
    }

    private static async Task<string?> SendAsync(HttpClient http, HostileRequest request, Dictionary<int, int> statuses)
    {
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Path);
        if (request.Method != "GET")
        {
            message.Content = new ByteArrayContent(request.Body);
            message.Content.Headers.ContentType = null;
            if (request.ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
            }
        }

        try
        {
            using var response = await http.SendAsync(message);
            var body = await response.Content.ReadAsStringAsync();
            int status = (int)response.StatusCode;
            lock (statuses)
            {
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
            }

            if (status >= 500)
            {
                return $"{status}: {body}";
            }

            return status >= 400 ? ErrorShapeProblem(response.Content.Headers.ContentType, body, status, AnthropicRoute(request.Path)) : null;
        }
        catch (TaskCanceledException)
        {
            return "no answer within 60 s (hung)";
        }
        catch (HttpRequestException ex)
        {
            return $"connection failed: {ex.Message}";
        }
    }

    /// <summary>Whether the server answers <paramref name="path"/> in Anthropic's error shape (its Messages routes, matched as routing matches them).</summary>
    private static bool AnthropicRoute(string path) =>
        new Microsoft.AspNetCore.Http.PathString(Uri.UnescapeDataString(path.Split('?')[0])).StartsWithSegments("/v1/messages");

    // OpenAI's {"error":{"message": non-empty string, "type": string, "param": string|null, "code": string|null}}, or on
    // the Anthropic routes Anthropic's {"type": "error", "error": {"type": string, "message": non-empty string}}.
    private static string? ErrorShapeProblem(MediaTypeHeaderValue? contentType, string body, int status, bool anthropic)
    {
        if (contentType?.MediaType != "application/json")
        {
            return $"{status} with Content-Type {contentType}: {body}";
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var error = document.RootElement.GetProperty("error");
            bool ok = error.GetProperty("message") is { ValueKind: JsonValueKind.String } m && m.GetString()!.Length > 0
                && error.GetProperty("type").ValueKind == JsonValueKind.String
                && (anthropic
                    ? document.RootElement.GetProperty("type").ValueEquals("error")
                    : error.GetProperty("param").ValueKind is JsonValueKind.String or JsonValueKind.Null
                        && error.GetProperty("code").ValueKind is JsonValueKind.String or JsonValueKind.Null)
                && !m.GetString()!.Contains("System.", StringComparison.Ordinal);
            return ok ? null : $"{status} not in the error shape: {body}";
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return $"{status} not in the error shape ({ex.GetType().Name}): {body}";
        }
    }

    private static byte[] Mutate(Random random, byte[] valid)
    {
        var bytes = valid.ToList();
        switch (random.Next(5))
        {
            case 0:
                bytes = bytes.Take(random.Next(bytes.Count)).ToList();
                break;
            case 1:
                bytes.InsertRange(random.Next(bytes.Count + 1), Enumerable.Range(0, random.Next(1, 8)).Select(_ => (byte)random.Next(256)));
                break;
            case 2:
                for (int k = random.Next(1, 4); k > 0 && bytes.Count > 0; k--)
                {
                    bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                }

                break;
            case 3:
                // A string field (2: prompt / text) whose bytes are not UTF-8.
                bytes.AddRange([0x12, 0x03, (byte)'a', 0xFF, 0xED]);
                break;
            default:
                var junk = new byte[random.Next(0, 64)];
                random.NextBytes(junk);
                bytes = [.. junk];
                break;
        }

        return [.. bytes];
    }

    private static async Task<StatusCode> CallAsync(CallInvoker invoker, bool generate, byte[] message)
    {
        var marshaller = new Marshaller<byte[]>(b => b, b => b);
        var options = new CallOptions(deadline: DateTime.UtcNow.AddSeconds(60));
        try
        {
            if (generate)
            {
                var method = new Method<byte[], byte[]>(MethodType.ServerStreaming, TextGeneration.Descriptor.FullName, "Generate", marshaller, marshaller);
                using var call = invoker.AsyncServerStreamingCall(method, null, options, message);
                await foreach (var _ in call.ResponseStream.ReadAllAsync())
                {
                }
            }
            else
            {
                var method = new Method<byte[], byte[]>(MethodType.Unary, TextGeneration.Descriptor.FullName, "Tokenize", marshaller, marshaller);
                await invoker.AsyncUnaryCall(method, null, options, message);
            }

            return StatusCode.OK;
        }
        catch (RpcException ex)
        {
            return ex.StatusCode;
        }
    }

    private static async Task AssertHealthyAsync(HttpClient http, ServerProcess server, int seed)
    {
        using var health = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.False(server.HasExited);
        Assert.True(server.ErrorLines.Count == 0, $"seed {seed}: the server logged errors:\n{string.Join('\n', server.ErrorLines.Take(20))}");
    }
}
