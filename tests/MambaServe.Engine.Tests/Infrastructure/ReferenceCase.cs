namespace MambaServe.Engine.Tests.Infrastructure;

/// <summary>
/// One case of the HF transformers float64 reference: the prompt followed by its greedy continuation, and the logits
/// at every position ([Tokens.Length, Vocab], row t predicts token t + 1).
/// </summary>
public sealed record ReferenceCase(string Model, int Index, int PromptLength, int[] Tokens, float[] Logits, int Vocab)
{
    public override string ToString() => $"{Model}#{Index} (prompt {PromptLength}, total {Tokens.Length})";
}
