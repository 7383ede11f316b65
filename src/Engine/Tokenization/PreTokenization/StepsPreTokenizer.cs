using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace MambaServe.Engine.Tokenization.PreTokenization;

/// <summary>
/// A Microsoft.ML.Tokenizers pre-tokenizer that runs tokenizer.json's <see cref="PreTokenizerSteps"/> on the text
/// between added tokens; each added token (longest first where they overlap, as HF matches them) is a piece of its own.
/// </summary>
/// <remarks>
/// The steps cut the text itself. HF runs the steps after a ByteLevel one on the byte-mapped text, where a multi-byte
/// character's continuation bytes are characters of their own; a Digits step there splits off the few bytes whose
/// mapped character is numeric (0xB2, 0xB3, 0xB9, 0xBC-0xBE, e.g. inside Cyrillic 'м'). Pieces here never cut a
/// character, so such text can tokenize differently from transformers (docs/server.md, "Tokenizers").
/// </remarks>
internal sealed class StepsPreTokenizer : PreTokenizer
{
    private readonly IReadOnlyList<PreTokenizerSteps.Step> _steps;
    private readonly Regex? _added;

    public StepsPreTokenizer(IReadOnlyList<PreTokenizerSteps.Step> steps, IEnumerable<string> addedTokens)
    {
        _steps = steps;
        var alternatives = addedTokens.OrderByDescending(t => t.Length).Select(Regex.Escape).ToArray();
        _added = alternatives.Length == 0 ? null : new Regex(string.Join("|", alternatives), RegexOptions.Compiled);
    }

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => Pieces(text ?? string.Empty);

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => Pieces(text.ToString());

    private List<(int Offset, int Length)> Pieces(string text)
    {
        var pieces = new List<(int, int)>();
        int gap = 0;
        for (var m = _added?.Match(text); m is { Success: true }; m = m.NextMatch())
        {
            Run(text, gap, m.Index - gap, pieces);
            pieces.Add((m.Index, m.Length));
            gap = m.Index + m.Length;
        }

        Run(text, gap, text.Length - gap, pieces);
        return pieces;
    }

    private void Run(string text, int start, int length, List<(int, int)> output)
    {
        if (length == 0)
        {
            return;
        }

        var pieces = new List<(int Start, int Length)> { (start, length) };
        foreach (var step in _steps)
        {
            var next = new List<(int Start, int Length)>();
            foreach (var (s, l) in pieces) step(text, s, l, next);
            pieces = next;
        }

        output.AddRange(pieces.Select(p => (p.Start, p.Length)));
    }
}
