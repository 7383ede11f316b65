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

    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}
