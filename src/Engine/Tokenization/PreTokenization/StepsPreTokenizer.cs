using System.Text.RegularExpressions;

namespace MambaServe.Engine.Tokenization.PreTokenization;

/// <summary>
/// Cuts text as HF tokenizers' pre_tokenize_str does with a pre-tokenizer of several steps: NFC, added tokens matched
/// whole (longest first where they overlap), the <see cref="PreTokenizerPlan"/>'s raw steps, the byte-level mapping
/// (one character a UTF-8 byte), its mapped steps. Falcon's Digits step comes after ByteLevel, so it cuts between the
/// bytes of one character where a byte maps to a numeric character (0xB2, 0xB3, 0xB9, 0xBC-0xBE: Cyrillic 'м' is D0 BC),
/// as transformers does; a pre-tokenizer of Microsoft.ML.Tokenizers can only cut at character boundaries.
/// </summary>
internal sealed class StepsPreTokenizer
{
    private readonly PreTokenizerPlan _plan;
    private readonly Regex? _added;
    private readonly IReadOnlyDictionary<string, int> _addedIds;
    private readonly bool _nfc;

    public StepsPreTokenizer(PreTokenizerPlan plan, IReadOnlyDictionary<string, int> addedIds, bool nfc)
    {
        _plan = plan;
        _addedIds = addedIds;
        _nfc = nfc;
        var alternatives = addedIds.Keys.OrderByDescending(t => t.Length).Select(Regex.Escape).ToArray();
        _added = alternatives.Length == 0 ? null : new Regex(string.Join("|", alternatives), RegexOptions.Compiled);
    }

    /// <summary>Whether <see cref="Pieces"/> are byte-level characters (the plan has its ByteLevel step).</summary>
    public bool Mapped => _plan.ByteLevel;

    /// <summary>The pieces in order; an added token's comes with its id.</summary>
    public IEnumerable<(string Piece, int? AddedId)> Pieces(string text)
    {
        text ??= string.Empty;
        text = _nfc ? NfcNormalizer.Instance.Normalize(text) : text;
        int gap = 0;
        for (var m = _added?.Match(text); m is { Success: true }; m = m.NextMatch())
        {
            foreach (var piece in Cut(text, gap, m.Index - gap)) yield return (piece, null);
            yield return (m.Value, _addedIds[m.Value]);
            gap = m.Index + m.Length;
        }

        foreach (var piece in Cut(text, gap, text.Length - gap)) yield return (piece, null);
    }

    private List<string> Cut(string text, int start, int length)
    {
        var result = new List<string>();
        if (length == 0)
        {
            return result;
        }

        foreach (var (s, l) in Run(_plan.Raw, text, [(start, length)]))
        {
            if (!_plan.ByteLevel)
            {
                result.Add(text.Substring(s, l));
                continue;
            }

            var mapped = ByteLevelAlphabet.ToChars(text.AsSpan(s, l));
            result.AddRange(Run(_plan.Mapped, mapped, [(0, mapped.Length)]).Select(p => mapped.Substring(p.Start, p.Length)));
        }

        return result;
    }

    private static List<(int Start, int Length)> Run(List<PreTokenizerSteps.Step> steps, string text, List<(int Start, int Length)> pieces)
    {
        foreach (var step in steps)
        {
            var next = new List<(int Start, int Length)>();
            foreach (var (s, l) in pieces) step(text, s, l, next);
            pieces = next;
        }

        return pieces;
    }
}
