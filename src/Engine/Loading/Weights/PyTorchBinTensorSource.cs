using System.Collections;
using TorchSharp;
using TorchSharp.PyBridge;

namespace MambaServe.Engine.Loading.Weights;

/// <summary>
/// Tensors of an original state-spaces <c>pytorch_model.bin</c> (a <c>torch.save</c>d state dict), read through
/// TorchSharp.PyBridge's unpickler. The only loader that touches libtorch, so only this format needs it at run time.
/// All tensors are upcast and copied out eagerly: original-format checkpoints are small, and it frees the tensors now.
/// </summary>
internal sealed class PyTorchBinTensorSource : ITensorSource
{
    private readonly string _path;
    private readonly Dictionary<string, (long[] Shape, float[] Values)> _tensors;

    private PyTorchBinTensorSource(string path, Dictionary<string, (long[] Shape, float[] Values)> tensors)
    {
        _path = path;
        _tensors = tensors;
    }

    public IReadOnlyCollection<string> Names => _tensors.Keys;

    public static PyTorchBinTensorSource Open(string path)
    {
        Hashtable stateDict;
        try
        {
            using var stream = File.OpenRead(path);
            stateDict = PyTorchUnpickler.UnpickleStateDict(stream);
        }
        catch (Exception ex) when (ex is not CheckpointException)
        {
            throw new CheckpointException($"Cannot read PyTorch checkpoint '{path}': {ex.Message}", ex);
        }

        var tensors = new Dictionary<string, (long[] Shape, float[] Values)>(StringComparer.Ordinal);
        try
        {
            foreach (DictionaryEntry entry in stateDict)
            {
                var name = (string)entry.Key;
                if (entry.Value is not torch.Tensor tensor)
                {
                    throw new CheckpointException($"Entry '{name}' in '{path}' is not a tensor.");
                }

                tensors[name] = (tensor.shape, ToFloat32(path, name, tensor));
            }
        }
        finally
        {
            foreach (var value in stateDict.Values)
            {
                (value as IDisposable)?.Dispose();
            }
        }

        return new PyTorchBinTensorSource(path, tensors);
    }

    public string FileOf(string name) => _path;

    public IReadOnlyList<long> ShapeOf(string name) => _tensors[name].Shape;

    public float[] ReadFloat32(string name) => _tensors[name].Values;

    public void Dispose()
    {
        _tensors.Clear();
    }

    private static float[] ToFloat32(string path, string name, torch.Tensor tensor)
    {
        if (tensor.dtype is not (torch.ScalarType.Float32 or torch.ScalarType.Float16 or torch.ScalarType.BFloat16))
        {
            throw new CheckpointException(
                $"Unsupported dtype {tensor.dtype} for tensor '{name}' in '{path}'; expected float32, float16 or bfloat16.");
        }

        using var scope = torch.NewDisposeScope();
        return tensor.to_type(torch.ScalarType.Float32).contiguous().data<float>().ToArray();
    }
}
