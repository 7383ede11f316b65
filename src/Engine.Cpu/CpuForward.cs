using MambaServe.Engine.Cpu.Interop;
using MambaServe.Engine.Interop;
using MambaServe.Engine.Loading;
using TorchSharp;
using static TorchSharp.torch;

namespace MambaServe.Engine.Cpu;

/// <summary>
/// One forward pass over either one token for each of several slots (decode) or a step's prompt chunks, each on its
/// own slot (prefill). Activations are token-major [rows, channels] fp32; the kernels read x and z as strided views
/// into the in_proj output and B, C as views into the x_proj output, so no slicing copies are made. The norms and the
/// projections run over every row of the forward at once, so a step's prompt chunks share each GEMM; only the conv
/// and the scan, which carry a sequence's state, run chunk by chunk on their own rows.
/// </summary>
internal sealed unsafe class CpuForward(MambaConfig config, CpuWeights weights, CpuStatePool state)
{
    /// <summary>One token for each of <paramref name="slots"/>, each updating its slot's state in place.</summary>
    /// <param name="logits">Receives [tokens, vocab] when <paramref name="wantLogits"/>; untouched otherwise.</param>
    public void Decode(ReadOnlySpan<int> tokens, ReadOnlySpan<int> slots, Span<float> logits, bool wantLogits)
    {
        using var scope = NewDisposeScope();
        var final = Layers(tokens, new Middle(slots.ToArray(), null, null), wantLogits);
        if (final is not null) CopyRows(weights.LmHeadLinear.Apply(final, tokens.Length), logits);
    }

    /// <summary>
    /// Prompt chunks of two or more tokens, each continuing its slot's state: <paramref name="tokens"/> holds them
    /// back to back, as <paramref name="chunks"/> says.
    /// </summary>
    /// <param name="logits">Receives each chunk's <see cref="ChunkRows.LogitCount"/> rows, chunk after chunk.</param>
    public void Prefill(ReadOnlySpan<int> tokens, ReadOnlySpan<ChunkRows> chunks, Span<float> logits)
    {
        using var scope = NewDisposeScope();
        var chunkArray = chunks.ToArray();
        // A chunk is a scan, which keeps the SSM state in fp32 (staged when the pool stores bf16, and rounded back
        // into the pool when the scan state is disposed).
        var scans = new CpuStatePool.ScanState?[chunkArray.Length];
        try
        {
            for (var i = 0; i < chunkArray.Length; i++) scans[i] = state.BeginScan(chunkArray[i].Slot);
            var headRows = HeadRows(chunkArray);
            var final = Layers(tokens, new Middle(null, chunkArray, scans!), headRows.Length > 0);
            if (final is null) return; // the layers left every state in its slot; the final norm only feeds the LM head
            var head = headRows.Length == tokens.Length ? final : final.index_select(0, torch.tensor(headRows, ScalarType.Int64));
            CopyRows(weights.LmHeadLinear.Apply(head.contiguous(), headRows.Length), logits);
        }
        finally
        {
            foreach (var scan in scans) scan?.Dispose();
        }
    }

    /// <summary>The forward's rows that go through the LM head, in the order their logits are written.</summary>
    private static long[] HeadRows(ChunkRows[] chunks)
    {
        var rows = new List<long>();
        foreach (var chunk in chunks)
        {
            var count = chunk.LogitCount;
            for (var j = chunk.Length - count; j < chunk.Length; j++) rows.Add(chunk.Start + j);
        }
        return rows.ToArray();
    }

    private static void CopyRows(Tensor result, Span<float> logits) =>
        new ReadOnlySpan<float>((void*)result.DataPointer(), checked((int)result.numel())).CopyTo(logits);

    /// <summary>How a forward's rows map to state: decode slots (a row each), or chunks with their scan states.</summary>
    private readonly record struct Middle(int[]? DecodeSlots, ChunkRows[]? Chunks, CpuStatePool.ScanState[]? Scans);

