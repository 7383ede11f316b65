using MambaServe.Engine.Interop;
using static TorchSharp.torch;

namespace MambaServe.Engine.Cpu.Tests.Interop;

/// <summary>
/// Random inputs for the causal conv1d: x is the first half of a [batch, L, 2D] in_proj buffer, out has padded rows
/// poisoned with NaN, and the conv state pool [slots, D, W-1] is used through unsorted slot indices.
/// </summary>
internal sealed class ConvCase
{
    private const int OutPad = 2;

    public ConvCase(int seed, int batch, int seqLen, int dim, int width, bool full)
    {
        var rng = new Random(seed);
        (Batch, SeqLen, Dim, Width, Full, Slots) = (batch, seqLen, dim, width, full, batch + 3);
        Xz = KernelData.Uniform(rng, batch * seqLen * 2 * dim, -2f, 2f);
        Out = KernelData.Poisoned(batch * seqLen * OutRowStride);
        Weight = KernelData.Uniform(rng, dim * width, -1f, 1f);
        Bias = KernelData.Uniform(rng, dim, -0.5f, 0.5f);
        Pool = KernelData.Uniform(rng, Slots * dim * (width - 1), -2f, 2f);
        InitialPool = (float[])Pool.Data.Clone();
        SlotIdx = KernelData.Slots(rng, batch, Slots);
    }

    public int Batch { get; }
    public int SeqLen { get; }
    public int Dim { get; }
    public int Width { get; }
    public bool Full { get; }
    public int Slots { get; }
    public int OutRowStride => Dim + OutPad;
    public Pinned<float> Xz { get; }
    public Pinned<float> Out { get; }
    public Pinned<float> Weight { get; }
    public Pinned<float> Bias { get; }
    public Pinned<float> Pool { get; }
    public float[] InitialPool { get; }
    public Pinned<int> SlotIdx { get; }

    /// <summary>Params for tokens [t0, t0 + len) of every batch entry.</summary>
    public MsvConv1dParams Params(int t0, int len) => new()
    {
        Batch = Batch, Dim = Dim, SeqLen = len, Width = Width, Dtype = MsvDtype.F32,
        X = Xz.At(t0 * 2L * Dim), XBatchStride = SeqLen * 2L * Dim, XRowStride = 2L * Dim,
        Out = Out.At((long)t0 * OutRowStride), OutBatchStride = (long)SeqLen * OutRowStride, OutRowStride = OutRowStride,
        Weight = Weight.Ptr, Bias = Full ? Bias.Ptr : 0, Silu = Full ? 1 : 0,
        ConvState = Pool.Ptr, StateSlotStride = (long)Dim * (Width - 1), SlotIdx = SlotIdx.Ptr,
    };

    public Tensor Output() => KernelData.T(Out.Data, Batch, SeqLen, OutRowStride).narrow(2, 0, Dim);

    public Tensor PoolTensor() => KernelData.T(Pool.Data, Slots, Dim, Width - 1);

    public bool PaddingUntouched() =>
        KernelData.T(Out.Data, Batch, SeqLen, OutRowStride).narrow(2, Dim, OutPad).isnan().all().item<bool>();

    /// <summary>Reference (out [B, L, D], final pool) from the initial pool over the whole chunk.</summary>
    public (Tensor Out, Tensor Pool) Reference()
    {
        var xz = KernelData.T(Xz.Data, Batch, SeqLen, 2 * Dim);
        var weight = KernelData.T(Weight.Data, Dim, Width);
        var bias = Full ? KernelData.T(Bias.Data, Dim) : null;
        var pool = KernelData.T(InitialPool, Slots, Dim, Width - 1);
        var outs = new List<Tensor>();
        for (var b = 0; b < Batch; b++)
        {
            var slot = SlotIdx.Data[b];
            var (o, s) = TorchReference.Conv(xz[b].narrow(1, 0, Dim), pool[slot], weight, bias, Full);
            pool[slot] = s;
            outs.Add(o);
        }

        return (stack(outs), pool);
    }
}
