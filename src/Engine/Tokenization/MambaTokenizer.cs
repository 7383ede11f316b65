using System.Text;
using System.Text.RegularExpressions;
using MambaServe.Engine.Tokenization.PreTokenization;
using Microsoft.ML.Tokenizers;

namespace MambaServe.Engine.Tokenization;

/// <summary>
/// A checkpoint's HF tokenizer.json as a byte-level BPE (GPT-2 / GPT-NeoX form, or Falcon's): NFC, added tokens matched
/// in the raw text, the pre-tokenizer (GPT-2's regex, or <see cref="PreTokenization.PreTokenizerSteps"/>), BPE merges. Encoding runs in Microsoft.ML.Tokenizers; decoding goes through a
/// per-id byte table so that <see cref="Decode"/> and <see cref="StreamingDetokenizer"/> agree byte for byte.
/// Thread-safe after construction.
/// </summary>
public sealed class MambaTokenizer
{
    /// <summary>
    /// transformers' SPECIAL_TOKENS_ATTRIBUTES that name one token (additional_special_tokens, a list, is the other):
    /// the keys <see cref="SpecialTokens"/> may hold, and the variables a chat template gets for them.
    /// </summary>
    public static readonly IReadOnlyList<string> SpecialTokenAttributes =
        ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"];

    // GPT-2's ByteLevel pre-tokenizer runs inside Microsoft.ML.Tokenizers' byte-level BPE; any other runs step by step.
    private readonly BpeTokenizer? _bpe;
    private readonly StepsEncoder? _steps;
    private readonly byte[][] _idBytes;
    private readonly string[] _pieces;
    private readonly bool[] _isSpecial;

    private MambaTokenizer(TokenizerDefinition def)
    {
        // Longest first, so that of overlapping added tokens (GPT-NeoX's runs of spaces) the longest wins, as in HF.
        var added = new Dictionary<string, int>();
        foreach (var t in def.AddedTokens.OrderByDescending(t => t.Content.Length))
        {
            added[t.Content] = t.Id;
        }

        if (def.PreTokenizer is { } plan)
        {
            _steps = new StepsEncoder(new StepsPreTokenizer(plan, added, def.Nfc), def);
        }
        else
        {
            _bpe = BpeTokenizer.Create(new BpeOptions(def.Vocab)
            {
                Merges = def.Merges,
                ByteLevel = true,
                SpecialTokens = added,
                PreTokenizer = new RegexPreTokenizer(new Regex(PreTokenizerSteps.Gpt2Pattern, RegexOptions.Compiled), added),
                Normalizer = def.Nfc ? NfcNormalizer.Instance : null,
            });
        }

        VocabCount = Math.Max(def.Vocab.Values.DefaultIfEmpty(-1).Max(), def.AddedTokens.Select(t => t.Id).DefaultIfEmpty(-1).Max()) + 1;
        _idBytes = new byte[VocabCount][];
        _pieces = new string[VocabCount];
        _isSpecial = new bool[VocabCount];
        foreach (var (text, id) in def.Vocab)
        {
            _idBytes[id] = ByteLevelAlphabet.ToBytes(text);
            _pieces[id] = text;
        }
        foreach (var t in def.AddedTokens)
        {
            _idBytes[t.Id] = ByteLevelAlphabet.ToBytes(t.Content);
            _pieces[t.Id] = t.Content;
            _isSpecial[t.Id] = t.Special;
        }

        EosTokenId = def.EosToken is { } eos && (added.TryGetValue(eos, out var eosId) || def.Vocab.TryGetValue(eos, out eosId)) ? eosId : null;
        ChatTemplate = def.ChatTemplate;
        SpecialTokens = def.SpecialTokens;
        PostProcessorAddsTokens = def.PostProcessorAddsTokens;
    }

    /// <summary>Highest token id + 1, added tokens included (the model's embedding may be wider: padding rows).</summary>
    public int VocabCount { get; }

    /// <summary>The id of tokenizer_config.json's eos_token; null when there is no such file or entry.</summary>
    public int? EosTokenId { get; }

    /// <summary>
    /// The model's chat template (Jinja), if any: chat_template.jinja beside tokenizer_config.json, else the config's
    /// chat_template (a string, or the template named "default" of the list form).
    /// </summary>
    public string? ChatTemplate { get; }

    /// <summary>tokenizer_config.json's special tokens by attribute name (bos_token, eos_token, unk_token, pad_token, ...).</summary>
    public IReadOnlyDictionary<string, string> SpecialTokens { get; }

    /// <summary>
    /// Whether tokenizer.json's post_processor would add special tokens (BOS/EOS, CLS/SEP) to an encoded text, as HF's
    /// add_special_tokens=True does. <see cref="Encode"/> never adds them; GPT-NeoX's ByteLevel processor adds none.
    /// </summary>
    public bool PostProcessorAddsTokens { get; }

    public static MambaTokenizer FromFile(string tokenizerJsonPath) => new(TokenizerDefinition.Read(tokenizerJsonPath));

    /// <summary>The tokenizer of a checkpoint folder; null when the folder has no tokenizer.json.</summary>
    public static MambaTokenizer? TryLoad(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, "tokenizer.json");
        return File.Exists(path) ? FromFile(path) : null;
    }

    /// <summary>Token ids of <paramref name="text"/>; added-token text (e.g. "&lt;|endoftext|&gt;") becomes its id. No BOS/EOS added.</summary>
    public IReadOnlyList<int> Encode(string text) => _steps?.Encode(text) ?? _bpe!.EncodeToIds(text);

    /// <summary>The text of <paramref name="ids"/>; invalid UTF-8 (a cut multi-byte character) becomes U+FFFD.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        var buffer = new List<byte>();
        foreach (var id in ids)
        {
            if (!skipSpecialTokens || !IsSpecial(id))
            {
                buffer.AddRange(TokenBytes(id));
            }
        }
        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(buffer));
    }

    /// <summary>One token's text as OpenAI logprobs show it (a token cut inside a character shows U+FFFD).</summary>
    public string TokenText(int id) => Encoding.UTF8.GetString(TokenBytes(id));

    /// <summary>
    /// Token <paramref name="id"/> as the vocabulary spells it (transformers' convert_ids_to_tokens: byte-level
    /// characters, "Ġthe" for " the"; an added token's content as written).
    /// </summary>
    public string TokenPiece(int id) =>
        (uint)id < (uint)_pieces.Length && _pieces[id] is { } piece
            ? piece
            : throw new ArgumentOutOfRangeException(nameof(id), id, $"not a token id of this vocabulary (0..{VocabCount - 1})");

    /// <summary>A detokenizer for one sequence; <paramref name="skipSpecialTokens"/> as in <see cref="Decode"/>.</summary>
    public StreamingDetokenizer CreateStreamingDetokenizer(bool skipSpecialTokens = false) => new(this, skipSpecialTokens);

    internal bool IsSpecial(int id) => (uint)id < (uint)_isSpecial.Length && _isSpecial[id];

    /// <summary>The raw bytes token <paramref name="id"/> stands for.</summary>
    internal ReadOnlySpan<byte> TokenBytes(int id) =>
        (uint)id < (uint)_idBytes.Length && _idBytes[id] is { } bytes
            ? bytes
            : throw new ArgumentOutOfRangeException(nameof(id), id, $"not a token id of this vocabulary (0..{VocabCount - 1})");
}
