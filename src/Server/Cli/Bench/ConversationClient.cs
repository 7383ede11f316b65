using System.Diagnostics;
using System.Net.WebSockets;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MambaServe.Server.Cli.Bench;

/// <summary>
/// The ways a client holds a conversation with the server, streamed so that the time to the first text is measured as
/// a client sees it: continuing with previous_response_id or in a conversation of the Conversations API (POST
/// /v1/responses), continuing unstored responses on one Responses WebSocket, or resending the whole history (POST
/// /v1/chat/completions).
/// </summary>
public static class ConversationClient
{
    /// <param name="conversation">The conversation to respond in (then <paramref name="previous"/> is null).</param>
    public static Task<ConversationTurn> RespondAsync(
        HttpClient http, string model, string instructions, string input, string? previous, int maxTokens, CancellationToken ct, string? conversation = null)
    {
        var body = new { model, input, instructions, previous_response_id = previous, conversation, max_output_tokens = maxTokens, temperature = 0, stream = true };
        return ReadTurnAsync(Stopwatch.GetTimestamp(), EventsAsync(http, "/v1/responses", body, ct));
    }

    /// <summary>
    /// One turn over a Responses WebSocket (OpenAI's WebSocket mode), unstored: the socket keeps its latest unstored
    /// response to continue with <paramref name="previous"/>.
    /// </summary>
    public static Task<ConversationTurn> RespondOnSocketAsync(
        ClientWebSocket socket, string model, string instructions, string input, string? previous, int maxTokens, CancellationToken ct)
    {
        var body = new { type = "response.create", model, input, instructions, previous_response_id = previous, store = false, max_output_tokens = maxTokens, temperature = 0 };
        return ReadTurnAsync(Stopwatch.GetTimestamp(), SocketEventsAsync(socket, body, ct));
    }

    /// <summary>A Responses WebSocket on the server at <paramref name="baseAddress"/>.</summary>
    public static async Task<ClientWebSocket> ConnectAsync(Uri baseAddress, CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{baseAddress.Authority}/v1/responses"), ct);
        return socket;
    }

    /// <summary>A streamed response's events read into a turn: the time to its first text (from <paramref name="started"/>), the text, the usage.</summary>
    private static async Task<ConversationTurn> ReadTurnAsync(long started, IAsyncEnumerable<(string Type, JsonNode Data)> events)
    {
        double? first = null;
        var text = new StringBuilder();
        JsonNode? final = null;
        await foreach (var (type, data) in events)
        {
            if (type == "response.output_text.delta")
            {
                first ??= Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                text.Append((string?)data["delta"]);
            }
            else if (type is "response.completed" or "response.incomplete")
            {
                final = data["response"];
            }
            else if (type is "response.failed" or "error")
            {
                throw new InvalidOperationException($"The response failed: {data.ToJsonString()}");
            }
        }

        first ??= Stopwatch.GetElapsedTime(started).TotalMilliseconds; // no text at all: the first token was a stop
        var usage = final?["usage"] ?? throw new InvalidOperationException("The stream ended without a final response.");
        return new ConversationTurn(first.Value, text.ToString(), (int)usage["input_tokens"]!, (int)usage["input_tokens_details"]!["cached_tokens"]!, (string?)final["id"]);
    }

    /// <summary>Sends one response.create on <paramref name="socket"/>; its events (type, the event), up to its last one or an error.</summary>
    private static async IAsyncEnumerable<(string Type, JsonNode Data)> SocketEventsAsync(
        ClientWebSocket socket, object body, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(body), WebSocketMessageType.Text, endOfMessage: true, ct);
        var message = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(chunk, ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException($"The server closed the socket: {socket.CloseStatus} {socket.CloseStatusDescription}");
            }

            message.Write(chunk, 0, result.Count);
            if (!result.EndOfMessage)
            {
                continue;
            }

            var data = JsonNode.Parse(message.ToArray()) ?? throw new JsonException("null event");
            message.SetLength(0);
            string type = (string?)data["type"] ?? string.Empty;
            yield return (type, data);
            if (type is "response.completed" or "response.incomplete" or "response.failed" or "error")
            {
                yield break;
            }
        }
    }

    /// <summary>A new, empty conversation of the Conversations API; its id.</summary>
    public static async Task<string> CreateConversationAsync(HttpClient http, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("/v1/conversations", new { }, ct);
        response.EnsureSuccessStatusCode();
        return (string)(await response.Content.ReadFromJsonAsync<JsonNode>(ct))!["id"]!;
    }

    public static async Task<ConversationTurn> ChatAsync(HttpClient http, string model, IReadOnlyList<object> messages, int maxTokens, CancellationToken ct)
    {
        var body = new { model, messages, max_tokens = maxTokens, temperature = 0, stream = true, stream_options = new { include_usage = true } };
        var started = Stopwatch.GetTimestamp();
        double? first = null;
        var text = new StringBuilder();
        int prompt = 0, cached = 0;
        await foreach (var (_, data) in EventsAsync(http, "/v1/chat/completions", body, ct))
        {
            if (data["choices"] is JsonArray { Count: > 0 } choices && (string?)choices[0]!["delta"]?["content"] is { Length: > 0 } delta)
            {
                first ??= Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                text.Append(delta);
            }

            prompt = (int?)data["usage"]?["prompt_tokens"] ?? prompt;
            cached = (int?)data["usage"]?["prompt_tokens_details"]?["cached_tokens"] ?? cached;
        }

        first ??= Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return new ConversationTurn(first.Value, text.ToString(), prompt, cached, null);
    }

    /// <summary>The SSE events of a POST: (event name or "", data as JSON), until the stream ends or says [DONE].</summary>
    public static async IAsyncEnumerable<(string Type, JsonNode Data)> EventsAsync(
        HttpClient http, string path, object body, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        }

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        string type = string.Empty;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                var data = line["data: ".Length..];
                if (data == "[DONE]")
                {
                    yield break;
                }

                yield return (type, JsonNode.Parse(data) ?? throw new JsonException("null event"));
                type = string.Empty;
            }
        }
    }
}
