using MambaServe.Engine.Generation;
using MambaServe.Engine.Sampling;

namespace MambaServe.Engine.Scheduling;

/// <summary>
/// A sampled token with everything its update needs except the text. For a sample whose text cannot end it,
/// <see cref="ToUpdate(SampleState)"/> makes the text from the sample's text stream (a stop token shows none; a
/// finished sample's held-back text is flushed into the same update); otherwise the engine made it already.
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
        // Only samples without stop strings come here, so whether the text may stop them is moot.
        string delta = IsStopToken ? text.Flush() : text.Push(Chosen.TokenId, mayStop: true).Delta;
        if (Finish == FinishReason.Length)
        {
            delta += text.Flush();
        }

        return ToUpdate(sample.Index, delta);
    }

    /// <summary>The update with <paramref name="delta"/> as its text (made by the caller).</summary>
    public GenerationUpdate ToUpdate(int sampleIndex, string delta)
    {
        var logprobs = WithLogprobs ? new[] { new TokenLogprob(Chosen.TokenId, Chosen.Logprob, Chosen.Top) } : null;
        return new GenerationUpdate(sampleIndex, [Chosen.TokenId], delta, logprobs, Finish, Usage, PromptLogprobs);
    }
}
