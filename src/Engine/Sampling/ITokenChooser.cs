using MambaServe.Engine.Generation;

namespace MambaServe.Engine.Sampling;

/// <summary>
/// Picks each next token of one sample from its logits row. It may keep per-sample state (RNG, counts of tokens chosen
/// so far for penalties), so it is told every token it chose, which <see cref="Choose"/> does by returning it. Used on
/// one thread; <see cref="HostSampler"/> keeps one per slot.
/// </summary>
public interface ITokenChooser
{
    /// <param name="logits">One row, <c>[IModelRunner.LogitsWidth]</c> (padded ids included; the chooser masks them).</param>
    /// <param name="banned">
    /// Ids this choice may not return (min_tokens' stop tokens; usually empty). They leave the reported logprobs alone,
    /// which are those of the raw logits.
    /// </param>
    /// <param name="grammar">Ids a structured output's grammar bans here, likewise (<see cref="TokenMask.None"/>: none).</param>
    ChosenToken Choose(ReadOnlySpan<float> logits, IReadOnlyList<int> banned, TokenMask grammar);
}
