namespace MambaServe.Engine.Loading;

/// <summary>Where a runner gets its model: the config, and the weights in the form the backend wants.</summary>
public interface IWeightSource
{
    MambaConfig Config { get; }

    /// <summary>Every weight as validated fp32 host arrays, all at once (for code that compares values; the runners stream).</summary>
    /// <exception cref="CheckpointException">A file or tensor is missing, truncated or of the wrong shape.</exception>
    MambaWeights ReadFloat32();

    /// <summary>
    /// Each weight once, in its stored dtype, checked by the same rules as <see cref="ReadFloat32"/> before the first
    /// is handed over (the runners' form: the GPU uploads bf16 tensors and the CPU keeps them, with no fp32 copy of the
    /// model). A tied LM head is not handed over: it is the embedding.
    /// </summary>
    /// <exception cref="CheckpointException">As for <see cref="ReadFloat32"/>.</exception>
    void Stream(CheckpointTensorVisitor visit);
}
