using System.Text.Json;

namespace MambaServe.Engine.Loading.Hub;

/// <summary>The commit a revision points at and the files in it.</summary>
internal sealed record HubRepoInfo(string Sha, IReadOnlyList<HubSibling> Siblings)
{
    public static HubRepoInfo Parse(string url, string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var sha = root.TryGetProperty("sha", out var shaElement) ? shaElement.GetString() : null;
            if (string.IsNullOrEmpty(sha) || !root.TryGetProperty("siblings", out var siblings)
                || siblings.ValueKind != JsonValueKind.Array)
            {
                throw new HubException($"Hub answer from '{url}' lacks 'sha' or 'siblings'.");
            }

            return new HubRepoInfo(sha, siblings.EnumerateArray().Select(ParseSibling).ToList());
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new HubException($"Hub answer from '{url}' is not the expected JSON: {ex.Message}", ex);
        }
    }

    private static HubSibling ParseSibling(JsonElement e)
    {
        string? Str(JsonElement parent, string key) =>
            parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String
                ? v.GetString()
                : null;
        long? Num(JsonElement parent, string key) =>
            parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number
                ? v.GetInt64()
                : null;

        var lfs = e.TryGetProperty("lfs", out var lfsElement) ? lfsElement : default;
        return new HubSibling(
            Str(e, "rfilename") ?? throw new InvalidOperationException("a sibling has no 'rfilename'"),
            Num(lfs, "size") ?? Num(e, "size"),
            Str(e, "blobId"),
            Str(lfs, "sha256") ?? Str(lfs, "oid"));
    }
}
