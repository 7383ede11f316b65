using Normalizer2 = ICU4N.Text.Normalizer2;
using Microsoft.ML.Tokenizers;

namespace MambaServe.Engine.Tokenization;

/// <summary>
/// The NFC normalizer of HF tokenizer.json. Uses ICU4N rather than string.Normalize because the apps run with
/// InvariantGlobalization, where string.Normalize leaves decomposed text unchanged.
/// </summary>
internal sealed class NfcNormalizer : Normalizer
{
    public static NfcNormalizer Instance { get; } = new();

    public override string Normalize(string original) => IsAscii(original) ? original : Normalizer2.NFCInstance.Normalize(original);

    public override string Normalize(ReadOnlySpan<char> original) =>
        System.Text.Ascii.IsValid(original) ? original.ToString() : Normalizer2.NFCInstance.Normalize(original);

    // ASCII is always NFC; most prompts are, so skip ICU for them.
    private static bool IsAscii(string s) => System.Text.Ascii.IsValid(s);
}
