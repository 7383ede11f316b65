using MambaServe.Engine.Loading;
using TorchSharp;
using static TorchSharp.torch;

namespace MambaServe.Engine.Cpu;

/// <summary>
/// One layer's weights as contiguous fp32 TorchSharp tensors, in the shapes the CPU forward uses. A is stored as
/// -exp(A_log), computed once here rather than every step.
/// </summary>
internal sealed class CpuLayerTensors : IDisposable
{
    public CpuLayerTensors(MambaLayerWeights w, MambaConfig c)
    {
        Norm = Fp32(w.Norm, c.DModel);
        InProj = new CpuLinear(Fp32(w.InProj, 2 * c.DInner, c.DModel), w.InProjBias is null ? null : Fp32(w.InProjBias, 2 * c.DInner));
        ConvWeight = Fp32(w.ConvWeight, c.DInner, c.DConv);
        ConvBias = w.ConvBias is null ? null : Fp32(w.ConvBias, c.DInner);
        XProj = new CpuLinear(Fp32(w.XProj, c.XProjWidth, c.DInner), null);
        DtProj = new CpuLinear(Fp32(w.DtProj, c.DInner, c.DtRank), null); // its bias is added inside the scan, with the softplus
        DtProjBias = Fp32(w.DtProjBias, c.DInner);
        using (var aLog = Fp32(w.ALog, c.DInner, c.DState))
            A = aLog.exp().neg_().contiguous();
        D = Fp32(w.D, c.DInner);
        OutProj = new CpuLinear(Fp32(w.OutProj, c.DModel, c.DInner), w.OutProjBias is null ? null : Fp32(w.OutProjBias, c.DModel));
    }

    public Tensor Norm { get; }
    public CpuLinear InProj { get; }
    public Tensor ConvWeight { get; }
    public Tensor? ConvBias { get; }
    public CpuLinear XProj { get; }
    public CpuLinear DtProj { get; }
    public Tensor DtProjBias { get; }
    public Tensor A { get; }
    public Tensor D { get; }
    public CpuLinear OutProj { get; }

    internal static Tensor Fp32(float[] data, params long[] shape) => torch.tensor(data, shape, ScalarType.Float32);

    public void Dispose()
    {
        foreach (var t in new[] { Norm, ConvWeight, ConvBias, DtProjBias, A, D })
            t?.Dispose();
        foreach (var linear in new[] { InProj, XProj, DtProj, OutProj })
        {
            linear.Weight.Dispose();
            linear.Bias?.Dispose();
        }
    }
}
