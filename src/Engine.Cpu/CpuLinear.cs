using MambaServe.Engine.Cpu.Interop;
using MambaServe.Engine.Interop;
using TorchSharp;
using static TorchSharp.torch;

namespace MambaServe.Engine.Cpu;

/// <summary>
/// A linear layer's weight [out, in] and optional bias, with the sizes and raw pointers resolved once at load, since
/// decode calls it about a hundred times per token and each TorchSharp shape or pointer query is a native call.
/// Does not own the tensors.
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

    private readonly nint _weightPointer;
    private readonly nint _biasPointer;

    public CpuLinear(Tensor weight, Tensor? bias)
    {
        Weight = weight;
        Bias = bias;
        OutFeatures = (int)weight.shape[0];
        InFeatures = (int)weight.shape[1];
        _weightPointer = weight.DataPointer();
        _biasPointer = bias?.DataPointer() ?? 0;
    }

    public Tensor Weight { get; }
    public Tensor? Bias { get; }
    public int OutFeatures { get; }
    public int InFeatures { get; }

    /// <summary>x W^T + bias as a contiguous [rows, out] tensor; x contiguous [rows, in].</summary>
    public Tensor Apply(Tensor x, int rows)
    {
        if (rows > NativeMaxRows) return nn.functional.linear(x, Weight, Bias).contiguous();
        var output = empty(rows, OutFeatures, dtype: ScalarType.Float32);
        var p = new MsvLinearParams
        {
            Rows = rows, InFeatures = InFeatures, OutFeatures = OutFeatures,
            X = x.DataPointer(), XRowStride = InFeatures,
            Weight = _weightPointer, Bias = _biasPointer,
            Out = output.DataPointer(), OutRowStride = OutFeatures,
        };
        CpuKernels.Linear(in p);
        return output;
    }
}
