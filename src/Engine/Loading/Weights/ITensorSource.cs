namespace MambaServe.Engine.Loading.Weights;

/// <summary>Named tensors of one checkpoint, whatever the file format.</summary>
internal interface ITensorSource : IDisposable
{
    IReadOnlyCollection<string> Names { get; }

    /// <summary>The file holding <paramref name="name"/>, for error messages.</summary>
    string FileOf(string name);

    IReadOnlyList<long> ShapeOf(string name);

    TensorDType DTypeOf(string name);

    /// <summary>
    /// The tensor's values as stored (<see cref="DTypeOf"/>, little-endian), contiguous and row-major. Valid until the
    /// next call or until the source is disposed.
    /// </summary>
    ReadOnlySpan<byte> ReadBytes(string name);
}
