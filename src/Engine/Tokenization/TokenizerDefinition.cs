using System.Text.Json;
using MambaServe.Engine.Tokenization.PreTokenization;

namespace MambaServe.Engine.Tokenization;

/// <summary>
/// The parts of an HF tokenizer.json (+ tokenizer_config.json and chat_template.jinja) that a byte-level BPE and
/// the chat template need. <see cref="SpecialTokens"/> maps tokenizer_config.json's special-token attributes
/// (bos_token, eos_token, ...) to their text.
/// </summary>
internal sealed record TokenizerDefinition(
    Dictionary<string, int> Vocab,
    List<string> Merges,
    IReadOnlyList<AddedToken> AddedTokens,
    bool Nfc,
    IReadOnlyDictionary<string, string> SpecialTokens,
    string? ChatTemplate,
    bool PostProcessorAddsTokens = false,
    PreTokenizerPlan? PreTokenizer = null)
{

    public string? EosToken => SpecialTokens.GetValueOrDefault("eos_token");

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

        var folder = Path.GetDirectoryName(Path.GetFullPath(tokenizerJsonPath))!;
        var (specials, template) = ReadConfig(Path.Combine(folder, "tokenizer_config.json"));
        AddSpecialTokensFromVocab(specials, vocab, added);
        // transformers: a chat_template.jinja beside the config takes priority over the config's chat_template.
        var templateFile = Path.Combine(folder, "chat_template.jinja");
        if (File.Exists(templateFile))
        {
            template = File.ReadAllText(templateFile);
        }

        return new TokenizerDefinition(vocab, merges, added, HasNfc(root), specials, template, AddsTokens(root), PreTokenizerOf(root));
    }

    /// <summary>
    /// The pre_tokenizer's steps; null for GPT-2's ByteLevel alone (and for none), which <see cref="MambaTokenizer"/>
    /// runs as one regex.
    /// </summary>
    private static PreTokenizerPlan? PreTokenizerOf(JsonElement root)
    {
        if (!root.TryGetProperty("pre_tokenizer", out var pre) || pre.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        return PreTokenizerSteps.IsGpt2ByteLevel(pre) ? null : PreTokenizerSteps.Parse(pre);
    }

    /// <summary>
    /// Whether tokenizer.json's post_processor adds special tokens around an encoded text (HF's add_special_tokens):
    /// ByteLevel (GPT-2, GPT-NeoX) and none add nothing; TemplateProcessing adds the special tokens its single template
    /// names; Bert and Roberta processors add CLS/SEP. A Sequence adds what any of its processors adds.
    /// </summary>
    private static bool AddsTokens(JsonElement root) =>
        root.TryGetProperty("post_processor", out var processor) && AddsTokensOf(processor);

    private static bool AddsTokensOf(JsonElement processor)
    {
        if (processor.ValueKind != JsonValueKind.Object || !processor.TryGetProperty("type", out var type))
        {
            return false;
        }

        return type.GetString() switch
        {
            "ByteLevel" => false,
            "Sequence" => processor.TryGetProperty("processors", out var list) && list.ValueKind == JsonValueKind.Array
                && list.EnumerateArray().Any(AddsTokensOf),
            "TemplateProcessing" => processor.TryGetProperty("single", out var single) && single.ValueKind == JsonValueKind.Array
                && single.EnumerateArray().Any(piece => piece.ValueKind == JsonValueKind.Object && piece.TryGetProperty("SpecialToken", out _)),
            _ => true,
        };
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

    private static (Dictionary<string, string> Specials, string? ChatTemplate) ReadConfig(string path)
    {
        var specials = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return (specials, null);
        }

        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        foreach (var name in MambaTokenizer.SpecialTokenAttributes)
        {
            if (TokenContent(root, name) is { } content)
            {
                specials[name] = content;
            }
        }

        return (specials, root.TryGetProperty("chat_template", out var t) ? ChatTemplateOf(t, path) : null);
    }

    /// <summary>
    /// chat_template is a string, or a list of {"name", "template"} from which transformers applies "default" when
    /// the caller names none (and fails without one: so does this, at load).
    /// </summary>
    private static string? ChatTemplateOf(JsonElement value, string path)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return value.GetString();
            case JsonValueKind.Array:
                var named = value.EnumerateArray()
                    .Where(t => t.ValueKind == JsonValueKind.Object && t.TryGetProperty("name", out _) && t.TryGetProperty("template", out _))
                    .ToDictionary(t => t.GetProperty("name").GetString() ?? string.Empty, t => t.GetProperty("template").GetString());
                return named.TryGetValue("default", out var template)
                    ? template
                    : throw new InvalidDataException(
                        $"{path}: chat_template lists templates ({string.Join(", ", named.Keys)}) but none named \"default\", which chat uses");
            case JsonValueKind.Null:
                return null;
            default:
                throw new InvalidDataException($"{path}: chat_template must be a string or a list of named templates");
        }
    }

    /// <summary>
    /// As transformers' fast tokenizer does, a special token of the config that the vocabulary holds but
    /// tokenizer.json does not list as an added token becomes one, so its text in a prompt (a chat template's
    /// bos_token) encodes as that one id rather than as pieces.
    /// </summary>
    private static void AddSpecialTokensFromVocab(Dictionary<string, string> specials, Dictionary<string, int> vocab, List<AddedToken> added)
    {
        foreach (var content in specials.Values.Distinct())
        {
            if (added.All(t => t.Content != content) && vocab.TryGetValue(content, out int id))
            {
                added.Add(new AddedToken(id, content, Special: true));
            }
        }
    }

    // A special token in tokenizer_config.json is either its text or an AddedToken object with "content".
    private static string? TokenContent(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var v) ? null
        : v.ValueKind == JsonValueKind.String ? v.GetString()
        : v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var c) ? c.GetString()
        : null;
}
