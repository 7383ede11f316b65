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
    /// <summary>
    /// Whether the output ends with EOS once the constraint is satisfied (a grammar's does): such a request can neither
    /// ignore EOS nor ban it with min_tokens. Token rules (<see cref="TokenRules"/>) leave the end to the sampler.
    /// </summary>
    bool EndsWithEos => true;

    ITokenConstraint Create();
}
