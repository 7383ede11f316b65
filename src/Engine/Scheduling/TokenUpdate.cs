using MambaServe.Engine.Generation;
using MambaServe.Engine.Sampling;

namespace MambaServe.Engine.Scheduling;

/// <summary>
/// A sampled token of a sample whose text cannot end it, with everything its update needs except the text, which
/// <see cref="ToUpdate"/> makes from the sample's text stream: the token's text (a stop token shows none), and a
/// finished sample's held-back text flushed into the same update.
/// </summary>
internal readonly record struct TokenUpdate(
    ChosenToken Chosen,
    bool IsStopToken,
    FinishReason? Finish,
    GenerationUsage? Usage,
    bool WithLogprobs,
    IReadOnlyList<TokenLogprob>? PromptLogprobs)
{
    /// <summary>Runs the sample's text stream; the calling thread must be the only one using it.</summary>
    public GenerationUpdate ToUpdate(SampleState sample)
    {
        var text = sample.Text!;
        string delta = IsStopToken ? text.Flush() : text.Push(Chosen.TokenId).Delta;
        if (Finish == FinishReason.Length)
        {
            delta += text.Flush();
        }

        var logprobs = WithLogprobs ? new[] { new TokenLogprob(Chosen.TokenId, Chosen.Logprob, Chosen.Top) } : null;
        return new GenerationUpdate(sample.Index, [Chosen.TokenId], delta, logprobs, Finish, Usage, PromptLogprobs);
    }
}