    /// <summary>Every layer over the tokens; returns the final norm's output when <paramref name="wantFinal"/>.</summary>
    private Tensor? Layers(ReadOnlySpan<int> tokens, Middle middle, bool wantFinal)
    {
        var ids = torch.tensor(tokens.ToArray(), ScalarType.Int64);
        var hidden = weights.Embedding.index_select(0, ids).contiguous();
        var residual = zeros(tokens.Length, config.DModel, dtype: ScalarType.Float32);
        Tensor? previousOut = hidden;
        for (var l = 0; l < config.NLayer; l++)
        {
            var layer = weights.Layers[l];
            var normed = AddAndNorm(previousOut, residual, layer.Norm);
            previousOut = Mixer(l, layer, normed, middle);
        }
        return wantFinal ? AddAndNorm(previousOut, residual, weights.NormF) : null;
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

    private Tensor Mixer(int l, CpuLayerTensors w, Tensor normed, Middle middle)
    {
        int rows = (int)normed.shape[0], di = config.DInner, r = config.DtRank;
        var xz = w.InProj.Apply(normed, rows);                                     // [rows, 2*Di]: x | z
        var xc = empty(rows, di, dtype: ScalarType.Float32);
        var xzBase = (float*)xz.DataPointer();
        var xcBase = (float*)xc.DataPointer();
        fixed (int* decodeSlots = middle.DecodeSlots)
        {
            if (middle.Chunks is { } convChunks)
                foreach (var chunk in convChunks) ConvChunk(l, w, xzBase, xcBase, chunk);
            else
                ConvUpdate(l, w, xzBase, xcBase, decodeSlots, rows);
            var xdbl = w.XProj.Apply(xc, rows);                                      // [rows, R + 2N]: dt | B | C
            var dt = w.DtProj.Apply(xdbl.narrow(1, 0, r).contiguous(), rows);       // [rows, Di], bias added in the scan
            var y = empty(rows, di, dtype: ScalarType.Float32);
            var rowsOf = new Rows(xcBase, (float*)dt.DataPointer(), (float*)xdbl.DataPointer(), xzBase, (float*)y.DataPointer());
            // One token per sequence is the in-place state update; a chunk is a scan over its own rows.
            if (middle.Chunks is { } chunks)
                for (var i = 0; i < chunks.Length; i++) Scan(l, w, rowsOf, middle.Scans![i], chunks[i]);
            else
                StateUpdate(l, w, rowsOf, decodeSlots, rows);
            return w.OutProj.Apply(y, rows);
        }
    }

    /// <summary>The mixer's activations of every row of the forward: conv output, dt, x_proj output, in_proj output, y.</summary>
    private readonly struct Rows(float* xc, float* dt, float* xdbl, float* xz, float* y)
    {
        public readonly float* Xc = xc, Dt = dt, XDbl = xdbl, Xz = xz, Y = y;
    }

    private void ConvUpdate(int l, CpuLayerTensors w, float* xz, float* xc, int* slots, int batch)
    {
        var p = ConvParams(l, w, xz, xc, slots, batch, seqLen: 1);
        CpuKernels.CausalConv1dUpdate(in p);
    }

    private void ConvChunk(int l, CpuLayerTensors w, float* xz, float* xc, ChunkRows chunk)
    {
        long di = config.DInner;
        var slot = chunk.Slot;
        var p = ConvParams(l, w, xz + chunk.Start * 2 * di, xc + chunk.Start * di, &slot, batch: 1, chunk.Length);
        CpuKernels.CausalConv1dFwd(in p);
    }

    private MsvConv1dParams ConvParams(int l, CpuLayerTensors w, float* xz, float* xc, int* slots, int batch, int seqLen)
    {
        long di = config.DInner;
        return new MsvConv1dParams
        {
            Batch = batch, Dim = config.DInner, SeqLen = seqLen, Width = config.DConv, Dtype = MsvDtype.F32,
            X = (nint)xz, XBatchStride = seqLen * 2 * di, XRowStride = 2 * di,
            Out = (nint)xc, OutBatchStride = seqLen * di, OutRowStride = di,
            Weight = w.ConvWeight.DataPointer(), Bias = w.ConvBias?.DataPointer() ?? 0,
            Silu = 1,
            ConvState = state.ConvLayer(l), StateSlotStride = state.ConvSlotStride, SlotIdx = (nint)slots,
        };
    }

    private void Scan(int l, CpuLayerTensors w, Rows all, CpuStatePool.ScanState scan, ChunkRows chunk)
    {
        long di = config.DInner, xw = config.XProjWidth, r = config.DtRank, n = config.DState;
        long seqLen = chunk.Length, start = chunk.Start;
        var xdbl = all.XDbl + start * xw;
        var xz = all.Xz + start * 2 * di;
        var slotIndex = scan.SlotIndex;
        var p = new MsvScanParams
        {
            Batch = 1, Dim = config.DInner, DState = config.DState, SeqLen = chunk.Length, Dtype = MsvDtype.F32,
            U = (nint)(all.Xc + start * di), UBatchStride = seqLen * di, URowStride = di,
            Delta = (nint)(all.Dt + start * di), DeltaBatchStride = seqLen * di, DeltaRowStride = di,
            B = (nint)(xdbl + r), BBatchStride = seqLen * xw, BRowStride = xw,
            C = (nint)(xdbl + r + n), CBatchStride = seqLen * xw, CRowStride = xw,
            Z = (nint)(xz + di), ZBatchStride = seqLen * 2 * di, ZRowStride = 2 * di,
            Out = (nint)(all.Y + start * di), OutBatchStride = seqLen * di, OutRowStride = di,
            A = w.A.DataPointer(), D = w.D.DataPointer(), DtBias = w.DtProjBias.DataPointer(),
            DeltaSoftplus = 1,
            State = scan.Layer(l), StateSlotStride = scan.SlotStride, SlotIdx = (nint)(&slotIndex),
        };
        CpuKernels.SelectiveScanFwd(in p);
    }

    private void StateUpdate(int l, CpuLayerTensors w, Rows all, int* slots, int batch)
    {
        long di = config.DInner, xw = config.XProjWidth, r = config.DtRank, n = config.DState;
        var p = new MsvStateUpdateParams
        {
            Batch = batch, Dim = config.DInner, DState = config.DState, Dtype = MsvDtype.F32, StateDtype = state.SsmKernelDType,
            X = (nint)all.Xc, XBatchStride = di,
            Delta = (nint)all.Dt, DeltaBatchStride = di,
            B = (nint)(all.XDbl + r), BBatchStride = xw,
            C = (nint)(all.XDbl + r + n), CBatchStride = xw,
            Z = (nint)(all.Xz + di), ZBatchStride = 2 * di,
            Out = (nint)all.Y, OutBatchStride = di,
            A = w.A.DataPointer(), D = w.D.DataPointer(), DtBias = w.DtProjBias.DataPointer(),
            DeltaSoftplus = 1,
            State = state.SsmLayer(l), StateSlotStride = state.SsmSlotStride, SlotIdx = (nint)slots,
        };
        CpuKernels.SelectiveStateUpdate(in p);
    }
}
