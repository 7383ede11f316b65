using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>Posting raw JSON and reading responses as JSON nodes: the wire format itself is under test.</summary>
public static class Json
{
    public static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string body) =>
        client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, object body) =>
        client.PostAsJsonAsync(path, body);

    public static async Task<JsonNode> ReadAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new InvalidOperationException("null body");

    /// <summary>The data payloads of an SSE body, in order ("[DONE]" included).</summary>
    public static async Task<List<string>> ReadEventsAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("\n\n", body);
        return body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.StartsWith("data: ", StringComparison.Ordinal) ? e["data: ".Length..] : throw new InvalidOperationException($"not an SSE data line: {e}"))
            .ToList();
    }

    public static JsonNode Parse(string json) => JsonNode.Parse(json)!;

    /// <summary>The token ids POST /tokenize gives <paramref name="prompt"/> (the request must succeed).</summary>
    public static async Task<List<int>> TokenizeAsync(HttpClient client, string prompt)
    {
        using var response = await PostAsync(client, "/tokenize", new { prompt });
        var body = await ReadAsync(response);
        Assert.True(response.IsSuccessStatusCode, body.ToJsonString());
        return [.. body["tokens"]!.AsArray().Select(id => (int)id!)];
    }

    /// <summary>
    /// Each choice's whole text and finish reason from a completions or chat response, streamed (SSE chunks joined) or
    /// not; a chat choice's text is its message's (or its deltas') content.
    /// </summary>
    public static async Task<(string[] Texts, string?[] Finishes)> ReadChoicesAsync(HttpResponseMessage response, bool stream, int n)
    {
        var texts = new string[n];
        var finishes = new string?[n];
        var bodies = stream
            ? (await ReadEventsAsync(response)).Where(d => d != "[DONE]").Select(Parse).ToList()
            : [await ReadAsync(response)];
        foreach (var choice in bodies.SelectMany(b => b["choices"]!.AsArray()))
        {
            int i = (int)choice!["index"]!;
            texts[i] += (string?)(choice["text"] ?? choice[stream ? "delta" : "message"]?["content"]);
            finishes[i] = (string?)choice["finish_reason"] ?? finishes[i];
        }

        return (texts, finishes);
    }

    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}
