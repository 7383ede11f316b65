// The BLAS path's projections of few rows on tensor cores: Y[m, n] = sum_k W[n, k] X[m, k] (+ beta Y).
//
// Why our own: at a few rows a projection reads each weight once and is bound by memory; the vendor GEMM reached ~52%
// of the copy rate at 8 rows (issue 9's probe: 2.53 ms for the decode's 257 products at batch 8, floor 1.30), and
// its rounding depends on the row count. The fused GEMV does 2 M flops per weight on the FP32 pipes and lost to the
// BLAS past 2 rows. Here one mma.sync (m16n8k16, fp32 accumulation) multiplies 16 weight rows by 8 batch rows.
// Measured on the H200 (docs/gpu-model.md): 1-3% faster than cuBLAS over a whole step at 4 and 8 rows, and a row's
// bits do not depend on the batch; 2.8x slower at 64 rows, where each warp's X fragments (4x the weight bytes)
// come from L2. So the model gives it up to kMmaDefaultRows rows.
//
// Shape: a block owns 16 output rows n (the MMA's M side) and every batch row m (NT tiles of 8: the MMA's N side);
// its kSlices warps split K by steps of 32 (warp w takes steps w, w + kSlices, ...: at any moment the block reads
// one contiguous stretch of each of its rows), and sum their accumulators through shared memory in warp order.
// Lane (g = lane / 4, t = lane % 4) loads 16 bytes of weight rows g and g + 8 and of X row g of each tile: chunk t
// of every 4-chunk step. The fragments take those words in place, which permutes K identically in W and X (the
// sum is over all K, so any common permutation gives the same products): the first MMA of a step takes words 0-1
// of each 16-byte piece, the second words 2-3.
//
// More than kMmaGroupRows (64) batch rows run as groups of blocks along grid.y. Split-K (MmaArgs::splits > 1, for
// x_proj: 192 outputs would give only 12 blocks) cuts the steps into slices along grid.z, each writing its sums to
// fp32 partials that launch_split_sum (model_gpu_misc.cu) adds in slice order.
//
// The order of every sum is fixed by N, K and the split count alone, so a row's result does not depend on M: batched
// rows equal rows alone, bit for bit. (A first version split K over blocks with a last-block reduction of global
// partials; that reduction ran one block per tile on dependent loads and made 64 rows 2.6x slower than the BLAS.)
// CUDA sm_80+ only; on HIP the launcher answers unsupported and the caller uses the vendor BLAS.
#include "gpu/check.h"
#include "gpu/dtype.cuh"
#include "gpu/launch_kernel.cuh"
#include "model/model_gpu_chunk.cuh"
#include "model/model_gpu_conv_epilogue.cuh"
#include "model/model_gpu_kernels.h"

#include <string>
#include <type_traits>

