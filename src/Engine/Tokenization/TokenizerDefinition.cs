using System.Text.Json;

namespace MambaServe.Engine.Tokenization;

/// <summary>The parts of an HF tokenizer.json (+ tokenizer_config.json) that a byte-level BPE needs.</summary>
internal sealed record TokenizerDefinition(
    Dictionary<string, int> Vocab,
    List<string> Merges,
    IReadOnlyList<AddedToken> AddedTokens,
    bool Nfc,
    string? EosToken,
    string? ChatTemplate)
{
    public static TokenizerDefinition Read(string tokenizerJsonPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(tokenizerJsonPath));
        var root = doc.RootElement;
        var model = root.GetProperty("model");
        if (model.TryGetProperty("type", out var type) && type.GetString() != "BPE")
        {
            throw new NotSupportedException($"{tokenizerJsonPath}: model type {type.GetString()} (only BPE is supported)");
        }

        var vocab = new Dictionary<string, int>();
        foreach (var entry in model.GetProperty("vocab").EnumerateObject())
        {
            vocab[entry.Name] = entry.Value.GetInt32();
        }

        // tokenizers < 0.20 writes merges as "a b", newer versions as ["a", "b"]; the ML.Tokenizers BPE reads "a b".
        // Byte-level tokens never hold a literal space, so the joined form is unambiguous.
        var merges = new List<string>();
        foreach (var merge in model.GetProperty("merges").EnumerateArray())
        {
            merges.Add(merge.ValueKind == JsonValueKind.Array
                ? $"{merge[0].GetString()} {merge[1].GetString()}"
                : merge.GetString()!);
        }

        var added = new List<AddedToken>();
        if (root.TryGetProperty("added_tokens", out var addedJson))
        {
            foreach (var t in addedJson.EnumerateArray())
            {
                added.Add(new AddedToken(t.GetProperty("id").GetInt32(), t.GetProperty("content").GetString()!,
                    t.TryGetProperty("special", out var s) && s.GetBoolean()));
            }
        }

        var (eos, template) = ReadConfig(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerJsonPath))!, "tokenizer_config.json"));
        return new TokenizerDefinition(vocab, merges, added, HasNfc(root), eos, template);
    }

    private static bool HasNfc(JsonElement root)
    {
        if (!root.TryGetProperty("normalizer", out var normalizer) || normalizer.ValueKind != JsonValueKind.Object)
        {
            return false;
        }
        var type = normalizer.GetProperty("type").GetString();
        if (type == "NFC")
        {
            return true;
        }
        if (type == "Sequence")
        {
            return normalizer.GetProperty("normalizers").EnumerateArray().Any(n => n.GetProperty("type").GetString() == "NFC");
        }
        throw new NotSupportedException($"tokenizer.json normalizer {type} is not supported (only NFC)");
    }

    private static (string? Eos, string? ChatTemplate) ReadConfig(string path)
    {
        if (!File.Exists(path))
        {
            return (null, null);
        }
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        return (TokenContent(root, "eos_token"),
            root.TryGetProperty("chat_template", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null);
    }

    // A special token in tokenizer_config.json is either its text or an AddedToken object with "content".
    private static string? TokenContent(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var v) ? null
        : v.ValueKind == JsonValueKind.String ? v.GetString()
        : v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var c) ? c.GetString()
        : null;
}
