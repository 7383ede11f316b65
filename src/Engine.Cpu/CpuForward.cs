using MambaServe.Engine.Cpu.Interop;
using MambaServe.Engine.Interop;
using MambaServe.Engine.Loading;
using TorchSharp;
using static TorchSharp.torch;

namespace MambaServe.Engine.Cpu;

/// <summary>
/// One forward pass over either one slot's chunk of tokens (prefill: batch 1, sequence L) or one token for each of
/// several slots (decode: batch B, sequence 1). Activations are token-major [rows, channels] fp32 where
/// rows = batch * sequence; the kernels read x and z as strided views into the in_proj output and B, C as views into
/// the x_proj output, so no slicing copies are made.
/// </summary>
internal sealed unsafe class CpuForward(MambaConfig config, CpuWeights weights, CpuStatePool state)
{
    /// <param name="logits">Receives <paramref name="rows"/>' logits: [rows, vocab] for All, [vocab] for Last.</param>
    public void Run(ReadOnlySpan<int> tokens, ReadOnlySpan<int> slots, int sequenceLength, Span<float> logits, LogitRows rows)
    {
        using var scope = NewDisposeScope();
        var count = tokens.Length;
        var ids = torch.tensor(tokens.ToArray(), ScalarType.Int64);
        var hidden = weights.Embedding.index_select(0, ids).contiguous();
        var residual = zeros(count, config.DModel, dtype: ScalarType.Float32);
        var slotIdx = slots.ToArray();

        // A chunk of one slot is a scan, which keeps the SSM state in fp32 (staged when the pool stores bf16).
        using var scan = sequenceLength > 1 ? state.BeginScan(slots[0]) : null;
        Tensor? previousOut = hidden;
        for (var l = 0; l < config.NLayer; l++)
        {
            var layer = weights.Layers[l];
            var normed = AddAndNorm(previousOut, residual, layer.Norm);
            previousOut = Mixer(l, layer, normed, slotIdx, sequenceLength, scan);
        }
        if (rows == LogitRows.None)
        {
            return; // the layers left every state in its slot; the final norm only feeds the LM head
        }

        var final = AddAndNorm(previousOut, residual, weights.NormF);
        var head = rows == LogitRows.All ? final : final.narrow(0, count - 1, 1);
        var result = weights.LmHeadLinear.Apply(head, rows == LogitRows.All ? count : 1);
        new ReadOnlySpan<float>((void*)result.DataPointer(), checked((int)result.numel())).CopyTo(logits);
    }

    /// <summary>residual += x (fp32); returns rmsnorm(residual) * weight.</summary>
    private Tensor AddAndNorm(Tensor? x, Tensor residual, Tensor weight)
    {
        var rows = (int)residual.shape[0];
        var output = empty(rows, config.DModel, dtype: ScalarType.Float32);
        var p = new MsvRmsNormParams
        {
            Rows = rows, Dim = config.DModel, Dtype = MsvDtype.F32,
            X = x is null ? 0 : x.DataPointer(), XRowStride = config.DModel,
            Residual = residual.DataPointer(), ResidualRowStride = config.DModel,
            Out = output.DataPointer(), OutRowStride = config.DModel,
            Weight = weight.DataPointer(), Eps = config.NormEpsilon,
        };
        CpuKernels.RmsNormResidual(in p);
        return output;
    }

    private Tensor Mixer(int l, CpuLayerTensors w, Tensor normed, int[] slotIdx, int seqLen, CpuStatePool.ScanState? scan)
    {
        int rows = (int)normed.shape[0], di = config.DInner, r = config.DtRank;
        var batch = slotIdx.Length;
        var xz = w.InProj.Apply(normed, rows);                                     // [rows, 2*Di]: x | z
        var xc = empty(rows, di, dtype: ScalarType.Float32);
        var xzBase = (float*)xz.DataPointer();
        fixed (int* slots = slotIdx)
        {
            Conv(l, w, xzBase, xc, slots, batch, seqLen);
            var xdbl = w.XProj.Apply(xc, rows);                                      // [rows, R + 2N]: dt | B | C
            var dt = w.DtProj.Apply(xdbl.narrow(1, 0, r).contiguous(), rows);       // [rows, Di], bias added in the scan
            var y = empty(rows, di, dtype: ScalarType.Float32);
            var xdblBase = (float*)xdbl.DataPointer();
            // One token per sequence (decode, or a one-token prefill) is the in-place state update; a chunk is a scan.
            if (seqLen == 1)
                StateUpdate(l, w, xc, dt, xdblBase, xzBase, y, slots, batch);
            else
                Scan(l, w, xc, dt, xdblBase, xzBase, y, scan!, seqLen);
            return w.OutProj.Apply(y, rows);
        }
    }

