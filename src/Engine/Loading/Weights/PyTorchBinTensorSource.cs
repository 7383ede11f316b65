using MambaServe.Engine.Loading.PyTorch;

namespace MambaServe.Engine.Loading.Weights;

/// <summary>Tensors of an original state-spaces <c>pytorch_model.bin</c> (a <c>torch.save</c>d state dict).</summary>
internal sealed class PyTorchBinTensorSource(PyTorchBinFile file) : ITensorSource
{
    private byte[] _last = [];

    public IReadOnlyCollection<string> Names => file.Names;

    public static PyTorchBinTensorSource Open(string path) => new(PyTorchBinFile.Open(path));

    public string FileOf(string name) => file.Path;

    public IReadOnlyList<long> ShapeOf(string name) => file.Tensors[name].Shape;

    public TensorDType DTypeOf(string name) => file.Tensors[name].Storage.DType!.Value;

    public ReadOnlySpan<byte> ReadBytes(string name)
    {
        // Kept until the next call, as the interface promises.
        _last = file.ReadBytes(name);
        return _last;
    }

    public void Dispose() => file.Dispose();
}
