namespace MambaServe.Engine.Loading;

/// <summary>Where a runner gets its model: the config, and the weights in the form the backend wants.</summary>
public interface IWeightSource
{
    MambaConfig Config { get; }

    /// <summary>
    /// Each weight once, in its stored dtype, the whole checkpoint checked (<c>CheckpointLayout</c>) before the first is
    /// handed over: how the runners read a model (the GPU uploads bf16 tensors and the CPU keeps them, with no fp32 copy
    /// of the model). A tied LM head is not handed over: it is the embedding.
    /// </summary>
    /// <exception cref="CheckpointException">A file or tensor is missing, truncated or of the wrong shape.</exception>
    void Stream(CheckpointTensorVisitor visit);
}
