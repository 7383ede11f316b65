namespace MambaServe.Engine.Scheduling;

/// <summary>
/// The token an <see cref="ITokenChooser"/> picked, its log-probability under the sampling distribution's source
/// logits, and the top alternatives (empty unless logprobs were requested).
/// </summary>
public readonly record struct ChosenToken(int TokenId, float Logprob, IReadOnlyList<(int TokenId, float Logprob)> Top);