namespace msv::gpu::model {
namespace {

constexpr int kRowsPerBlock = 16;
constexpr int kSlices = 8;                // warps per block, each a share of K
constexpr int kWideTiles = 400;           // blocks beyond what 132 SMs hold at 3 each (launch_tiles)
constexpr int kChunksPerStep = 4;         // 4 x 16 bytes = 32 K elements: two m16n8k16 MMAs

#if !defined(MSV_HIP)

// D += A B for one m16n8k16 tile (A: 16 x 16 row-major, B: 16 x 8 column-major, fp32 D), in bf16 or fp16.
#define MSV_MMA_M16N8K16(TYPE)                                                                                         \
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32." TYPE "." TYPE ".f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, " \
                 "{%0,%1,%2,%3};"                                                                                      \
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])                                                      \
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1))

template <typename T> struct MmaInstr {
    __device__ static void run(float (&d)[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0,
                               uint32_t b1) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
        if constexpr (std::is_same_v<T, bf16>)
            MSV_MMA_M16N8K16("bf16");
        else
            MSV_MMA_M16N8K16("f16");
#endif
    }
};
#undef MSV_MMA_M16N8K16

template <typename T>
__device__ __forceinline__ void store_out(const MmaArgs& a, int m, int n, float v) {
    if (a.y_f32) {
        float* y = static_cast<float*>(a.Y) + static_cast<int64_t>(m) * a.ldy + n;
        *y = a.beta != 0.0f ? v + a.beta * *y : v;
    } else {
        T* y = static_cast<T*>(a.Y) + static_cast<int64_t>(m) * a.ldy + n;
        *y = from_float<T>(a.beta != 0.0f ? v + a.beta * to_float(*y) : v);
    }
}

// NT tiles of 8 batch rows; U steps of weights (and X) in flight per warp. kEpi kConv: in_proj of a pure decode
// step, with the conv update of each x channel in the epilogue (MmaArgs::conv).
template <typename T, int NT, int U, bool kL2Sectors, MmaEpi kEpi, int MB = 1>
__global__ void __launch_bounds__(kSlices * MSV_GROUP, MB) mma_gemm_kernel(const MmaArgs a) {
    constexpr int E = Chunk<T>::kElems;
    __shared__ float sums[kSlices][NT * 4][MSV_GROUP];
    const int lane = threadIdx.x % MSV_GROUP, warp = threadIdx.x / MSV_GROUP;
    const int g = lane >> 2, t = lane & 3;
    const int n_lo = blockIdx.x * kRowsPerBlock + g, n_hi = n_lo + 8;
    const int m0 = blockIdx.y * kMmaGroupRows;  // this block's group of batch rows
    // This block's K steps (split-K: blockIdx.z is the slice).
    const int steps = (a.kc + kChunksPerStep - 1) / kChunksPerStep;
    const int per_split = (steps + a.splits - 1) / a.splits;
    const int s_begin = blockIdx.z * per_split, s_end = min(steps, s_begin + per_split);
    const T* w = static_cast<const T*>(a.W);
    const T* x = static_cast<const T*>(a.X);

    uint4 wq[U][2];
    const auto load_batch = [&](int base, auto coherent) {
        constexpr bool kCoherent = decltype(coherent)::value;
#pragma unroll
        for (int u = 0; u < U; ++u) {
            const int st = base + u * kSlices, c = st * kChunksPerStep + t;
            const bool ok = st < s_end && c < a.kc;
            const T* lo = w + n_lo * a.ldw + static_cast<int64_t>(c) * E;
            const T* hi = w + n_hi * a.ldw + static_cast<int64_t>(c) * E;
            wq[u][0] = ok && n_lo < a.N ? load_weights<kL2Sectors, kCoherent>(lo) : make_uint4(0, 0, 0, 0);
            wq[u][1] = ok && n_hi < a.N ? load_weights<kL2Sectors, kCoherent>(hi) : make_uint4(0, 0, 0, 0);
        }
    };
    // Weights before the wait: they are in flight while the predecessor finishes, through the plain path, which
    // ptxas leaves ahead of the wait (load_weights). And, for a product added into an fp32 Y (out_proj into the
    // residual) of one tile of rows, where each thread stores at most one output (the epilogue below), that output's
    // old value: the kernel that wrote it has finished (this one starts only once its predecessor passed its own
    // wait, and so on back). Loaded in the epilogue, it was a round trip at the end. (The thread's output is the
    // epilogue loop's first item, written out here and below for the conv prefetch rather than through a shared
    // helper: every form of one tried changed the sm_90 code of these measured kernels.)
    float y_old = 0.0f;
    const bool y_ahead = NT == 1 && kEpi == MmaEpi::kStore && a.y_f32 && a.beta != 0.0f && a.splits == 1;
    if (y_ahead && threadIdx.x < 4 * MSV_GROUP) {
        const int l = threadIdx.x % MSV_GROUP, q = threadIdx.x / MSV_GROUP;
        const int n = blockIdx.x * kRowsPerBlock + (l >> 2) + (q < 2 ? 0 : 8);
        const int m = m0 + 2 * (l & 3) + (q & 1);
        if (n < a.N && m < a.M) y_old = static_cast<const float*>(a.Y)[static_cast<int64_t>(m) * a.ldy + n];
    }
    load_batch(s_begin + warp, std::true_type{});
    if (kEpi == MmaEpi::kConv && NT == 1 && a.splits == 1 && threadIdx.x < 4 * MSV_GROUP) {
        // The conv update's inputs of this thread's one output (the epilogue's mapping, as y_old's above).
        const int l = threadIdx.x % MSV_GROUP, q = threadIdx.x / MSV_GROUP;
        const int n = blockIdx.x * kRowsPerBlock + (l >> 2) + (q < 2 ? 0 : 8);
        const int m = m0 + 2 * (l & 3) + (q & 1);
        if (n < a.N && n < a.conv.di && m < a.M) prefetch_conv_inputs(a.conv, m, n, sizeof(T));
    }
    msv_pdl_wait();
    msv_pdl_launch_dependents();

    float acc[NT][4];
#pragma unroll
    for (int j = 0; j < NT; ++j) acc[j][0] = acc[j][1] = acc[j][2] = acc[j][3] = 0.0f;
    // base is the same on every lane of a warp: mma.sync needs the whole warp.
    for (int base = s_begin + warp; base < s_end; base += U * kSlices) {
        if (base != s_begin + warp) load_batch(base, std::false_type{});
        uint4 xq[U][NT];
#pragma unroll
        for (int u = 0; u < U; ++u) {
            const int c = (base + u * kSlices) * kChunksPerStep + t;
#pragma unroll
            for (int j = 0; j < NT; ++j) {
                const int m = m0 + j * 8 + g;
                xq[u][j] = c < a.kc && m < a.M
                               ? *reinterpret_cast<const uint4*>(x + m * a.ldx + static_cast<int64_t>(c) * E)
                               : make_uint4(0, 0, 0, 0);
            }
        }
#pragma unroll
        for (int u = 0; u < U; ++u) {
            if (base + u * kSlices >= s_end) break;
#pragma unroll
            for (int j = 0; j < NT; ++j) {
                MmaInstr<T>::run(acc[j], wq[u][0].x, wq[u][1].x, wq[u][0].y, wq[u][1].y, xq[u][j].x, xq[u][j].y);
                MmaInstr<T>::run(acc[j], wq[u][0].z, wq[u][1].z, wq[u][0].w, wq[u][1].w, xq[u][j].z, xq[u][j].w);
            }
        }
    }

#pragma unroll
    for (int j = 0; j < NT; ++j)
#pragma unroll
        for (int q = 0; q < 4; ++q) sums[warp][j * 4 + q][lane] = acc[j][q];
    __syncthreads();
    // Lane (g, t) of value j * 4 + q held D[n_lo if q < 2 else n_hi][m = 8 j + 2 t + (q & 1)].
    for (int i = threadIdx.x; i < NT * 4 * MSV_GROUP; i += kSlices * MSV_GROUP) {
        const int v = i / MSV_GROUP, l = i % MSV_GROUP, j = v / 4, q = v % 4;
        const int n = blockIdx.x * kRowsPerBlock + (l >> 2) + (q < 2 ? 0 : 8);
        const int m = m0 + j * 8 + 2 * (l & 3) + (q & 1);
        if (n >= a.N || m >= a.M) continue;
        float s = 0.0f;
#pragma unroll
        for (int k = 0; k < kSlices; ++k) s += sums[k][v][l];
        if (a.splits > 1) {  // this slice's share, summed by launch_split_sum
            a.partial[(static_cast<int64_t>(blockIdx.z) * a.M + m) * a.N + n] = s;
            continue;
        }
        if (a.bias) s += a.bias[n];
        if (kEpi == MmaEpi::kConv && n < a.conv.di) {
            // The in_proj output rounds to the activation type before the conv, as in the reference.
            const float xv = to_float(from_float<T>(s));
            static_cast<T*>(a.conv.xc)[m * a.conv.ld_xc + n] = from_float<T>(conv_epilogue<T>(a.conv, m, n, xv));
        } else if (y_ahead) {
            static_cast<float*>(a.Y)[static_cast<int64_t>(m) * a.ldy + n] = s + a.beta * y_old;
        } else {
            store_out<T>(a, m, n, s);
        }
    }
}

template <typename T, int NT, int U, bool kL2Sectors, MmaEpi kEpi, int MB = 1>
cudaError_t launch_shape(const MmaArgs& a, cudaStream_t s, bool pdl) {
    const dim3 grid((a.N + kRowsPerBlock - 1) / kRowsPerBlock, (a.M + kMmaGroupRows - 1) / kMmaGroupRows, a.splits);
    return launch_kernel(mma_gemm_kernel<T, NT, U, kL2Sectors, kEpi, MB>, grid, dim3(kSlices * MSV_GROUP), 0, s, pdl,
                         a);
}

// 8 warps per block and U steps in flight per warp measured best on the H200 (4 or 16 warps, or twice the steps,
// were slower; docs/gpu-model.md), with the 256-byte L2 hint (MmaArgs::shape 1: without it, for A/B runs).
template <typename T, int NT, MmaEpi kEpi>
cudaError_t launch_tiles(const MmaArgs& a, cudaStream_t s, bool pdl) {
    // Fewer steps in flight as the X fragments grow (registers: U x NT x 4 words of X).
    constexpr int U = NT == 1 ? 4 : NT == 2 ? 2 : 1;
    // More blocks than 3 an SM hold at once (in_proj's 640 tiles, the LM head's, out_proj's 160 tiles in 4 or more
    // K slices): the shapes below for these.
    const bool wide = (a.N + kRowsPerBlock - 1) / kRowsPerBlock * a.splits > kWideTiles;
    if (a.shape == 1) return launch_shape<T, NT, U, false, kEpi>(a, s, pdl);
    // 9-64 rows (in the model x_proj and dt_proj, MSV_SMALL_PROJ_ROWS; in_proj takes the wide shape below): 3 blocks
    // an SM or more instead of 2. At 9-32 rows half the steps in flight of the earlier shape (60 and 66 registers at
    // 2 and 4 tiles, against 92 and 82), at 33-64 a launch bound (80 against 89, no spill). On the H200 a decode step
    // at 16 rows 0.9-2.1% faster, at 32 rows 2.2-2.9%, at 64 rows 0.7-0.8% (docs/gpu-model.md, "Session 2026-12-04,
    // fourth"). MSV_MMA_SHAPE=2: the earlier shapes (A/B).
    if constexpr (NT == 2 || NT == 4) {
        if (a.shape == 2) return launch_shape<T, NT, 2 * U, true, kEpi>(a, s, pdl);
        // The wide products (in_proj up to kInProjMmaDefaultRows, every one under MSV_MMA_MAX_ROWS) in one wave, as
        // up to 8 rows below: 1 step in flight, 48 registers, 5 blocks an SM. With 2 steps in flight (4 blocks an
        // SM) in_proj ran 1.21 waves at 16 rows; a decode step with every large product here took 2.776 ms against
        // 2.998-3.004 that way (H200, section "Session 2026-12-04, fourth"; 2 steps at 48 registers spill).
        if (wide) return launch_shape<T, NT, 1, true, kEpi, 5>(a, s, pdl);
    }
    if constexpr (NT == 8) {
        if (a.shape == 2) return launch_shape<T, NT, U, true, kEpi>(a, s, pdl);
        return launch_shape<T, NT, U, true, kEpi, 3>(a, s, pdl);
    }
    // Up to 8 rows, the default shape needs 76-80 registers a thread, so 3 blocks of 256 threads fit an SM: a product
    // of more tiles than 3 x 132 SMs hold at once (in_proj's 640, the LM head's) runs in two waves or more. There,
    // 2 steps in flight and 5 blocks an SM (44 registers) took in_proj from 20.1 to 18.8 us and a decode step at 8
    // rows 3.6% faster on the H200; for the narrower products it was slower (docs/gpu-model.md, section ninth).
    // The sum order does not depend on U, so the results are the same bits.
    if constexpr (NT == 1) {
        if (wide) return launch_shape<T, NT, 2, true, kEpi, 5>(a, s, pdl);
    }
    return launch_shape<T, NT, U, true, kEpi>(a, s, pdl);
}

// Tiles by the rows of the largest group (more than kMmaGroupRows rows run as groups along grid.y).
template <typename T, MmaEpi kEpi>
cudaError_t launch_rows(const MmaArgs& a, cudaStream_t s, bool pdl) {
    if (a.M <= 8) return launch_tiles<T, 1, kEpi>(a, s, pdl);
    if (a.M <= 16) return launch_tiles<T, 2, kEpi>(a, s, pdl);
    if (a.M <= 32) return launch_tiles<T, 4, kEpi>(a, s, pdl);
    return launch_tiles<T, 8, kEpi>(a, s, pdl);
}

template <typename T>
cudaError_t launch_typed(const MmaArgs& a, cudaStream_t s, bool pdl) {
    return a.epi == MmaEpi::kConv ? launch_rows<T, MmaEpi::kConv>(a, s, pdl) : launch_rows<T, MmaEpi::kStore>(a, s, pdl);
}

#endif  // !MSV_HIP

}  // namespace

bool mma_supported(msv_dtype wt, int cc_major) {
#if defined(MSV_HIP)
    (void)wt, (void)cc_major;
    return false;
#else
    return wt != MSV_F32 && cc_major >= 8;
#endif
}

msv_status launch_mma_gemm(msv_dtype wt, const MmaArgs& a, cudaStream_t s, bool pdl) {
#if defined(MSV_HIP)
    (void)wt, (void)a, (void)s, (void)pdl;
    return set_error(MSV_ERR_UNSUPPORTED, "mma gemm: not built for HIP");
#else
    const bool bad_split = a.splits < 1 || (a.splits > 1 && (a.partial == nullptr || a.epi != MmaEpi::kStore));
    if (a.M <= 0 || wt == MSV_F32 || bad_split)
        return set_error(MSV_ERR_INVALID_ARGUMENT, "mma gemm: " + std::to_string(a.M) + " rows, " +
                                                       std::to_string(a.splits) + " splits, or fp32 weights");
    const cudaError_t err = wt == MSV_BF16 ? launch_typed<bf16>(a, s, pdl) : launch_typed<__half>(a, s, pdl);
    return launch_status(err, "mma gemm launch");
#endif
}

}  // namespace msv::gpu::model
