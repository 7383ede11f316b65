// The fused decode step after x_proj (DtSsuArgs): x_proj's split-K partial sums -> xdbl = [dt | B | C] per row;
// dt = softplus(dt_proj . dt + dt_bias); the selective state update in place on each row's slot; + D x; * silu(z).
//
// dt_proj is ~2 MB at the mamba-2.8b shape: as its own GEMV it would cost a launch and a tail for ~0.5 us of
// reading. Here each channel's row of dt_proj (dt_rank weights) is read by the threads that own the channel's
// state, once for all rows of the batch, and the product never leaves registers. Thread layout as in the state
// update kernel: dstate / V adjacent threads per channel (V = 4 states: 16 bytes of fp32 or 8 of bf16; StateVec).
#pragma once

#include "gpu/check.h"
#include "gpu/dtype.cuh"
#include "gpu/launch_kernel.cuh"
#include "gpu/timeline.cuh"
#include "model/model_gpu_chunk.cuh"
#include "model/model_gpu_kernels.h"

#include <type_traits>

namespace msv::gpu::model {

// Threads per block: 256 (the default: 80 blocks at the mamba-2.8b shape) or 128 (160 blocks), chosen at launch
// (DtSsuArgs::threads, MSV_SSU_THREADS). 128 spreads the work over every SM but measured 0.06 ms a step slower at
// batch 1 on the H200 (docs/gpu-model.md): each block sums x_proj's partials again, and twice the blocks do it.
constexpr int kSsuThreads = 256;
// dt_proj chunks per thread loaded at once (the first batch before the PDL wait): 5 covers a channel's 160 dt_proj
// weights (mamba-2.8b, bf16) in 4 threads, so no load waits after the wait. x_proj's partial sums loaded at once:
// 16 covers its 10 K slices. Build knobs for A/B (docs/gpu-model.md, "Session 2026-12-03, tenth").
#ifndef MSV_SSU_DT_BATCH
#define MSV_SSU_DT_BATCH 5
#endif
#ifndef MSV_SSU_PARTIAL_BATCH
#define MSV_SSU_PARTIAL_BATCH 16
#endif
constexpr int kDtBatch = MSV_SSU_DT_BATCH;
constexpr int kPartialBatch = MSV_SSU_PARTIAL_BATCH;

// V states of one channel a thread. fp32: 4 (one 16-byte vector). bf16: 4 (8 bytes) by default, so that a channel
// of 16 states has 4 threads as in fp32 and the grid as many blocks (80 at the mamba-2.8b shape, not 40), each
// thread with half the dt_proj chunks; 8 (16 bytes, the state update kernel's layout) for A/B runs
// (DtSsuArgs::state_vec, docs/gpu-model.md section "tenth").
template <typename S, int V> struct StateVec;
template <> struct StateVec<float, 4> {
    __device__ static void load(const float* p, float (&v)[4]) {
        const float4 q = *reinterpret_cast<const float4*>(p);
        v[0] = q.x, v[1] = q.y, v[2] = q.z, v[3] = q.w;
    }
    __device__ static void store(float* p, const float (&v)[4]) {
        *reinterpret_cast<float4*>(p) = make_float4(v[0], v[1], v[2], v[3]);
    }
};
template <> struct StateVec<bf16, 8> {
    __device__ static void load(const bf16* p, float (&v)[8]) { load8(p, v); }
    __device__ static void store(bf16* p, const float (&v)[8]) { store8(p, v); }
};
template <> struct StateVec<bf16, 4> {
    __device__ static void load(const bf16* p, float (&v)[4]) {
        const uint2 w = *reinterpret_cast<const uint2*>(p);
        v[0] = __uint_as_float(w.x << 16), v[1] = __uint_as_float(w.x & 0xffff0000u);
        v[2] = __uint_as_float(w.y << 16), v[3] = __uint_as_float(w.y & 0xffff0000u);
    }
    __device__ static void store(bf16* p, const float (&v)[4]) {
        *reinterpret_cast<uint2*>(p) = make_uint2(msv_bf16x2_bits(v[0], v[1]), msv_bf16x2_bits(v[2], v[3]));
    }
};

template <typename T> __device__ __forceinline__ float round_to(float v) { return to_float(from_float<T>(v)); }

// lg: log2 of the threads per channel (dstate / V, a power of two <= MSV_GROUP: dt_ssu_supported).
// One block an SM is all the grid ever has (80 blocks at mamba-2.8b): saying so lets ptxas keep a batch of loads in
// flight together. Without it, aiming at more blocks an SM, it issued each of x_proj's partial-sum loads after the
// previous one's add (seen in the sm_90 machine code), however the source grouped them.
template <typename T, typename S, int V, int R, int kThreads>
__global__ void __launch_bounds__(kThreads, 1) dt_ssu_kernel(const DtSsuArgs a, int lg) {
    constexpr int CE = 16 / sizeof(T);  // dt_proj elements per 16-byte chunk
    extern __shared__ float xdbl[];     // [R, nx]
    const int group = 1 << lg;
    const int g = threadIdx.x & (group - 1);
    const int per_block = kThreads >> lg;
    const int d = blockIdx.x * per_block + static_cast<int>(threadIdx.x >> lg);
    const bool act = d < a.di;
    const T* wdt = static_cast<const T*>(a.dt_proj);
    BlockTimeline tl;
    if (threadIdx.x == 0) tl.start();

    if (threadIdx.x == 0) {
        const int d0 = blockIdx.x * per_block;
        const int64_t bytes = static_cast<int64_t>(min(per_block, a.di - d0)) * a.ld_dr * sizeof(T);
        msv_prefetch_l2(wdt + static_cast<int64_t>(d0) * a.ld_dr, static_cast<uint32_t>(bytes & ~int64_t(15)));
    }
    // Before the wait: everything that the kernel before x_proj wrote or that no kernel of this step writes (this
    // layer's state is written only here; x and z come from in_proj, which finished before x_proj let this kernel
    // start, as every kernel waits before it lets its successor start). Only x_proj's partial sums need the wait.
    const int n0 = g * V;
    float A[V];
    float bias = 0.0f, Dd = 0.0f;
    float h[R][V], xs[R], zs[R];
    if (act) {
#pragma unroll
        for (int q = 0; q < V / 4; ++q) {
            const float4 v = reinterpret_cast<const float4*>(a.A + static_cast<int64_t>(d) * a.ds + n0)[q];
            A[4 * q] = v.x, A[4 * q + 1] = v.y, A[4 * q + 2] = v.z, A[4 * q + 3] = v.w;
        }
        bias = a.dt_bias[d];
        Dd = a.D ? a.D[d] : 0.0f;
    }
#pragma unroll
    for (int r = 0; r < R; ++r) {
        xs[r] = zs[r] = 0.0f;
        if (act && r < a.rows) {
            StateVec<S, V>::load(static_cast<const S*>(a.state) + static_cast<int64_t>(a.slot[r]) * a.slot_stride +
                                     static_cast<int64_t>(d) * a.ds + n0,
                                 h[r]);
            xs[r] = to_float(static_cast<const T*>(a.x)[r * a.ld_x + d]);
            zs[r] = to_float(static_cast<const T*>(a.z)[r * a.ld_z + d]);
        }
    }
    // dt_proj chunks g, g + group, ... of the channel, kDtBatch at a time: the first batch before the wait.
    const int kc = static_cast<int>(a.ld_dr / CE);
    uint4 wq[kDtBatch];
    const auto load_dt = [&](int c0, auto coherent) {
        constexpr bool kCoherent = decltype(coherent)::value;
#pragma unroll
        for (int q = 0; q < kDtBatch; ++q) {
            const int c = c0 + q * group;
            const T* p = wdt + static_cast<int64_t>(d) * a.ld_dr + c * CE;
            wq[q] = act && c < kc ? load_weights<false, kCoherent>(p) : make_uint4(0, 0, 0, 0);
        }
    };
    // The first batch through the plain path, which ptxas keeps ahead of the wait (load_weights).
    load_dt(g, std::true_type{});
    msv_pdl_wait();
    if (threadIdx.x == 0) tl.waited();
    if (a.trigger_at == 0) msv_pdl_launch_dependents();

    // xdbl rows, summed over the K slices in a fixed order, rounded to the activation type as the BLAS path's
    // x_proj output is. An output's slices are contiguous: a batch is kPartialBatch / 4 vector loads, all issued
    // before the first add (each from a vector clamped into range). Loaded one slice at a time they were given one
    // register and waited for one by one: ten round trips to L2 for ten slices, ~2.2-2.8 us of the kernel's ~5.3 us
    // at batch 1 on the H200.
    static_assert(kPartialBatch % 4 == 0 && kMaxSplits % 4 == 0, "slices as float4");
    for (int i = threadIdx.x; i < a.rows * a.nx; i += kThreads) {
        const float4* part = reinterpret_cast<const float4*>(a.partial + static_cast<int64_t>(i) * kMaxSplits);
        const int last = (a.splits - 1) / 4;
        float v = 0.0f;
        for (int s0 = 0; s0 < a.splits; s0 += kPartialBatch) {
            float4 t[kPartialBatch / 4];
#pragma unroll
            for (int q = 0; q < kPartialBatch / 4; ++q) t[q] = __ldg(part + min(s0 / 4 + q, last));
#pragma unroll
            for (int q = 0; q < kPartialBatch / 4; ++q) {
                const int z = s0 + 4 * q;
                v += z < a.splits ? t[q].x : 0.0f;
                v += z + 1 < a.splits ? t[q].y : 0.0f;
                v += z + 2 < a.splits ? t[q].z : 0.0f;
                v += z + 3 < a.splits ? t[q].w : 0.0f;
            }
        }
        xdbl[i] = round_to<T>(v);
    }
    __syncthreads();
    if (threadIdx.x == 0) tl.mark_a();
    if (a.trigger_at == 1) msv_pdl_launch_dependents();

    // dt_proj . dt for every row, in chunk order g, g + group, ...
    float dtp[R];
#pragma unroll
    for (int r = 0; r < R; ++r) dtp[r] = 0.0f;
    for (int c0 = g; c0 < kc && act; c0 += kDtBatch * group) {
        if (c0 != g) load_dt(c0, std::false_type{});
#pragma unroll
        for (int q = 0; q < kDtBatch; ++q) {
            // Past dt_rank (and past the row: load_dt gave zeros) a select keeps the sum: a branch per product
            // made each shared-memory read wait for the one before.
            const int c = c0 + q * group;
            float w[CE];
            unpack<T>(wq[q], w);
#pragma unroll
            for (int e = 0; e < CE; ++e) {
                const int k = c * CE + e;
                const int kx = min(k, a.dr - 1);
#pragma unroll
                for (int r = 0; r < R; ++r) {
                    const float f = fmaf(w[e], xdbl[r * a.nx + kx], dtp[r]);
                    dtp[r] = k < a.dr && r < a.rows ? f : dtp[r];
                }
            }
        }
    }
#pragma unroll
    for (int r = 0; r < R; ++r)
        for (int off = group >> 1; off > 0; off >>= 1) dtp[r] += __shfl_xor_sync(MSV_GROUP_MASK, dtp[r], off, MSV_GROUP);
    if (threadIdx.x == 0) tl.mark_b();
    if (a.trigger_at == 2) msv_pdl_launch_dependents();

#pragma unroll
    for (int r = 0; r < R; ++r) {
        if (r >= a.rows) break;
        float y = 0.0f;
        const float x = xs[r], z = zs[r];
        if (act) {
            const float dt = softplus(round_to<T>(dtp[r]) + bias);
            const float dtx = dt * x, vl = dt * kLog2e;
            const float* B = xdbl + r * a.nx + a.dr + n0;
            const float* C = B + a.ds;
#pragma unroll
            for (int k = 0; k < V; ++k) {
                h[r][k] = msv_exp2(vl * A[k]) * h[r][k] + dtx * B[k];
                y += C[k] * h[r][k];
            }
            StateVec<S, V>::store(static_cast<S*>(a.state) + static_cast<int64_t>(a.slot[r]) * a.slot_stride +
                                      static_cast<int64_t>(d) * a.ds + n0,
                                  h[r]);
        }
        for (int off = group >> 1; off > 0; off >>= 1) y += __shfl_xor_sync(MSV_GROUP_MASK, y, off, MSV_GROUP);
        if (act && g == 0) {
            y += Dd * x;
            y *= silu(z);
            static_cast<T*>(a.y)[r * a.ld_y + d] = from_float<T>(y);
        }
    }
    if (threadIdx.x == 0) tl.end(a.timeline, kTagDtSsu);
}

template <typename T, typename S, int V, int kThreads>
cudaError_t launch_dt_ssu_threads(int R, const DtSsuArgs& a, int lg, cudaStream_t s, bool pdl) {
    const int per_block = kThreads >> lg;
    const dim3 grid((a.di + per_block - 1) / per_block);
    const size_t smem = static_cast<size_t>(R) * a.nx * sizeof(float);
    switch (R) {
        case 1: return launch_kernel(dt_ssu_kernel<T, S, V, 1, kThreads>, grid, dim3(kThreads), smem, s, pdl, a, lg);
        case 2: return launch_kernel(dt_ssu_kernel<T, S, V, 2, kThreads>, grid, dim3(kThreads), smem, s, pdl, a, lg);
        case 4: return launch_kernel(dt_ssu_kernel<T, S, V, 4, kThreads>, grid, dim3(kThreads), smem, s, pdl, a, lg);
        default: return launch_kernel(dt_ssu_kernel<T, S, V, 8, kThreads>, grid, dim3(kThreads), smem, s, pdl, a, lg);
    }
}

template <typename T, typename S, int V>
msv_status launch_dt_ssu_typed(int R, const DtSsuArgs& a, cudaStream_t s, bool pdl) {
    const int group = a.ds / V;
    int lg = 0;
    while ((1 << lg) < group) ++lg;
    const cudaError_t err = a.threads == 128 ? launch_dt_ssu_threads<T, S, V, 128>(R, a, lg, s, pdl)
                                             : launch_dt_ssu_threads<T, S, V, kSsuThreads>(R, a, lg, s, pdl);
    return launch_status(err, "dt_ssu launch");
}

template <typename T>
msv_status launch_dt_ssu_t(msv_dtype state, int R, const DtSsuArgs& a, cudaStream_t s, bool pdl) {
    if (state != MSV_BF16) return launch_dt_ssu_typed<T, float, 4>(R, a, s, pdl);
    const bool vec8 = a.state_vec == 8 && dt_ssu_supported(a.ds, 8);
    return vec8 ? launch_dt_ssu_typed<T, bf16, 8>(R, a, s, pdl) : launch_dt_ssu_typed<T, bf16, 4>(R, a, s, pdl);
}

}  // namespace msv::gpu::model