    private void Conv(int l, CpuLayerTensors w, float* xzBase, Tensor xc, int* slots, int batch, int seqLen)
    {
        long di = config.DInner;
        var p = new MsvConv1dParams
        {
            Batch = batch, Dim = config.DInner, SeqLen = seqLen, Width = config.DConv, Dtype = MsvDtype.F32,
            X = (nint)xzBase, XBatchStride = seqLen * 2 * di, XRowStride = 2 * di,
            Out = xc.DataPointer(), OutBatchStride = seqLen * di, OutRowStride = di,
            Weight = w.ConvWeight.DataPointer(), Bias = w.ConvBias?.DataPointer() ?? 0,
            Silu = 1,
            ConvState = state.ConvLayer(l), StateSlotStride = state.ConvSlotStride, SlotIdx = (nint)slots,
        };
        if (seqLen == 1) CpuKernels.CausalConv1dUpdate(in p);
        else CpuKernels.CausalConv1dFwd(in p);
    }

    private void Scan(int l, CpuLayerTensors w, Tensor xc, Tensor dt, float* xdbl, float* xz, Tensor y, CpuStatePool.ScanState scan, int seqLen)
    {
        long di = config.DInner, xw = config.XProjWidth, r = config.DtRank, n = config.DState;
        var slotIndex = scan.SlotIndex;
        var p = new MsvScanParams
        {
            Batch = 1, Dim = config.DInner, DState = config.DState, SeqLen = seqLen, Dtype = MsvDtype.F32,
            U = xc.DataPointer(), UBatchStride = seqLen * di, URowStride = di,
            Delta = dt.DataPointer(), DeltaBatchStride = seqLen * di, DeltaRowStride = di,
            B = (nint)(xdbl + r), BBatchStride = seqLen * xw, BRowStride = xw,
            C = (nint)(xdbl + r + n), CBatchStride = seqLen * xw, CRowStride = xw,
            Z = (nint)(xz + di), ZBatchStride = seqLen * 2 * di, ZRowStride = 2 * di,
            Out = y.DataPointer(), OutBatchStride = seqLen * di, OutRowStride = di,
            A = w.A.DataPointer(), D = w.D.DataPointer(), DtBias = w.DtProjBias.DataPointer(),
            DeltaSoftplus = 1,
            State = scan.Layer(l), StateSlotStride = scan.SlotStride, SlotIdx = (nint)(&slotIndex),
        };
        CpuKernels.SelectiveScanFwd(in p);
    }

    private void StateUpdate(int l, CpuLayerTensors w, Tensor xc, Tensor dt, float* xdbl, float* xz, Tensor y, int* slots, int batch)
    {
        long di = config.DInner, xw = config.XProjWidth, r = config.DtRank, n = config.DState;
        var p = new MsvStateUpdateParams
        {
            Batch = batch, Dim = config.DInner, DState = config.DState, Dtype = MsvDtype.F32, StateDtype = state.SsmKernelDType,
            X = xc.DataPointer(), XBatchStride = di,
            Delta = dt.DataPointer(), DeltaBatchStride = di,
            B = (nint)(xdbl + r), BBatchStride = xw,
            C = (nint)(xdbl + r + n), CBatchStride = xw,
            Z = (nint)(xz + di), ZBatchStride = 2 * di,
            Out = y.DataPointer(), OutBatchStride = di,
            A = w.A.DataPointer(), D = w.D.DataPointer(), DtBias = w.DtProjBias.DataPointer(),
            DeltaSoftplus = 1,
            State = state.SsmLayer(l), StateSlotStride = state.SsmSlotStride, SlotIdx = (nint)slots,
        };
        CpuKernels.SelectiveStateUpdate(in p);
    }
}
