using MambaServe.Engine.Hosting;
using MambaServe.Engine.Loading;
using static TorchSharp.torch;

namespace MambaServe.Engine.Cpu;

/// <summary>
/// Reads a weight source into the CPU runner's tensors one checkpoint tensor at a time (<see cref="IWeightSource.Stream"/>),
/// so no fp32 copy of the whole model is made beside them. The matrices (the embedding, the LM head and the four
/// projections: nearly every byte a decode step reads) are kept in the type <see cref="MatrixType"/> picks; the norms,
/// the conv, dt's bias, A and D stay fp32. Every product and sum runs in fp32 whatever the matrices are stored in.
/// </summary>
internal static unsafe class CpuWeightReader
{
    public static CpuWeights Read(IWeightSource source, ModelDType dtype)
    {
        var tensors = new Dictionary<(TensorRole Role, int Layer), Tensor>();
        var layers = new List<CpuLayerTensors>();
        try
        {
            source.Stream(t => tensors.Add((t.Role, t.Layer), ToTensor(t, IsMatrix(t.Role) ? MatrixType(dtype, t.DType) : ScalarType.Float32)));
            for (var i = 0; i < source.Config.NLayer; i++)
            {
                var layer = i;
                layers.Add(new CpuLayerTensors(role => Take(tensors, role, layer)));
            }

            return new CpuWeights(Required(tensors, TensorRole.Embedding), layers, Required(tensors, TensorRole.NormF),
                Take(tensors, TensorRole.LmHead, -1));
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            foreach (var l in layers) l.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A matrix's type: float32 and bfloat16 as asked; auto keeps a bf16-stored matrix in bf16 (widening it to fp32 adds
    /// nothing: the native linear and the GEMM path widen it exactly, so the logits are bit for bit the fp32 mode's, from
    /// half the bytes) and widens fp32 and fp16 ones to fp32. Float16 is refused by the backend before any read.
    /// </summary>
    public static ScalarType MatrixType(ModelDType requested, TensorDType stored) => requested switch
    {
        ModelDType.Float32 => ScalarType.Float32,
        ModelDType.BFloat16 => ScalarType.BFloat16,
        ModelDType.Auto => stored == TensorDType.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32,
        _ => throw new ArgumentOutOfRangeException(nameof(requested), requested, "The CPU runner keeps matrices in fp32 or bf16."),
    };

    private static bool IsMatrix(TensorRole role) => role is TensorRole.Embedding or TensorRole.LmHead or TensorRole.InProj
        or TensorRole.XProj or TensorRole.DtProj or TensorRole.OutProj;

    /// <summary>
    /// A contiguous tensor of the model's shape for <paramref name="t"/>, in <paramref name="type"/>: the stored bytes
    /// copied as they are (little-endian, as this x64 process is), then converted by libtorch where the types differ
    /// (widening is exact; narrowing fp32 to bf16 rounds to nearest even).
    /// </summary>
    private static Tensor ToTensor(CheckpointTensor t, ScalarType type)
    {
        var stored = empty(t.Shape.ToArray(), StoredType(t.DType));
        t.Data.CopyTo(new Span<byte>((void*)stored.DataPointer(), checked((int)(stored.NumberOfElements * stored.ElementSize))));
        if (stored.dtype == type) return stored;
        using (stored) return stored.to(type);
    }

    private static ScalarType StoredType(TensorDType dtype) => dtype switch
    {
        TensorDType.Float32 => ScalarType.Float32,
        TensorDType.Float16 => ScalarType.Float16,
        TensorDType.BFloat16 => ScalarType.BFloat16,
        _ => throw new CheckpointException($"A {dtype} tensor cannot be a weight."),
    };

    private static Tensor? Take(Dictionary<(TensorRole, int), Tensor> tensors, TensorRole role, int layer) =>
        tensors.Remove((role, layer), out var t) ? t : null;

    private static Tensor Required(Dictionary<(TensorRole, int), Tensor> tensors, TensorRole role) =>
        Take(tensors, role, -1) ?? throw new CheckpointException($"The checkpoint streamed no {role} tensor.");
}
