namespace MambaServe.Engine.Scheduling;

/// <summary>
/// Picks each next token of one sequence from its logits row. One instance per sample, used only on the engine loop
/// thread; it may keep per-sequence state (RNG, counts of tokens generated so far for penalties), so it must be
/// told every token it chose, which <see cref="Choose"/> does by returning it. Adapter target:
/// <c>Sampling.SequenceSampler.Sample</c>.
/// </summary>
public interface ITokenChooser
{
    /// <param name="logits">One row, <c>[IModelRunner.LogitsWidth]</c> (padded ids included; the chooser masks them).</param>
    ChosenToken Choose(ReadOnlySpan<float> logits);
}
