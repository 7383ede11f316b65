namespace MambaServe.Engine.Loading.Weights;

/// <summary>Named tensors of one checkpoint, whatever the file format; values come back upcast to fp32.</summary>
internal interface ITensorSource : IDisposable
{
    IReadOnlyCollection<string> Names { get; }

    /// <summary>The file holding <paramref name="name"/>, for error messages.</summary>
    string FileOf(string name);

    IReadOnlyList<long> ShapeOf(string name);

    float[] ReadFloat32(string name);
}
