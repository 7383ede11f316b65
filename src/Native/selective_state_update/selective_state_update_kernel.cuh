// GPU selective state update for one decode token (msv_state_update_params), in place on each slot's state.
//
// Memory-bound: per (entry, channel) the dstate-long state row is read and written once and everything else is
// a few scalars, so the fast path moves the state in 16-byte vectors (4 fp32 or 8 bf16 states per thread, a
// channel spread over dstate / that many adjacent threads, whose partial C.h sums meet through shuffles). Rows
// that are not 16-byte aligned, or a dstate that does not split that way, take a one-thread-per-channel path.
#pragma once

#include "gpu/check.h"
#include "gpu/dtype.cuh"
#include "gpu/launch.h"

#include <stdint.h>

namespace msv::gpu {
namespace ssu {

constexpr int kThreads = 256;

template <typename S> struct StateVec;

template <> struct StateVec<float> {
    static constexpr int kVec = 4;
    using Raw = float4;
    __device__ static Raw load_raw(const float* p) { return *reinterpret_cast<const float4*>(p); }
    __device__ static void unpack(const Raw& q, float (&v)[kVec]) { v[0] = q.x, v[1] = q.y, v[2] = q.z, v[3] = q.w; }
    __device__ static void store(float* p, const float (&v)[kVec]) {
        *reinterpret_cast<float4*>(p) = make_float4(v[0], v[1], v[2], v[3]);
    }
};

template <> struct StateVec<bf16> {
    static constexpr int kVec = 8;
    using Raw = uint4;
    __device__ static Raw load_raw(const bf16* p) { return *reinterpret_cast<const uint4*>(p); }
    __device__ static void unpack(const Raw& q, float (&v)[kVec]) {
        const uint32_t w[4] = {q.x, q.y, q.z, q.w};
#pragma unroll
        for (int k = 0; k < 4; ++k) {
            v[2 * k] = __uint_as_float(w[k] << 16);
            v[2 * k + 1] = __uint_as_float(w[k] & 0xffff0000u);
        }
    }
    __device__ static void store(bf16* p, const float (&v)[kVec]) {
        uint32_t w[4];
#pragma unroll
        for (int k = 0; k < 4; ++k)
            w[k] = static_cast<uint32_t>(from_float<bf16>(v[2 * k]).bits) |
                   (static_cast<uint32_t>(from_float<bf16>(v[2 * k + 1]).bits) << 16);
        *reinterpret_cast<uint4*>(p) = make_uint4(w[0], w[1], w[2], w[3]);
    }
};

// Per-channel scalars shared by both paths.
template <typename T, bool kSoftplus>
__device__ __forceinline__ void channel_inputs(const msv_state_update_params& p, int64_t b, int d, float& dt,
                                               float& x) {
    dt = load(static_cast<const T*>(p.delta), b * p.delta_batch_stride + d) + (p.dt_bias ? p.dt_bias[d] : 0.0f);
    if (kSoftplus) dt = softplus(dt);
    x = load(static_cast<const T*>(p.x), b * p.x_batch_stride + d);
}

template <typename T, bool kHasZ>
__device__ __forceinline__ void write_out(const msv_state_update_params& p, int64_t b, int d, float y, float x) {
    if (p.D) y += p.D[d] * x;
    if (kHasZ) y *= silu(load(static_cast<const T*>(p.z), b * p.z_batch_stride + d));
    static_cast<T*>(p.out)[b * p.out_batch_stride + d] = from_float<T>(y);
}

// `group` = 1 << lg = dstate / kVec adjacent threads per channel: a power of two <= MSV_GROUP, so groups never
// straddle a shuffle group (passed as its log: a runtime divisor would make each % and / an integer division).
// Each thread owns the same state slice (n0 .. n0 + kVec) of kUnroll channels kThreads / group apart and issues
// their loads first. kUnroll = 1 measured best on the H200 (docs/gpu-kernels.md): 2 and 4
// raised the registers and cut occupancy more than they added bytes in flight. Every thread reaches the
// shuffles (no early return).
constexpr int kUnroll = 1;
// Blocks per SM the compiler must fit: 8 caps the registers at 32, so that a full SM (64 warps) keeps one 16-byte
// state load per thread in flight (35 registers allowed only 6 blocks: 25% fewer bytes in flight).
#ifndef MSV_SSU_MIN_BLOCKS
#define MSV_SSU_MIN_BLOCKS 8
#endif

template <typename T, typename S, bool kHasZ, bool kSoftplus>
__global__ void __launch_bounds__(kThreads, MSV_SSU_MIN_BLOCKS) state_update_vec_kernel(const msv_state_update_params p, int lg) {
    using Raw = typename StateVec<S>::Raw;
    constexpr int V = StateVec<S>::kVec;
    const int64_t b = blockIdx.y;
    const int N = p.dstate;
    const int group = 1 << lg;
    const int g = threadIdx.x & (group - 1);  // kThreads is a multiple of group: the same slice for every u
    const int n0 = g * V;
    const int64_t slot_base = static_cast<int64_t>(p.slot_idx[b]) * p.state_slot_stride + n0;
    const int stride = kThreads >> lg;  // channels between a thread's consecutive u
    const int dbase = blockIdx.x * kUnroll * stride + static_cast<int>(threadIdx.x >> lg);

    Raw raw[kUnroll];
    float dt[kUnroll], x[kUnroll], zv[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
        const int d = dbase + u * stride;
        const bool act = d < p.dim;
        if (act) raw[u] = StateVec<S>::load_raw(static_cast<const S*>(p.state) + slot_base + static_cast<int64_t>(d) * N);
        dt[u] = act ? load(static_cast<const T*>(p.delta), b * p.delta_batch_stride + d) : 0.0f;
        x[u] = act ? load(static_cast<const T*>(p.x), b * p.x_batch_stride + d) : 0.0f;
        zv[u] = (kHasZ && act) ? load(static_cast<const T*>(p.z), b * p.z_batch_stride + d) : 0.0f;
    }
    float Bv[V], Cv[V];
#pragma unroll
    for (int k = 0; k < V; ++k) {
        Bv[k] = load(static_cast<const T*>(p.B), b * p.B_batch_stride + n0 + k);
        Cv[k] = load(static_cast<const T*>(p.C), b * p.C_batch_stride + n0 + k);
    }

#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
        const int d = dbase + u * stride;
        const bool act = d < p.dim;
        float y = 0.0f;
        if (act) {
            float A[V], h[V];
            const float4* a4 = reinterpret_cast<const float4*>(p.A + static_cast<int64_t>(d) * N + n0);
#pragma unroll
            for (int q = 0; q < V / 4; ++q) {
                const float4 v = a4[q];
                A[4 * q] = v.x, A[4 * q + 1] = v.y, A[4 * q + 2] = v.z, A[4 * q + 3] = v.w;
            }
            StateVec<S>::unpack(raw[u], h);
            float v = dt[u] + (p.dt_bias ? p.dt_bias[d] : 0.0f);
            if (kSoftplus) v = softplus(v);
            const float dtx = v * x[u];
            const float vl = v * kLog2e;  // exp(v A) = 2^(v log2(e) A)
#pragma unroll
            for (int k = 0; k < V; ++k) {
                h[k] = msv_exp2(vl * A[k]) * h[k] + dtx * Bv[k];
                y += Cv[k] * h[k];  // the fp32 h, before rounding to the pool's type (as the reference)
            }
            StateVec<S>::store(static_cast<S*>(p.state) + slot_base + static_cast<int64_t>(d) * N, h);
        }
        for (int off = group >> 1; off > 0; off >>= 1) y += __shfl_xor_sync(MSV_GROUP_MASK, y, off, MSV_GROUP);
        if (act && g == 0) {
            if (p.D) y += p.D[d] * x[u];
            if (kHasZ) y *= silu(zv[u]);
            static_cast<T*>(p.out)[b * p.out_batch_stride + d] = from_float<T>(y);
        }
    }
}

__device__ __forceinline__ float state_load(const float* s, int64_t i) { return s[i]; }
__device__ __forceinline__ float state_load(const bf16* s, int64_t i) { return to_float(s[i]); }

template <typename T, typename S, bool kHasZ, bool kSoftplus>
__global__ void __launch_bounds__(kThreads) state_update_scalar_kernel(const msv_state_update_params p) {
    const int64_t b = blockIdx.y;
    const int d = blockIdx.x * kThreads + threadIdx.x;
    if (d >= p.dim) return;
    const int N = p.dstate;
    S* st = static_cast<S*>(p.state) + static_cast<int64_t>(p.slot_idx[b]) * p.state_slot_stride +
            static_cast<int64_t>(d) * N;
    float dt, x;
    channel_inputs<T, kSoftplus>(p, b, d, dt, x);
    const float dtx = dt * x;
    const float* A = p.A + static_cast<int64_t>(d) * N;
    const T* Bb = static_cast<const T*>(p.B) + b * p.B_batch_stride;
    const T* Cb = static_cast<const T*>(p.C) + b * p.C_batch_stride;
    float y = 0.0f;
    for (int n = 0; n < N; ++n) {
        const float h = __expf(dt * A[n]) * state_load(st, n) + dtx * load(Bb, n);
        st[n] = from_float<S>(h);
        y += load(Cb, n) * h;
    }
    write_out<T, kHasZ>(p, b, d, y, x);
}

template <typename S>
int vector_group(const msv_state_update_params& p) {
    constexpr int V = StateVec<S>::kVec;
    if (p.dstate % V != 0) return 0;
    const int group = p.dstate / V;
    if (group > MSV_GROUP || (group & (group - 1)) != 0) return 0;
    if (reinterpret_cast<uintptr_t>(p.state) % 16 != 0) return 0;
    if ((p.state_slot_stride * static_cast<int64_t>(sizeof(S))) % 16 != 0) return 0;
    if (reinterpret_cast<uintptr_t>(p.A) % 16 != 0) return 0;
    return group;
}

template <typename T, typename S, bool kHasZ, bool kSoftplus>
void launch(const msv_state_update_params& p, cudaStream_t stream) {
    if (const int group = vector_group<S>(p); group > 0) {
        const int per_block = kThreads * kUnroll;
        const dim3 grid((p.dim * group + per_block - 1) / per_block, p.batch);
        int lg = 0;
        while ((1 << lg) < group) ++lg;
        state_update_vec_kernel<T, S, kHasZ, kSoftplus><<<grid, kThreads, 0, stream>>>(p, lg);
    } else {
        const dim3 grid((p.dim + kThreads - 1) / kThreads, p.batch);
        state_update_scalar_kernel<T, S, kHasZ, kSoftplus><<<grid, kThreads, 0, stream>>>(p);
    }
}

template <typename T, typename S>
void launch_flags(const msv_state_update_params& p, cudaStream_t stream) {
    if (p.z)
        p.delta_softplus ? launch<T, S, true, true>(p, stream) : launch<T, S, true, false>(p, stream);
    else
        p.delta_softplus ? launch<T, S, false, true>(p, stream) : launch<T, S, false, false>(p, stream);
}

}  // namespace ssu

template <msv_dtype DT>
msv_status launch_selective_state_update(const msv_state_update_params& p, void* stream) {
    using T = typename storage<DT>::type;
    const auto s = static_cast<cudaStream_t>(stream);
    if (p.state_dtype == MSV_BF16)
        ssu::launch_flags<T, bf16>(p, s);
    else
        ssu::launch_flags<T, float>(p, s);
    return check_launch("msv_selective_state_update");
}

}  // namespace msv::gpu
