namespace MambaServe.Engine.Loading.Weights;

/// <summary>
/// Hands each tensor of a checkpoint to a visitor in its stored dtype, one at a time, after the whole checkpoint passed
/// <see cref="CheckpointLayout"/>: the path a GPU runner uploads bf16 weights by, with no fp32 copy of the model.
/// Safetensors data is the memory map itself; a pytorch_model.bin storage is read for its tensor and dropped after.
/// </summary>
internal static class CheckpointTensorStream
{
    public static void Stream(MambaConfig config, ITensorSource source, string directory, CheckpointTensorVisitor visit)
    {
        foreach (var planned in CheckpointLayout.Plan(config, source, directory))
        {
            var dtype = source.DTypeOf(planned.Name);
            var data = source.ReadBytes(planned.Name);
            visit(new CheckpointTensor
            {
                Role = planned.Role,
                Layer = planned.Layer,
                Name = planned.Name,
                Shape = planned.Shape,
                DType = dtype,
                Data = planned.PadVocabRows ? Padded(data, config, dtype) : data,
            });
        }
    }

    /// <summary>A copy with zero rows appended up to the padded vocab (rare: most checkpoints store the padded rows).</summary>
    private static byte[] Padded(ReadOnlySpan<byte> data, MambaConfig config, TensorDType dtype)
    {
        var padded = new byte[(long)config.VocabSize * config.DModel * Float32Converter.ElementSize(dtype)];
        data.CopyTo(padded);
        return padded;
    }
}
