using MambaServe.Engine.Interop;
using static TorchSharp.torch;

namespace MambaServe.Engine.Cpu.Tests.Interop;

/// <summary>
/// Random inputs for the selective scan laid out as the model produces them: x and z are views into one
/// [batch, L, 2D] in_proj buffer, B and C views into one [batch, L, R + 2N] x_proj buffer, out has padded rows
/// (poisoned with NaN), and the state pool has more slots than the batch, used through unsorted slot indices.
/// </summary>
internal sealed class ScanCase
{
    private const int DtRank = 3;
    private const int OutPad = 3;

    public ScanCase(int seed, int batch, int seqLen, int dim, int dstate, bool full)
    {
        var rng = new Random(seed);
        (Batch, SeqLen, Dim, DState, Full, Slots) = (batch, seqLen, dim, dstate, full, batch + 2);
        Xz = KernelData.Uniform(rng, batch * seqLen * 2 * dim, -2f, 2f);
        Delta = full ? KernelData.Uniform(rng, batch * seqLen * dim, -3f, 1.5f)
                     : KernelData.Uniform(rng, batch * seqLen * dim, 0f, 0.5f);
        if (full)
        {
            // Some raw dt above softplus's linear threshold (20), so both branches of softplus run.
            for (var i = 5; i < Delta.Data.Length; i += 17)
            {
                Delta.Data[i] = 21f + (3f * rng.NextSingle());
            }
        }

        XProj = KernelData.Uniform(rng, batch * seqLen * XProjWidth, -1f, 1f);
        Out = KernelData.Poisoned(batch * seqLen * OutRowStride);
        A = KernelData.StateMatrixA(rng, dim, dstate);
        DSkip = KernelData.Uniform(rng, dim, -1f, 1f);
        DtBias = KernelData.Uniform(rng, dim, -1f, 0.5f);
        Pool = KernelData.Uniform(rng, Slots * dim * dstate, -1f, 1f);
        InitialPool = (float[])Pool.Data.Clone();
        SlotIdx = KernelData.Slots(rng, batch, Slots);
    }

    public int Batch { get; }
    public int SeqLen { get; }
    public int Dim { get; }
    public int DState { get; }
    public bool Full { get; }
    public int Slots { get; }
    public int XProjWidth => DtRank + (2 * DState);
    public int OutRowStride => Dim + OutPad;
    public Pinned<float> Xz { get; }
    public Pinned<float> Delta { get; }
    public Pinned<float> XProj { get; }
    public Pinned<float> Out { get; }
    public Pinned<float> A { get; }
    public Pinned<float> DSkip { get; }
    public Pinned<float> DtBias { get; }
    public Pinned<float> Pool { get; }
    public float[] InitialPool { get; }
    public Pinned<int> SlotIdx { get; }

    /// <summary>Params for tokens [t0, t0 + len) of every batch entry.</summary>
    public MsvScanParams Params(int t0, int len) => new()
    {
        Batch = Batch, Dim = Dim, DState = DState, SeqLen = len, Dtype = MsvDtype.F32,
        U = Xz.At(t0 * 2L * Dim), UBatchStride = SeqLen * 2L * Dim, URowStride = 2L * Dim,
        Delta = Delta.At((long)t0 * Dim), DeltaBatchStride = (long)SeqLen * Dim, DeltaRowStride = Dim,
        B = XProj.At(((long)t0 * XProjWidth) + DtRank), BBatchStride = (long)SeqLen * XProjWidth, BRowStride = XProjWidth,
        C = XProj.At(((long)t0 * XProjWidth) + DtRank + DState), CBatchStride = (long)SeqLen * XProjWidth,
        CRowStride = XProjWidth,
        Z = Full ? Xz.At((t0 * 2L * Dim) + Dim) : 0, ZBatchStride = SeqLen * 2L * Dim, ZRowStride = 2L * Dim,
        Out = Out.At((long)t0 * OutRowStride), OutBatchStride = (long)SeqLen * OutRowStride, OutRowStride = OutRowStride,
        A = A.Ptr, D = Full ? DSkip.Ptr : 0, DtBias = Full ? DtBias.Ptr : 0, DeltaSoftplus = Full ? 1 : 0,
        State = Pool.Ptr, StateSlotStride = (long)Dim * DState, SlotIdx = SlotIdx.Ptr,
    };

    /// <summary>The scan's outputs [B, L, D] as the kernel wrote them (padding columns dropped).</summary>
    public Tensor Output() => KernelData.T(Out.Data, Batch, SeqLen, OutRowStride).narrow(2, 0, Dim);

    public Tensor PoolTensor() => KernelData.T(Pool.Data, Slots, Dim, DState);

    /// <summary>Reference (y [B, L, D], final pool) from the initial pool over the whole chunk.</summary>
    public (Tensor Y, Tensor Pool) Reference()
    {
        var xz = KernelData.T(Xz.Data, Batch, SeqLen, 2 * Dim);
        var delta = KernelData.T(Delta.Data, Batch, SeqLen, Dim);
        var xproj = KernelData.T(XProj.Data, Batch, SeqLen, XProjWidth);
        var a = KernelData.T(A.Data, Dim, DState);
        var pool = KernelData.T(InitialPool, Slots, Dim, DState);
        var ys = new List<Tensor>();
        for (var b = 0; b < Batch; b++)
        {
            var slot = SlotIdx.Data[b];
            var (y, h) = TorchReference.Scan(
                xz[b].narrow(1, 0, Dim), delta[b], xproj[b].narrow(1, DtRank, DState),
                xproj[b].narrow(1, DtRank + DState, DState), Full ? xz[b].narrow(1, Dim, Dim) : null, a,
                Full ? KernelData.T(DSkip.Data, Dim) : null, Full ? KernelData.T(DtBias.Data, Dim) : null, Full,
                pool[slot]);
            pool[slot] = h;
            ys.Add(y);
        }

        return (stack(ys), pool);
    }

    /// <summary>Padding columns of out are never written.</summary>
    public bool PaddingUntouched() =>
        KernelData.T(Out.Data, Batch, SeqLen, OutRowStride).narrow(2, Dim, OutPad).isnan().all().item<bool>();
}
