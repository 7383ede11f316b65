using MambaServe.Engine.Cpu.Interop;
using MambaServe.Engine.Interop;
using MambaServe.Engine.Loading;
using TorchSharp;
using static TorchSharp.torch;

namespace MambaServe.Engine.Cpu;

/// <summary>
/// One forward pass over a step's rows: first one token for each of several slots (decode rows, each updating its
/// slot's state in place), then prompt chunks, each continuing its own slot's state. Activations are token-major
/// [rows, channels] fp32; the kernels read x and z as strided views into the in_proj output and B, C as views into
/// the x_proj output, so no slicing copies are made. The norms and the projections run over every row at once, so
/// the rows share each GEMM; only the conv and the SSM, which carry a sequence's state, run per kind of row: one
/// conv update and one state update over the decode rows, and a conv and a scan per chunk on its own rows.
/// </summary>
internal sealed unsafe class CpuForward(MambaConfig config, CpuWeights weights, CpuStatePool state)
{
    /// <param name="tokens">The decode rows' tokens, then the chunks' back to back.</param>
    /// <param name="decodeSlots">The decode rows' slots, one a row.</param>
    /// <param name="chunks">Chunks of two or more tokens; their <see cref="ChunkRows.Start"/> counts from the first
    /// chunk row, after the decode rows.</param>
    /// <param name="decodeLogits">Receives [decode rows, vocab]; empty when nobody reads them.</param>
    /// <param name="chunkLogits">Receives each chunk's <see cref="ChunkRows.LogitCount"/> rows, chunk after chunk.</param>
    public void Run(ReadOnlySpan<int> tokens, ReadOnlySpan<int> decodeSlots, ReadOnlySpan<ChunkRows> chunks,
        Span<float> decodeLogits, Span<float> chunkLogits)
    {
        using var scope = NewDisposeScope();
        var chunkArray = chunks.ToArray();
        // A chunk is a scan, which keeps the SSM state in fp32 (staged when the pool stores bf16, and rounded back
        // into the pool when the scan state is disposed).
        var scans = new CpuStatePool.ScanState?[chunkArray.Length];
        try
        {
            for (var i = 0; i < chunkArray.Length; i++) scans[i] = state.BeginScan(chunkArray[i].Slot);
            var decodes = decodeSlots.Length;
            var headRows = HeadRows(decodeLogits.IsEmpty ? 0 : decodes, decodes, chunkArray);
            var final = Layers(tokens, new Middle(decodeSlots.ToArray(), chunkArray, scans!), headRows.Length > 0);
            if (final is null) return; // the layers left every state in its slot; the final norm only feeds the LM head
            var head = headRows.Length == tokens.Length ? final : final.index_select(0, torch.tensor(headRows, ScalarType.Int64));
            var result = weights.LmHeadLinear.Apply(head.contiguous(), headRows.Length);
            var all = new ReadOnlySpan<float>((void*)result.DataPointer(), checked((int)result.numel()));
            all[..decodeLogits.Length].CopyTo(decodeLogits);
            all[decodeLogits.Length..].CopyTo(chunkLogits);
        }
        finally
        {
            foreach (var scan in scans) scan?.Dispose();
        }
    }

    /// <summary>The rows that go through the LM head, in the order their logits are written: the first
    /// <paramref name="decodeHeads"/> decode rows, then each chunk's.</summary>
    private static long[] HeadRows(int decodeHeads, int decodes, ChunkRows[] chunks)
    {
        var rows = new List<long>();
        for (var i = 0; i < decodeHeads; i++) rows.Add(i);
        foreach (var chunk in chunks)
        {
            var count = chunk.LogitCount;
            for (var j = chunk.Length - count; j < chunk.Length; j++) rows.Add(decodes + chunk.Start + j);
        }
        return rows.ToArray();
    }

    /// <summary>How a forward's rows map to state: decode slots (a row each), then chunks with their scan states.</summary>
    private readonly record struct Middle(int[] DecodeSlots, ChunkRows[] Chunks, CpuStatePool.ScanState[] Scans);

