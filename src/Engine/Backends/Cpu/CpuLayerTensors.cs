using MambaServe.Engine.Loading;
using TorchSharp;
using static TorchSharp.torch;

namespace MambaServe.Engine.Backends.Cpu;

/// <summary>
/// One layer's weights as contiguous fp32 TorchSharp tensors, in the shapes the CPU forward uses. A is stored as
/// -exp(A_log), computed once here rather than every step.
/// </summary>
internal sealed class CpuLayerTensors : IDisposable
{
    public CpuLayerTensors(MambaLayerWeights w, MambaConfig c)
    {
        Norm = Fp32(w.Norm, c.DModel);
        InProj = Fp32(w.InProj, 2 * c.DInner, c.DModel);
        InProjBias = w.InProjBias is null ? null : Fp32(w.InProjBias, 2 * c.DInner);
        ConvWeight = Fp32(w.ConvWeight, c.DInner, c.DConv);
        ConvBias = w.ConvBias is null ? null : Fp32(w.ConvBias, c.DInner);
        XProj = Fp32(w.XProj, c.XProjWidth, c.DInner);
        DtProj = Fp32(w.DtProj, c.DInner, c.DtRank);
        DtProjBias = Fp32(w.DtProjBias, c.DInner);
        using (var aLog = Fp32(w.ALog, c.DInner, c.DState))
            A = aLog.exp().neg_().contiguous();
        D = Fp32(w.D, c.DInner);
        OutProj = Fp32(w.OutProj, c.DModel, c.DInner);
        OutProjBias = w.OutProjBias is null ? null : Fp32(w.OutProjBias, c.DModel);
        InProjLinear = new CpuLinear(InProj, InProjBias);
        XProjLinear = new CpuLinear(XProj, null);
        DtProjLinear = new CpuLinear(DtProj, null); // dt_proj's bias is added inside the scan, with the softplus
        OutProjLinear = new CpuLinear(OutProj, OutProjBias);
    }

    public CpuLinear InProjLinear { get; }
    public CpuLinear XProjLinear { get; }
    public CpuLinear DtProjLinear { get; }
    public CpuLinear OutProjLinear { get; }

    public Tensor Norm { get; }
    public Tensor InProj { get; }
    public Tensor? InProjBias { get; }
    public Tensor ConvWeight { get; }
    public Tensor? ConvBias { get; }
    public Tensor XProj { get; }
    public Tensor DtProj { get; }
    public Tensor DtProjBias { get; }
    public Tensor A { get; }
    public Tensor D { get; }
    public Tensor OutProj { get; }
    public Tensor? OutProjBias { get; }

    internal static Tensor Fp32(float[] data, params long[] shape) => torch.tensor(data, shape, ScalarType.Float32);

    public void Dispose()
    {
        foreach (var t in new[] { Norm, InProj, InProjBias, ConvWeight, ConvBias, XProj, DtProj, DtProjBias, A, D, OutProj, OutProjBias })
            t?.Dispose();
    }
}
