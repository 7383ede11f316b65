// Small-batch matrix-vector products of the decode step (R <= 8 rows), with the neighbouring small steps fused in:
//   y[r, n] = sum_k W[n, k] x[r, k]     W: [N, ldw] row-major, rows padded with zeros to a multiple of 8 elements.
//
// Why our own: at 1..8 rows a projection reads each weight once and does 2R flops per weight, so it runs at memory
// bandwidth or not at all. The vendor GEMM reached ~52% of the copy rate here (issue 9); a projection at near copy
// rate needs every load 16 bytes wide, several independent loads in flight per lane, and each weight load used for
// every row. ggml-cuda's mmv kernels do small batches the same way (one warp per output row, lanes along K).
//
// Shape of the work: a block is kWarps warps; warp w owns NR consecutive output rows and all of K, lanes striding
// over K in 16-byte chunks (8 bf16 / fp16 weights, or 4 fp32), U chunks per lane in flight at a time. The rows
// of x are read through L1 (every warp of a block, and every block on an SM, reads the same x), the weights with
// no L1 allocation. A warp reduces its sums by shuffles; no shared memory, no barrier.
//
// Inputs (Pro):
//   kProT     x is [R, ldx] in the weights' storage type;
//   kProNorm  x is RMSNorm(residual) * norm_w: the warp reads residual (fp32) and norm_w, multiplies them and
//             accumulates sum(residual^2) alongside the products; the scale rsqrt(mean + eps) is applied to the
//             finished sums (sum_k W (s r w) = s sum_k W (r w)), so the norm needs no pass of its own.
// Outputs (Epi):
//   kEpiStore     y[r, n] (+ bias[n]) in the storage type (or fp32 when Y is float);
//   kEpiConv      in_proj: n < di is x, run through the slot's causal conv (the conv update of one token, state
//                 shifted in place) and silu, written to xc[r, n]; n >= di is z, stored to y[r, n];
//   kEpiResidual  out_proj: residual[r, n] += y (+ bias[n]) in fp32;
//   kEpiPartial   split-K (x_proj): blockIdx.y is a K slice; partial sums to part[r][n][slice] in fp32 (slice-minor,
//                 kMaxSplits a row: the reader loads an output's slices as 16-byte vectors).
//
// PDL: before msv_pdl_wait() a block touches only its weights (an L2 prefetch of its tile's first rows and, unless
// a.late_first_batch, each lane's first U chunks in registers).
#pragma once

#include "gpu/check.h"
#include "gpu/dtype.cuh"
#include "gpu/launch_kernel.cuh"
#include "gpu/timeline.cuh"
#include "model/model_gpu_chunk.cuh"
#include "model/model_gpu_conv_epilogue.cuh"
#include "model/model_gpu_kernels.h"