    /// <summary>Every layer over the tokens; returns the final norm's output when <paramref name="wantFinal"/>.</summary>
    private Tensor? Layers(ReadOnlySpan<int> tokens, Middle middle, bool wantFinal)
    {
        var ids = torch.tensor(tokens.ToArray(), ScalarType.Int64);
        var hidden = weights.Embed(ids);
        var residual = zeros(tokens.Length, config.DModel, dtype: ScalarType.Float32);
        var previousOut = hidden;
        for (var l = 0; l < config.NLayer; l++)
        {
            // A layer's activations (a prefill chunk's are megabytes each) go when the layer ends, not with the
            // forward: so the allocator hands the next layer the same memory, where holding every layer's until the
            // end took fresh pages from the kernel each forward (zeroed on first touch) and grew the heap by the
            // layers' sum (docs/benchmarks.md, "A layer's activations freed with the layer").
            using var layerScope = NewDisposeScope();
            var layer = weights.Layers[l];
            var normed = AddAndNorm(previousOut, residual, layer.Norm);
            previousOut.Dispose();
            previousOut = Mixer(l, layer, normed, middle).MoveToOuterDisposeScope();
        }
        return wantFinal ? AddAndNorm(previousOut, residual, weights.NormF) : null;
    }

    /// <summary>residual += x (fp32); returns rmsnorm(residual) * weight.</summary>
    private Tensor AddAndNorm(Tensor x, Tensor residual, Tensor weight)
    {
        var rows = (int)residual.shape[0];
        var output = empty(rows, config.DModel, dtype: ScalarType.Float32);
        var p = new MsvRmsNormParams
        {
            Rows = rows, Dim = config.DModel, Dtype = MsvDtype.F32,
            X = x.DataPointer(), XRowStride = config.DModel,
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
        var decodes = middle.DecodeSlots.Length;
        fixed (int* decodeSlots = middle.DecodeSlots)
        {
            if (decodes > 0) ConvUpdate(l, w, xzBase, xcBase, decodeSlots, decodes);
            foreach (var chunk in middle.Chunks) ConvChunk(l, w, xzBase, xcBase, decodes + chunk.Start, chunk);
            var xdbl = w.XProj.Apply(xc, rows);                                      // [rows, R + 2N]: dt | B | C
            if (config.MixerRmsEpsilon is { } eps) NormalizeMixerParts(xdbl, eps);
            var dt = w.DtProj.Apply(xdbl.narrow(1, 0, r).contiguous(), rows);       // [rows, Di], bias added in the scan
            var y = empty(rows, di, dtype: ScalarType.Float32);
            var all = new Rows(xcBase, (float*)dt.DataPointer(), (float*)xdbl.DataPointer(), xzBase, (float*)y.DataPointer());
            // A decode row is the in-place state update; a chunk is a scan over its own rows.
            if (decodes > 0) StateUpdate(l, w, all, decodeSlots, decodes);
            for (var i = 0; i < middle.Chunks.Length; i++) Scan(l, w, all, middle.Scans[i], decodes + middle.Chunks[i].Start, middle.Chunks[i]);
            return w.OutProj.Apply(y, rows);
        }
    }

    /// <summary>FalconMamba: each row's dt, B and C RMS-normalised on their own, with no weight, in place.</summary>
    private void NormalizeMixerParts(Tensor xdbl, float eps)
    {
        int r = config.DtRank, n = config.DState;
        foreach (var (start, length) in new[] { (0, r), (r, n), (r + n, n) })
        {
            var part = xdbl.narrow(1, start, length);
            part.mul_(part.square().mean([1L], keepdim: true).add_(eps).rsqrt_());
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

    /// <param name="row">The chunk's first row in the forward.</param>
    private void ConvChunk(int l, CpuLayerTensors w, float* xz, float* xc, long row, ChunkRows chunk)
    {
        long di = config.DInner;
        var slot = chunk.Slot;
        var p = ConvParams(l, w, xz + row * 2 * di, xc + row * di, &slot, batch: 1, chunk.Length);
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

    /// <param name="row">The chunk's first row in the forward.</param>
    private void Scan(int l, CpuLayerTensors w, Rows all, CpuStatePool.ScanState scan, long row, ChunkRows chunk)
    {
        long di = config.DInner, xw = config.XProjWidth, r = config.DtRank, n = config.DState;
        long seqLen = chunk.Length, start = row;
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
