using Microsoft.ML.Tokenizers;

namespace MambaServe.Engine.Tokenization.PreTokenization;

/// <summary>
/// Encodes text whose pre-tokenizer runs step by step (<see cref="StepsPreTokenizer"/>): each piece's byte-level
/// characters through Microsoft.ML.Tokenizers' BPE over the vocabulary's own byte-level strings (no pre-tokenizer or
/// byte mapping of its own), an added token as its id.
/// </summary>
internal sealed class StepsEncoder(StepsPreTokenizer preTokenizer, TokenizerDefinition definition)
{
    private readonly BpeTokenizer _bpe = BpeTokenizer.Create(new BpeOptions(definition.Vocab) { Merges = definition.Merges });

    public IReadOnlyList<int> Encode(string text)
    {
        var ids = new List<int>();
        foreach (var (piece, addedId) in preTokenizer.Pieces(text))
        {
            if (addedId is { } id)
            {
                ids.Add(id);
            }
            else
            {
                ids.AddRange(_bpe.EncodeToIds(preTokenizer.Mapped ? piece : ByteLevelAlphabet.ToChars(piece)));
            }
        }

        return ids;
    }
}
