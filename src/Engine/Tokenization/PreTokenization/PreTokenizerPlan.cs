namespace MambaServe.Engine.Tokenization.PreTokenization;

/// <summary>
/// A pre-tokenizer's steps on either side of its ByteLevel step: <see cref="Raw"/> cut the (normalised) text, the
/// ByteLevel step's regex among them; then each piece becomes byte-level characters (one a UTF-8 byte) and
/// <see cref="Mapped"/> cut those, as HF tokenizers runs a Sequence. Without a ByteLevel step every step is raw and
/// the pieces are mapped at the end, for the byte-level BPE.
/// </summary>
internal sealed class PreTokenizerPlan
{
    public List<PreTokenizerSteps.Step> Raw { get; } = [];

    public List<PreTokenizerSteps.Step> Mapped { get; } = [];

    /// <summary>Whether the pre-tokenizer has its ByteLevel step (HF then hands on byte-level pieces).</summary>
    public bool ByteLevel { get; set; }
}
