namespace MambaServe.Engine.Loading;

/// <summary>Where a runner gets its model: the config, and the weights in the form the backend wants.</summary>
public interface IWeightSource
{
    MambaConfig Config { get; }

    /// <summary>Every weight as validated fp32 host arrays (the CPU runner's form).</summary>
    /// <exception cref="CheckpointException">A file or tensor is missing, truncated or of the wrong shape.</exception>
    MambaWeights ReadFloat32();
}
