namespace MambaServe.Engine.Generation;

/// <summary>
/// A grammar one sample's output must follow (structured outputs: JSON mode, a choice). Before each of the sample's
/// tokens the engine asks which ids the grammar bans at that point and the runner's sampler avoids them (as it does
/// logit_bias: reported logprobs stay the raw logits'); after the token is chosen the engine advances the grammar.
/// Used on the engine loop's thread only.
/// </summary>
public interface ITokenConstraint
{
    /// <summary>The ids the next token may not be; empty when any is allowed. Valid until the next <see cref="Advance"/>.</summary>
    TokenMask Banned();

    /// <summary>Moves past <paramref name="tokenId"/>; throws when the grammar does not allow it (the sample then fails).</summary>
    void Advance(int tokenId);
}

/// <summary>Makes each sample of a request its own <see cref="ITokenConstraint"/> at its start.</summary>
public interface ITokenConstraintFactory
{
    ITokenConstraint Create();
}
