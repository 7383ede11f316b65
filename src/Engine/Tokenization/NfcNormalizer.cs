using System.Text;
using Microsoft.ML.Tokenizers;

namespace MambaServe.Engine.Tokenization;

/// <summary>
/// The NFC normalizer of HF tokenizer.json, through .NET's own normalization (ICU on Linux). This is why the
/// projects do not set InvariantGlobalization: under it string.Normalize leaves decomposed text unchanged.
/// </summary>
internal sealed class NfcNormalizer : Normalizer
{
    public static NfcNormalizer Instance { get; } = new();

    public override string Normalize(string original) =>
        original.IsNormalized(NormalizationForm.FormC) ? original : original.Normalize(NormalizationForm.FormC);

    public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());
}
