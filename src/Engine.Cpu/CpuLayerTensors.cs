using MambaServe.Engine.Loading;
using static TorchSharp.torch;

namespace MambaServe.Engine.Cpu;

/// <summary>
/// One layer's weights as contiguous TorchSharp tensors, in the shapes the CPU forward uses: the four projections in
/// the runner's matrix type (fp32 or bf16, <see cref="CpuWeightReader"/>), the rest fp32. A is stored as -exp(A_log),
/// computed once here rather than every step. Owns its tensors.
/// </summary>
internal sealed class CpuLayerTensors : IDisposable
{
    /// <param name="take">The layer's tensor of a role, handed over (null: an absent bias).</param>
    public CpuLayerTensors(Func<TensorRole, Tensor?> take)
    {
        Norm = Required(take, TensorRole.Norm);
        InProj = new CpuLinear(Required(take, TensorRole.InProj), take(TensorRole.InProjBias));
        ConvWeight = Required(take, TensorRole.ConvWeight);
        ConvBias = take(TensorRole.ConvBias);
        XProj = new CpuLinear(Required(take, TensorRole.XProj), null);
        DtProj = new CpuLinear(Required(take, TensorRole.DtProj), null); // its bias is added inside the scan, with the softplus
        DtProjBias = Required(take, TensorRole.DtProjBias);
        using (var aLog = Required(take, TensorRole.ALog))
            A = aLog.exp().neg_().contiguous();
        D = Required(take, TensorRole.D);
        OutProj = new CpuLinear(Required(take, TensorRole.OutProj), take(TensorRole.OutProjBias));
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

    public IEnumerable<CpuLinear> Projections => [InProj, XProj, DtProj, OutProj];

    /// <summary>Every tensor the layer holds, for its byte count and disposal.</summary>
    public IEnumerable<Tensor> Tensors =>
        new[] { Norm, ConvWeight, ConvBias, DtProjBias, A, D }
            .Concat(Projections.SelectMany(p => new[] { p.Weight, p.Bias }))
            .OfType<Tensor>();

    private static Tensor Required(Func<TensorRole, Tensor?> take, TensorRole role) =>
        take(role) ?? throw new CheckpointException($"The checkpoint streamed no {role} tensor for a layer.");

    public void Dispose()
    {
        foreach (var t in Tensors) t.Dispose();
    }
}
