using MambaServe.Engine.Cpu.Interop;
using MambaServe.Engine.Interop;
using TorchSharp;
using static TorchSharp.torch;

namespace MambaServe.Engine.Cpu;

/// <summary>
/// A linear layer's weight [out, in] (fp32, or bf16 to halve the bytes a decode step reads) and optional fp32 bias, with
/// the sizes and raw pointers resolved once at load, since decode calls it about a hundred times per token and each
/// TorchSharp shape or pointer query is a native call. Does not own the tensors.
/// </summary>
internal sealed class CpuLinear
{
    /// <summary>
    /// Rows at or below this use the native small-batch linear, which streams each weight once at memory bandwidth
    /// (decode); more rows are compute-bound and go to libtorch's GEMM, whose AVX-512 kernel takes 16 rows at a time:
    /// at 16 rows it was 20% faster than the native linear on the 130m shape, at 10-14 rows slower
    /// (docs/benchmarks.md, "The native linear's last row count").
    /// </summary>
    internal const int NativeMaxRows = 15;

    /// <summary>
    /// The same bound for a bf16 weight, whose GEMM path must widen the weight first (a pass over twice its bytes):
    /// on the 130m shape the native linear reading bf16 took a 16-row decode step 1.4-1.6x faster than widening and
    /// libtorch's GEMM, 32 and 40 rows 7-20% faster, tied at 48 rows and lost 6-10% at 64 (docs/benchmarks.md,
    /// "bf16 matrices on the CPU").
    /// </summary>
    internal const int Bf16NativeMaxRows = 47;

    /// <summary>
    /// A bf16 weight reaches libtorch's fp32 GEMM widened a block of output rows at a time, each block at most this
    /// many bytes in fp32, so the widening needs no fp32 copy of a large matrix (a 2.8b model's LM head is 515 MB in
    /// fp32) and each block is still in cache when the GEMM reads it.
    /// </summary>
    private const long WidenedBlockBytes = 8L << 20;

    private readonly nint _weightPointer;
    private readonly nint _biasPointer;
    private readonly MsvDtype _weightDtype;

    public CpuLinear(Tensor weight, Tensor? bias)
    {
        Weight = weight;
        Bias = bias;
        OutFeatures = (int)weight.shape[0];
        InFeatures = (int)weight.shape[1];
        _weightPointer = weight.DataPointer();
        _biasPointer = bias?.DataPointer() ?? 0;
        _weightDtype = weight.dtype switch
        {
            ScalarType.Float32 => MsvDtype.F32,
            ScalarType.BFloat16 => MsvDtype.BF16,
            var other => throw new ArgumentException($"A CPU linear weight is fp32 or bf16, not {other}.", nameof(weight)),
        };
        MaxNativeRows = _weightDtype == MsvDtype.BF16 ? Bf16NativeMaxRows : NativeMaxRows;
    }

    public Tensor Weight { get; }
    public Tensor? Bias { get; }
    public int OutFeatures { get; }
    public int InFeatures { get; }

    /// <summary>Most rows that take the native linear (<see cref="NativeMaxRows"/>, <see cref="Bf16NativeMaxRows"/>).</summary>
    public int MaxNativeRows { get; }

    /// <summary>x W^T + bias as a contiguous [rows, out] tensor; x contiguous fp32 [rows, in].</summary>
    public Tensor Apply(Tensor x, int rows)
    {
        if (rows > MaxNativeRows)
        {
            return _weightDtype == MsvDtype.F32 ? nn.functional.linear(x, Weight, Bias).contiguous() : WidenedGemm(x, rows);
        }

        var output = empty(rows, OutFeatures, dtype: ScalarType.Float32);
        var p = new MsvLinearParams
        {
            Rows = rows, InFeatures = InFeatures, OutFeatures = OutFeatures, WeightDtype = _weightDtype,
            X = x.DataPointer(), XRowStride = InFeatures,
            Weight = _weightPointer, Bias = _biasPointer,
            Out = output.DataPointer(), OutRowStride = OutFeatures,
        };
        CpuKernels.Linear(in p);
        return output;
    }

    /// <summary>libtorch's fp32 GEMM over the bf16 weight widened block by block (exact: a bf16 value is an fp32's top half).</summary>
    private Tensor WidenedGemm(Tensor x, int rows)
    {
        var blockRows = (int)Math.Clamp(WidenedBlockBytes / (InFeatures * (long)sizeof(float)), 1, OutFeatures);
        if (blockRows == OutFeatures)
        {
            using var widened = Weight.to(ScalarType.Float32);
            return nn.functional.linear(x, widened, Bias).contiguous();
        }

        var output = empty(rows, OutFeatures, dtype: ScalarType.Float32);
        for (var start = 0; start < OutFeatures; start += blockRows)
        {
            var count = Math.Min(blockRows, OutFeatures - start);
            using var scope = NewDisposeScope();
            var widened = Weight.narrow(0, start, count).to(ScalarType.Float32);
            output.narrow(1, start, count).copy_(nn.functional.linear(x, widened, Bias?.narrow(0, start, count)));
        }
        return output;
    }
}
