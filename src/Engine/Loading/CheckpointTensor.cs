namespace MambaServe.Engine.Loading;

/// <summary>
/// One weight of a checkpoint, as stored: its role in the model, its layer (-1 for the embedding, the final norm and
/// the LM head), its checkpoint name, the shape the model sees, and its values in the stored dtype (little-endian,
/// contiguous, row-major; an unpadded vocab matrix already has its zero rows). <see cref="Data"/> is valid only
/// during the visitor's call: copy it out (to a device) before returning.
/// </summary>
public readonly ref struct CheckpointTensor
{
    public required TensorRole Role { get; init; }
    public required int Layer { get; init; }
    public required string Name { get; init; }
    public required IReadOnlyList<long> Shape { get; init; }
    public required TensorDType DType { get; init; }
    public required ReadOnlySpan<byte> Data { get; init; }

    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}
