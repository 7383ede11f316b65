namespace MambaServe.Engine.Gpu.Tests.Interop.ModelApi;

/// <summary>
/// What one step wrote: per target (in request order) the token, its logprob and its top-N row (width
/// <see cref="TopWidth"/>); the all_logits rows of the entries that asked, concatenated in entry order.
/// </summary>
internal sealed record StepResult(int[] Tokens, float[] Logprobs, int[] TopIds, float[] TopLogprobs, int TopWidth, float[] Logits)
{
    public ReadOnlySpan<int> TopIdsOf(int sample) => TopIds.AsSpan(sample * TopWidth, TopWidth);

    public ReadOnlySpan<float> TopLogprobsOf(int sample) => TopLogprobs.AsSpan(sample * TopWidth, TopWidth);
}
