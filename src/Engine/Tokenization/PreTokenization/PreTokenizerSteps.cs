using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MambaServe.Engine.Tokenization.PreTokenization;

/// <summary>
/// tokenizer.json's <c>pre_tokenizer</c> as steps, each cutting every piece the step before left: Sequence, Split (a
/// regex or a string, any behaviour, inverted or not), Punctuation, Digits and ByteLevel (its GPT-2 regex when
/// <c>use_regex</c>). As in HF tokenizers, the steps before the ByteLevel one cut the text, and the steps after it cut
/// the byte-level characters it hands on (one a UTF-8 byte): <see cref="PreTokenizerPlan"/>. These cover the
/// byte-level BPE tokenizers of Mamba-family checkpoints (GPT-NeoX's plain ByteLevel, Falcon's Punctuation +
/// ByteLevel + Digits + three-digit Split used by FalconMamba). Any other type, a second ByteLevel, or a ByteLevel that
/// adds a prefix space, is refused: a tokenizer that splits text otherwise than transformers does would give the model
/// ids it was not trained on.
/// </summary>
internal static class PreTokenizerSteps
{
    /// <summary>HF ByteLevel's split (GPT-2's pattern).</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>One step: the spans of one piece [start, start + length) of the text, appended to the output.</summary>
    public delegate void Step(string text, int start, int length, List<(int Start, int Length)> output);

    /// <summary>GPT-2's ByteLevel alone: its regex, no prefix space (what Microsoft.ML.Tokenizers' byte-level BPE runs).</summary>
    public static bool IsGpt2ByteLevel(JsonElement node) =>
        node.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "ByteLevel"
        && !Flag(node, "add_prefix_space", false) && Flag(node, "use_regex", true);

    public static PreTokenizerPlan Parse(JsonElement preTokenizer)
    {
        var plan = new PreTokenizerPlan();
        Add(preTokenizer, plan);
        return plan;
    }

    private static void Add(JsonElement node, PreTokenizerPlan plan)
    {
        var steps = plan.ByteLevel ? plan.Mapped : plan.Raw;
        string type = node.ValueKind == JsonValueKind.Object && node.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
            ? t.GetString()!
            : throw Refused("a pre-tokenizer without a type");
        switch (type)
        {
            case "Sequence":
                foreach (var child in node.GetProperty("pretokenizers").EnumerateArray()) Add(child, plan);
                break;
            case "ByteLevel":
                if (Flag(node, "add_prefix_space", false)) throw Refused("ByteLevel with add_prefix_space");
                if (plan.ByteLevel) throw Refused("a second ByteLevel");
                if (Flag(node, "use_regex", true)) steps.Add(RegexStep(new Regex(Gpt2Pattern, RegexOptions.Compiled), SplitBehavior.Isolated, invert: false));
                plan.ByteLevel = true;
                break;
            case "Split":
                steps.Add(RegexStep(Pattern(node.GetProperty("pattern")), Behavior(node), Flag(node, "invert", false)));
                break;
            case "Punctuation":
                steps.Add(CharacterStep(IsPunctuation, Behavior(node, SplitBehavior.Isolated)));
                break;
            case "Digits":
                steps.Add(CharacterStep(Rune.IsNumber, Flag(node, "individual_digits", false) ? SplitBehavior.Isolated : SplitBehavior.Contiguous));
                break;
            default:
                throw Refused($"the {type} pre-tokenizer");
        }
    }

    // Rust's char::is_ascii_punctuation (which takes $, +, <, =, >, ^, `, |, ~ too) or a Unicode P* category.
    private static bool IsPunctuation(Rune r) =>
        (r.Value is > ' ' and < 0x7F && !char.IsAsciiLetterOrDigit((char)r.Value)) || Rune.IsPunctuation(r);

    private static Step RegexStep(Regex regex, SplitBehavior behavior, bool invert) =>
        (text, start, length, output) => PieceSplitter.Split(PieceSplitter.ByRegex(text, start, length, regex, invert), behavior, output);

    private static Step CharacterStep(Func<Rune, bool> predicate, SplitBehavior behavior) =>
        (text, start, length, output) => PieceSplitter.Split(PieceSplitter.ByCharacter(text, start, length, predicate), behavior, output);

    private static Regex Pattern(JsonElement pattern)
    {
        if (pattern.TryGetProperty("Regex", out var regex) && regex.ValueKind == JsonValueKind.String)
        {
            return new Regex(regex.GetString()!, RegexOptions.Compiled);
        }

        return pattern.TryGetProperty("String", out var literal) && literal.ValueKind == JsonValueKind.String
            ? new Regex(Regex.Escape(literal.GetString()!), RegexOptions.Compiled)
            : throw Refused("a Split pattern that is neither Regex nor String");
    }

    private static SplitBehavior Behavior(JsonElement node, SplitBehavior? fallback = null)
    {
        if (!node.TryGetProperty("behavior", out var b))
        {
            return fallback ?? throw Refused("a Split without a behavior");
        }

        return Enum.TryParse<SplitBehavior>(b.GetString(), ignoreCase: false, out var behavior)
            ? behavior
            : throw Refused($"the split behavior {b.GetString()}");
    }

    private static bool Flag(JsonElement node, string name, bool fallback) =>
        node.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

    private static NotSupportedException Refused(string what) =>
        new($"tokenizer.json pre_tokenizer: {what} is not supported (supported: Sequence, ByteLevel without add_prefix_space, Split, Punctuation, Digits)");
}
