namespace MambaServe.Engine.Loading.Safetensors;

/// <summary>
/// One entry of a safetensors header. <paramref name="Begin"/> and <paramref name="End"/> are byte offsets into the
/// data section (after the header), already checked against the file size and the shape's byte count.
/// </summary>
internal sealed record SafetensorsTensorInfo(string Name, TensorDType DType, long[] Shape, long Begin, long End)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}