namespace msv::gpu::model {

// Which GEMVs issue a lane's next batch of weight loads before its current batch's products (software pipelining):
// bit 4 every GEMV of 2 or more rows, bit (1 << epilogue) that epilogue's GEMV of 1 row. On the H200 it took a
// 2-row step from 2.44-2.46 to 2.32 ms and a 1-row step (every GEMV) from 2.11-2.12 to 2.42 (docs/gpu-model.md,
// "Session 2026-12-03, second"). Other masks for A/B builds (-DMSV_GEMV_PIPELINE=...).
#ifndef MSV_GEMV_PIPELINE
#define MSV_GEMV_PIPELINE 16
#endif

enum Pro { kProT = 0, kProNorm = 1 };
enum Epi { kEpiStore = 0, kEpiConv = 1, kEpiResidual = 2, kEpiPartial = 3 };

// The norm weights of chunk c (kProNorm), shared by every row.
template <typename W, int P>
__device__ __forceinline__ void load_norm_w(const GemvArgs& a, int c, float (&nw)[Chunk<W>::kElems]) {
    if constexpr (P == kProNorm) {
        constexpr int E = Chunk<W>::kElems;
#pragma unroll
        for (int q = 0; q < E / 4; ++q) {
            const float4 w = reinterpret_cast<const float4*>(a.norm_w + c * E)[q];
            nw[4 * q] = w.x, nw[4 * q + 1] = w.y, nw[4 * q + 2] = w.z, nw[4 * q + 3] = w.w;
        }
    }
}

// x chunk c of row r, as fp32 (kProT), or residual * norm_w with the residual's squares added to `ss` (kProNorm).
template <typename W, int P>
__device__ __forceinline__ void load_x(const GemvArgs& a, int r, int c, const float (&nw)[Chunk<W>::kElems],
                                       float (&v)[Chunk<W>::kElems], float& ss) {
    constexpr int E = Chunk<W>::kElems;
    if constexpr (P == kProT) {
        unpack<W>(*reinterpret_cast<const uint4*>(static_cast<const W*>(a.x) + r * a.ldx + c * E), v);
    } else {
        const float4* res = reinterpret_cast<const float4*>(a.residual + r * a.ld_res + c * E);
#pragma unroll
        for (int q = 0; q < E / 4; ++q) {
            const float4 x = res[q];
            ss += x.x * x.x + x.y * x.y + x.z * x.z + x.w * x.w;
            v[4 * q] = x.x * nw[4 * q], v[4 * q + 1] = x.y * nw[4 * q + 1], v[4 * q + 2] = x.z * nw[4 * q + 2];
            v[4 * q + 3] = x.w * nw[4 * q + 3];
        }
    }
}

// Warp reduce-scatter of M (a power of two <= MSV_GROUP) per-lane values: a butterfly that halves the values each
// lane carries at every step (M - 1 shuffles in all, where reducing each value alone costs 5 M). Afterwards lane l
// holds the total of value l >> (log2(MSV_GROUP) - log2(M)) in v[0].
template <int M>
__device__ __forceinline__ void reduce_scatter(float (&v)[M], int lane) {
    int m = M;
#pragma unroll
    for (int off = MSV_GROUP / 2; off >= 1; off /= 2) {
        if (m > 1) {
            const bool upper = (lane & off) != 0;
#pragma unroll
            for (int k = 0; k < M / 2; ++k) {
                if (k >= m / 2) break;
                const float send = upper ? v[k] : v[k + m / 2];
                const float keep = upper ? v[k + m / 2] : v[k];
                v[k] = keep + __shfl_xor_sync(MSV_GROUP_MASK, send, off, MSV_GROUP);
            }
            m /= 2;
        } else {
            v[0] += __shfl_xor_sync(MSV_GROUP_MASK, v[0], off, MSV_GROUP);
        }
    }
}

template <int M> struct Log2 {
    static constexpr int value = M <= 1 ? 0 : 1 + Log2<M / 2>::value;
};
template <> struct Log2<1> {
    static constexpr int value = 0;
};

// Which warp of a GEMV block records its timeline (-DMSV_TIMELINE_LAST_WARP=1: the last, whose rows come last in
// the tile; default the first).
#ifndef MSV_TIMELINE_LAST_WARP
#define MSV_TIMELINE_LAST_WARP 0
#endif
template <int kWarps> constexpr int kTimelineWarp = MSV_TIMELINE_LAST_WARP ? kWarps - 1 : 0;

template <typename W, int R, int NR, int U, int P, int E, int kWarps>
__global__ void __launch_bounds__(kWarps * MSV_GROUP) gemv_kernel(const GemvArgs a) {
    constexpr int CE = Chunk<W>::kElems;
    const int lane = threadIdx.x % MSV_GROUP;
    const int warp = threadIdx.x / MSV_GROUP;
    const int n0 = (blockIdx.x * kWarps + warp) * NR;
    // Split-K: this block's chunks are [c_begin, c_end).
    const int c_begin = E == kEpiPartial ? blockIdx.y * a.chunks_per_split : 0;
    const int c_end = E == kEpiPartial ? min(a.kc, c_begin + a.chunks_per_split) : a.kc;
    const W* w = static_cast<const W*>(a.W);
    BlockTimeline tl;
    const bool recorder = threadIdx.x == kTimelineWarp<kWarps> * MSV_GROUP;
    if (recorder) tl.start();

    if (threadIdx.x == 0 && a.prefetch_bytes > 0) {
        const int first = blockIdx.x * kWarps * NR;
        if (first < a.N) {
            const int64_t rows = min(kWarps * NR, a.N - first);
            const int64_t tile = rows * a.ldw * static_cast<int64_t>(sizeof(W));
            const int64_t bytes = a.prefetch_bytes < tile ? a.prefetch_bytes : tile;
            msv_prefetch_l2(w + first * a.ldw, static_cast<uint32_t>(bytes & ~int64_t(15)));
        }
    }
    bool row_ok[NR];
#pragma unroll
    for (int i = 0; i < NR; ++i) row_ok[i] = n0 + i < a.N;
    // The first U chunks' weights are loaded before the wait: they are in flight while the predecessor finishes.
    uint4 wq[U][NR];
    auto load_batch = [&](int c0) {
#pragma unroll
        for (int u = 0; u < U; ++u) {
            const int c = c0 + u * MSV_GROUP;
#pragma unroll
            for (int i = 0; i < NR; ++i)
                wq[u][i] = (c < c_end && row_ok[i]) ? load_weights(w + (n0 + i) * a.ldw + static_cast<int64_t>(c) * CE)
                                                    : make_uint4(0, 0, 0, 0);
        }
    };
    // out_proj's residual entry of the output this lane writes (see the epilogue) before the wait: the previous
    // layer's out_proj wrote it and has finished (this kernel starts only once its predecessor passed its own wait,
    // and so on back). Loaded in the epilogue, it was a round trip at the end of out_proj's critical path. The lane's
    // output is worked out here again rather than hoisted for the epilogue too: kept live across the product, it
    // raised the registers of the other epilogues' kernels (sm_90, ptxas -v).
    float res = 0.0f;
    if constexpr (E == kEpiResidual) {
        constexpr int kShift = Log2<MSV_GROUP>::value - Log2<NR * R>::value;
        const int j = lane >> kShift, oi = j / R, orow = j % R;
        if ((lane & ((1 << kShift) - 1)) == 0 && orow < a.rows && n0 + oi < a.N)
            res = a.residual_out[orow * a.ld_res_out + n0 + oi];
    }
    // a.late_first_batch (batch-1 steps): the first batch after the wait, so that before it only the L2 prefetch
    // competes with the predecessor's loads (Model::late_first_batch_ says why).
    if (!a.late_first_batch) load_batch(c_begin + lane);
    msv_pdl_wait();
    if (a.late_first_batch) load_batch(c_begin + lane);
    if (recorder) tl.waited();
    msv_pdl_launch_dependents();

    float acc[NR][R];
    float ss[R];
#pragma unroll
    for (int r = 0; r < R; ++r) {
        ss[r] = 0.0f;
#pragma unroll
        for (int i = 0; i < NR; ++i) acc[i][r] = 0.0f;
    }

    const auto consume = [&](const uint4 (&q)[U][NR], int c0) {
#pragma unroll
        for (int u = 0; u < U; ++u) {
            const int c = c0 + u * MSV_GROUP;
            if (c >= c_end) break;
            float wf[NR][CE], nw[CE];
#pragma unroll
            for (int i = 0; i < NR; ++i) unpack<W>(q[u][i], wf[i]);
            load_norm_w<W, P>(a, c, nw);
#pragma unroll
            for (int r = 0; r < R; ++r) {
                if (r >= a.rows) break;
                float xv[CE];
                load_x<W, P>(a, r, c, nw, xv, ss[r]);
#pragma unroll
                for (int i = 0; i < NR; ++i)
#pragma unroll
                    for (int e = 0; e < CE; ++e) acc[i][r] = fmaf(wf[i][e], xv[e], acc[i][r]);
            }
        }
    };
    constexpr bool kPipeline = (MSV_GEMV_PIPELINE & (R == 1 ? 1 << E : 16)) != 0;
    for (int c0 = c_begin + lane; c0 < c_end; c0 += MSV_GROUP * U) {
        if constexpr (kPipeline) {
            // The next batch's loads are in flight while this batch is used.
            uint4 cur[U][NR];
#pragma unroll
            for (int u = 0; u < U; ++u)
#pragma unroll
                for (int i = 0; i < NR; ++i) cur[u][i] = wq[u][i];
            if (c0 + MSV_GROUP * U < c_end) load_batch(c0 + MSV_GROUP * U);
            consume(cur, c0);
        } else {
            if (c0 != c_begin + lane) load_batch(c0);
            consume(wq, c0);
        }
    }

    // Warp totals by reduce-scatter: lane l ends with output j = l >> shift (j = i * R + r), 32 / (NR R) lanes
    // per output; the first of them writes it. Every output's epilogue (the conv's loads among them) runs in
    // parallel across the lanes.
    constexpr int M = NR * R;
    constexpr int kShift = Log2<MSV_GROUP>::value - Log2<M>::value;
    float v[M];
#pragma unroll
    for (int i = 0; i < NR; ++i)
#pragma unroll
        for (int r = 0; r < R; ++r) v[i * R + r] = acc[i][r];
    if (recorder) tl.mark_a();
    reduce_scatter<M>(v, lane);
    if (recorder) tl.mark_b();
    const int j = lane >> kShift, oi = j / R, orow = j % R;
    float scale = 1.0f;
    if constexpr (P == kProNorm) {
        reduce_scatter<R>(ss, lane);
        // ss total of row r sits in lane r << (log2 MSV_GROUP - log2 R).
        const float tot = __shfl_sync(MSV_GROUP_MASK, ss[0], orow << (Log2<MSV_GROUP>::value - Log2<R>::value), MSV_GROUP);
        scale = rsqrtf(tot / static_cast<float>(a.K) + a.eps);
    }
    bool ok = false;
#pragma unroll
    for (int i = 0; i < NR; ++i)
        if (i == oi) ok = row_ok[i];
    if ((lane & ((1 << kShift) - 1)) != 0 || orow >= a.rows || !ok) return;
    const int n = n0 + oi, r = orow;
    float out = v[0] * scale;
    if constexpr (E == kEpiPartial) {
        a.partial[(static_cast<int64_t>(r) * a.N + n) * kMaxSplits + blockIdx.y] = out;
    } else if constexpr (E == kEpiResidual) {
        if (a.bias) out += a.bias[n];
        a.residual_out[r * a.ld_res_out + n] = res + out;
    } else {
        if (a.bias) out += a.bias[n];
        if (E == kEpiConv && n < a.conv.di) {
            // The in_proj output rounds to the activation type before the conv, as in the reference.
            const float xv = to_float(from_float<W>(out));
            static_cast<W*>(a.conv.xc)[r * a.conv.ld_xc + n] = from_float<W>(conv_epilogue<W>(a.conv, r, n, xv));
        } else if (a.y_f32) {
            static_cast<float*>(a.y)[r * a.ldy + n] = out;
        } else {
            static_cast<W*>(a.y)[r * a.ldy + n] = from_float<W>(out);
        }
    }
    // Lane 0 of a warp always writes when the warp's first row is inside N: every block records (the last warp's
    // timeline skips the last block when N leaves its last warp no row).
    if (recorder) tl.end(a.timeline, E);
}

// Rows per warp, chunks in flight per lane and warps per block, by product and batch rows. NR * R <= MSV_GROUP (one
// lane writes each output). More rows per warp reuse each x read from L1 for more weights (x traffic is R times the
// weights' at NR = 1); fewer keep more blocks for the tail. Starting points, tuned on the H200 (docs/gpu-model.md).
template <int R, int E> struct GemvShape;
template <int R> struct GemvShape<R, kEpiConv> { static constexpr int NR = 4, U = R <= 2 ? 1 : 2, kWarps = 4; };
template <int R> struct GemvShape<R, kEpiResidual> {
    static constexpr int NR = R <= 2 ? 1 : 2, U = R == 2 ? 2 : 4, kWarps = 4;
};
template <int R> struct GemvShape<R, kEpiPartial> { static constexpr int NR = R <= 4 ? 4 : 2, U = 2, kWarps = 4; };
template <int R> struct GemvShape<R, kEpiStore> { static constexpr int NR = R <= 2 ? 2 : 4, U = 2, kWarps = 4; };

// Alternative shapes of in_proj, out_proj (batches of 1, 2 and 4 rows) and the LM head (1 row), chosen at run time
// (GemvArgs::shape, MSV_GEMV_SHAPE_IN / _OUT / _HEAD) for A/B runs on the device; variant 1 of in_proj at 1 and 2
// rows and of out_proj at 2 rows is the shape before 2026-12-02 (docs/gpu-model.md). Shapes change only how the
// work is split: every lane sums its chunks in the same order and the butterfly is the same, so the bits are too.
template <int R, int E, int V> struct GemvVariant : GemvShape<R, E> {};
template <> struct GemvVariant<1, kEpiConv, 1> { static constexpr int NR = 2, U = 2, kWarps = 4; };
template <> struct GemvVariant<2, kEpiConv, 1> { static constexpr int NR = 2, U = 2, kWarps = 4; };
template <> struct GemvVariant<2, kEpiConv, 2> { static constexpr int NR = 2, U = 1, kWarps = 4; };
template <> struct GemvVariant<2, kEpiResidual, 1> { static constexpr int NR = 1, U = 4, kWarps = 4; };
template <> struct GemvVariant<2, kEpiResidual, 2> { static constexpr int NR = 2, U = 2, kWarps = 4; };
template <> struct GemvVariant<4, kEpiConv, 1> { static constexpr int NR = 4, U = 1, kWarps = 4; };
template <> struct GemvVariant<4, kEpiResidual, 1> { static constexpr int NR = 1, U = 2, kWarps = 4; };
template <> struct GemvVariant<4, kEpiResidual, 2> { static constexpr int NR = 2, U = 2, kWarps = 4; };
template <> struct GemvVariant<1, kEpiConv, 2> { static constexpr int NR = 8, U = 1, kWarps = 4; };
template <> struct GemvVariant<1, kEpiConv, 3> { static constexpr int NR = 4, U = 1, kWarps = 8; };
template <> struct GemvVariant<1, kEpiConv, 4> { static constexpr int NR = 2, U = 1, kWarps = 4; };
template <> struct GemvVariant<1, kEpiConv, 5> { static constexpr int NR = 4, U = 1, kWarps = 2; };
template <> struct GemvVariant<1, kEpiResidual, 1> { static constexpr int NR = 2, U = 2, kWarps = 4; };
template <> struct GemvVariant<1, kEpiResidual, 2> { static constexpr int NR = 1, U = 2, kWarps = 4; };
template <> struct GemvVariant<1, kEpiResidual, 3> { static constexpr int NR = 1, U = 4, kWarps = 8; };
template <> struct GemvVariant<1, kEpiResidual, 4> { static constexpr int NR = 2, U = 1, kWarps = 4; };
template <> struct GemvVariant<1, kEpiResidual, 5> { static constexpr int NR = 4, U = 1, kWarps = 4; };
template <> struct GemvVariant<1, kEpiStore, 1> { static constexpr int NR = 4, U = 1, kWarps = 4; };
template <> struct GemvVariant<1, kEpiStore, 2> { static constexpr int NR = 2, U = 1, kWarps = 4; };
template <> struct GemvVariant<1, kEpiStore, 3> { static constexpr int NR = 4, U = 1, kWarps = 8; };
template <> struct GemvVariant<1, kEpiStore, 4> { static constexpr int NR = 8, U = 1, kWarps = 4; };
template <> struct GemvVariant<1, kEpiStore, 5> { static constexpr int NR = 2, U = 2, kWarps = 8; };

template <typename W, int R, int P, int E, int V>
cudaError_t gemv_launch_variant(GemvArgs a, int splits, cudaStream_t s, bool pdl) {
    using Sh = GemvVariant<R, E, V>;
    static_assert(Sh::NR * R <= MSV_GROUP, "one lane per output of a warp");
    const int rows_per_block = Sh::kWarps * Sh::NR;
    dim3 grid((a.N + rows_per_block - 1) / rows_per_block, E == kEpiPartial ? splits : 1);
    if (E == kEpiPartial) a.chunks_per_split = (a.kc + splits - 1) / splits;
    return launch_kernel(gemv_kernel<W, R, Sh::NR, Sh::U, P, E, Sh::kWarps>, grid, dim3(Sh::kWarps * MSV_GROUP), 0,
                         s, pdl, a);
}

template <typename W, int R, int P, int E>
cudaError_t gemv_launch_shape(GemvArgs a, int splits, cudaStream_t s, bool pdl) {
    if constexpr ((R == 1 && (E == kEpiConv || E == kEpiResidual || (E == kEpiStore && P == kProNorm))) ||
                  ((R == 2 || R == 4) && (E == kEpiConv || E == kEpiResidual))) {
        switch (a.shape) {
            case 1: return gemv_launch_variant<W, R, P, E, 1>(a, splits, s, pdl);
            case 2: return gemv_launch_variant<W, R, P, E, 2>(a, splits, s, pdl);
            case 3: return gemv_launch_variant<W, R, P, E, 3>(a, splits, s, pdl);
            case 4: return gemv_launch_variant<W, R, P, E, 4>(a, splits, s, pdl);
            case 5: return gemv_launch_variant<W, R, P, E, 5>(a, splits, s, pdl);
            default: break;
        }
    }
    return gemv_launch_variant<W, R, P, E, 0>(a, splits, s, pdl);
}

template <typename W, int R>
cudaError_t gemv_launch_rows(GemvKind kind, bool norm, const GemvArgs& a, int splits, cudaStream_t s, bool pdl) {
    switch (kind) {
        case GemvKind::kConv: return gemv_launch_shape<W, R, kProNorm, kEpiConv>(a, splits, s, pdl);
        case GemvKind::kResidual: return gemv_launch_shape<W, R, kProT, kEpiResidual>(a, splits, s, pdl);
        case GemvKind::kPartial: return gemv_launch_shape<W, R, kProT, kEpiPartial>(a, splits, s, pdl);
        case GemvKind::kLogits:
        case GemvKind::kStore:
            return norm ? gemv_launch_shape<W, R, kProNorm, kEpiStore>(a, splits, s, pdl)
                        : gemv_launch_shape<W, R, kProT, kEpiStore>(a, splits, s, pdl);
    }
    return cudaErrorInvalidValue;
}

template <typename W>
msv_status launch_gemv_typed(GemvKind kind, bool norm, const GemvArgs& a, int splits, cudaStream_t s, bool pdl) {
    cudaError_t err;
    if (a.rows <= 1)
        err = gemv_launch_rows<W, 1>(kind, norm, a, splits, s, pdl);
    else if (a.rows <= 2)
        err = gemv_launch_rows<W, 2>(kind, norm, a, splits, s, pdl);
    else if (a.rows <= 4)
        err = gemv_launch_rows<W, 4>(kind, norm, a, splits, s, pdl);
    else
        err = gemv_launch_rows<W, 8>(kind, norm, a, splits, s, pdl);
    return launch_status(err, "gemv launch");
}

}  // namespace msv::gpu::model
