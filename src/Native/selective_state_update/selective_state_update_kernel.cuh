// GPU selective state update for one decode token (msv_state_update_params), in place on each slot's state.
//
// Memory-bound: per (entry, channel) the dstate-long state row is read and written once and everything else is
// a few scalars (and B and C, as one vector each where aligned), so the fast path moves the state in 16-byte
// vectors (4 fp32 or 8 bf16 states per thread, a channel spread over dstate / that many adjacent threads, whose
// partial C.h sums meet through shuffles). Rows that are not 16-byte aligned, or a dstate that does not split
// that way, take a one-thread-per-channel path. The vector path has two kernels: states loaded into registers, and
// (an fp32 state from 32 rows up: async_channels) states copied into shared memory, more of them in flight a thread.
#pragma once

#include "gpu/check.h"
#include "gpu/dtype.cuh"
#include "gpu/launch.h"
#include "gpu/launch_kernel.cuh"

#include <stdint.h>
#include <cstdlib>

namespace msv::gpu {
namespace ssu {

constexpr int kThreads = 256;

// Per-channel scalars and the output of the one-thread-per-channel path (the vector kernel loads z before its PDL
// wait and delta after it, so it spells these out).
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

// A thread's V elements (V = 4 or 8) of B, C or the state. kVec: one 8- or 16-byte load where the views allow (vector_bc: x_proj rows
// whose dt part is a multiple of 8 elements, as in every released checkpoint), else one load an element. One load
// where there were V cut the kernel by 9% (fp32 state) and 14% (bf16) at batch 256 on the H200 (docs/gpu-model.md,
// "Session 2026-12-03, seventh"). The 2-byte types stay packed, two a word, until each is used: at the 32-register
// cap a bf16 state's 8 states a thread leave no room for 16 unpacked floats of B and C (nor of the states).
template <typename T> __device__ __forceinline__ uint32_t raw_bits(T v);
template <> __device__ __forceinline__ uint32_t raw_bits(bf16 v) { return v.bits; }
template <> __device__ __forceinline__ uint32_t raw_bits(__half v) { return __half_as_ushort(v); }
__device__ __forceinline__ float half_of(bf16*, uint32_t w, int hi) {
    return __uint_as_float(hi ? (w & 0xffff0000u) : (w << 16));
}
__device__ __forceinline__ float half_of(__half*, uint32_t w, int hi) {
    return __half2float(__ushort_as_half(static_cast<unsigned short>(hi ? (w >> 16) : (w & 0xffffu))));
}

template <typename T, int V> struct Slice {
    uint32_t w[V / 2];
    __device__ float get(int k) const { return half_of(static_cast<T*>(nullptr), w[k >> 1], k & 1); }
    // The V elements of one 16-byte word (V == 8) from shared memory.
    __device__ void set(const float4 q) {
        static_assert(V == 8, "a 16-byte word holds 8 two-byte elements");
        w[0] = __float_as_uint(q.x), w[1] = __float_as_uint(q.y), w[2] = __float_as_uint(q.z), w[3] = __float_as_uint(q.w);
    }
    template <bool kVec> __device__ void load(const T* p) {
        if constexpr (kVec && V == 8) {
            const uint4 q = *reinterpret_cast<const uint4*>(p);
            w[0] = q.x, w[1] = q.y, w[2] = q.z, w[3] = q.w;
        } else if constexpr (kVec && V == 4) {
            const uint2 q = *reinterpret_cast<const uint2*>(p);
            w[0] = q.x, w[1] = q.y;
        } else {
#pragma unroll
            for (int k = 0; k < V / 2; ++k) w[k] = raw_bits(p[2 * k]) | raw_bits(p[2 * k + 1]) << 16;
        }
    }
};
template <int V> struct Slice<float, V> {
    float v[V];
    __device__ float get(int k) const { return v[k]; }
    __device__ void set(const float4 q) {
        static_assert(V == 4, "a 16-byte word holds 4 floats");
        v[0] = q.x, v[1] = q.y, v[2] = q.z, v[3] = q.w;
    }
    template <bool kVec> __device__ void load(const float* p) {
#pragma unroll
        for (int q = 0; q < V / 4; ++q) {
            if constexpr (kVec) {
                const float4 f = reinterpret_cast<const float4*>(p)[q];
                v[4 * q] = f.x, v[4 * q + 1] = f.y, v[4 * q + 2] = f.z, v[4 * q + 3] = f.w;
            } else {
#pragma unroll
                for (int k = 0; k < 4; ++k) v[4 * q + k] = p[4 * q + k];
            }
        }
    }
};

// States a thread of the vector path: one 16-byte vector, 4 fp32 or 8 bf16. Two vectors a thread (8 / 16 states,
// 40 or 48 registers, 6 or 5 blocks an SM) cut the instructions a state by ~30-40% but measured slower at batch
// 64 and with a bf16 state (docs/gpu-model.md, "Session 2026-12-03, seventh").
template <typename S> constexpr int kStates = 16 / static_cast<int>(sizeof(S));

// A thread's states are loaded and unpacked as a Slice (one 16-byte load) and stored as one 16-byte word: nvcc
// splits a uint4 store through a bf16 pointer into 4-byte stores.
__device__ __forceinline__ void store_states(float* p, const float (&v)[4]) {
    msv_store16(p, make_float4(v[0], v[1], v[2], v[3]));
}
__device__ __forceinline__ void store_states(bf16* p, const float (&v)[8]) { store8(p, v); }

// One channel of a vector-path thread, shared by both kernels: h = exp(dt A) h + dt x B for the thread's V states
// (raw), stored to the slot; y = C.h over the channel's group of threads, + D x, * silu(z), written by the group's
// first thread. a_at(q) gives the q-th float4 of the thread's A slice where the kernel keeps it. Every thread
// reaches the shuffles.
template <typename T, typename S, bool kHasZ, bool kSoftplus, int V, typename AAt>
__device__ __forceinline__ void update_channel(const msv_state_update_params& p, int b, int d, bool act, int g,
                                               int group, int64_t slot_base, const Slice<S, V>& raw, float dt,
                                               float bias, float x, float zv, float Dd, const Slice<T, V>& Bs,
                                               const Slice<T, V>& Cs, AAt a_at) {
    float y = 0.0f;
    if (act) {
        float v = dt + bias;
        if (kSoftplus) v = softplus(v);
        const float dtx = v * x;
        const float vl = v * kLog2e;  // exp(v A) = 2^(v log2(e) A)
        float h[V];
#pragma unroll
        for (int q = 0; q < V / 4; ++q) {
            const float4 av = a_at(q);
            const float A[4] = {av.x, av.y, av.z, av.w};
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                const int k = 4 * q + j;
                h[k] = msv_exp2(vl * A[j]) * raw.get(k) + dtx * Bs.get(k);
                y += Cs.get(k) * h[k];  // the fp32 h, before rounding to the pool's type (as the reference)
            }
        }
        store_states(static_cast<S*>(p.state) + slot_base + static_cast<int>(d) * p.dstate, h);
    }
    for (int off = group >> 1; off > 0; off >>= 1) y += __shfl_xor_sync(MSV_GROUP_MASK, y, off, MSV_GROUP);
    if (act && g == 0) {
        if (p.D) y += Dd * x;
        if (kHasZ) y *= silu(zv);
        static_cast<T*>(p.out)[b * static_cast<int>(p.out_batch_stride) + d] = from_float<T>(y);
    }
}

// kLg: the group's log as a constant, kLg16 for dstate 16 (every released checkpoint), else -1 and the launch's
// lg_arg. As a constant the shuffles unroll and the slice and channel offsets fold: 24 of the bf16-state kernel's 256
// instructions and 32 of the fp32-state shared-memory kernel's 376 (sm_90 machine code).
template <typename S> constexpr int kLg16 = kStates<S> == 8 ? 1 : 2;  // log2(16 / kStates)

template <typename T, typename S, bool kHasZ, bool kSoftplus, bool kBcVec, int kLg>
__global__ void __launch_bounds__(kThreads, MSV_SSU_MIN_BLOCKS) state_update_vec_kernel(const msv_state_update_params p, int lg_arg) {
    constexpr int V = kStates<S>;
    const int lg = kLg >= 0 ? kLg : lg_arg;
    // Offsets in 32 bits (vector_group checked that every row offset and the slot stride fit): an address is one
    // wide multiply-add where 64-bit strides take four or five instructions (0.5-1% at 64-256 rows on the H200).
    const int b = blockIdx.y;
    const int N = p.dstate;
    const int group = 1 << lg;
    const int g = threadIdx.x & (group - 1);  // kThreads is a multiple of group: the same slice for every u
    const int n0 = g * V;
    const int64_t slot_base = static_cast<int64_t>(p.slot_idx[b]) * static_cast<int>(p.state_slot_stride) + n0;
    const int stride = kThreads >> lg;  // channels between a thread's consecutive u
    const int dbase = blockIdx.x * kUnroll * stride + static_cast<int>(threadIdx.x >> lg);

    // Launched with programmatic dependent launch (the model's decode step), this kernel may start while the
    // kernel before it (dt_proj, which writes delta) finishes: everything else it reads was written before that
    // kernel waited (the slot's state by this kernel a step ago; x, z, B, C by earlier kernels), so it is loaded
    // first and only delta after the wait. Without the attribute the wait returns at once.
    Slice<S, V> raw[kUnroll];
    float dt[kUnroll], x[kUnroll], zv[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
        const int d = dbase + u * stride;
        const bool act = d < p.dim;
        if (act) raw[u].template load<true>(static_cast<const S*>(p.state) + slot_base + static_cast<int>(d) * N);
        x[u] = act ? load(static_cast<const T*>(p.x), b * static_cast<int>(p.x_batch_stride) + d) : 0.0f;
        zv[u] = (kHasZ && act) ? load(static_cast<const T*>(p.z), b * static_cast<int>(p.z_batch_stride) + d) : 0.0f;
    }
    Slice<T, V> Bs, Cs;
    Bs.template load<kBcVec>(static_cast<const T*>(p.B) + b * static_cast<int>(p.B_batch_stride) + n0);
    Cs.template load<kBcVec>(static_cast<const T*>(p.C) + b * static_cast<int>(p.C_batch_stride) + n0);
    // dt_bias and D before the wait too: loaded where they were used, dt_bias came after delta and D after the
    // shuffles (sm_90 machine code), round trips after the wait. (A stays where it is used: at the kernel's
    // 32-register cap ptxas issues its second half after the softplus wherever the source loads it.)
    float bias[kUnroll], Dd[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
        const int d = dbase + u * stride;
        bias[u] = d < p.dim && p.dt_bias ? p.dt_bias[d] : 0.0f;
        Dd[u] = d < p.dim && p.D ? p.D[d] : 0.0f;
    }
    msv_pdl_wait();
    msv_pdl_launch_dependents();
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
        const int d = dbase + u * stride;
        dt[u] = d < p.dim ? load(static_cast<const T*>(p.delta), b * static_cast<int>(p.delta_batch_stride) + d) : 0.0f;
    }

#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
        const int d = dbase + u * stride;
        const float4* a4 = reinterpret_cast<const float4*>(p.A + static_cast<int>(d) * N + n0);
        update_channel<T, S, kHasZ, kSoftplus, V>(p, b, d, d < p.dim, g, group, slot_base, raw[u], dt[u], bias[u], x[u],
                                                  zv[u], Dd[u], Bs, Cs, [&](int q) { return a4[q]; });
    }
}

// The vector path with each thread's states copied into shared memory (msv_copy16_async) rather than loaded into
// registers: kU channels a thread (kThreads >> lg apart, as kUnroll above), their states and A slices all in flight
// before the first is used, so an SM keeps kU times the bytes in flight of the register kernel, whose 32-register
// cap holds it to one 16-byte state load a thread. Same arithmetic per channel in the same order: the same bits.
// Chosen at launch (async_channels below).
template <typename S> constexpr int kAVecs = kStates<S> / 4;  // float4s of A a thread's states use
template <int kU> constexpr int kAsyncMinBlocks = kU == 2 ? 6 : 4;  // 40 and 64 registers

// msv_copy_wait<pending>() for a count known only once the caller's loop is unrolled (pending <= kMax).
template <int kMax> __device__ __forceinline__ void copy_wait_pending(int pending) {
    if constexpr (kMax > 0)
        if (pending < kMax) return copy_wait_pending<kMax - 1>(pending);
    msv_copy_wait<kMax>();
}

template <typename T, typename S, bool kHasZ, bool kSoftplus, bool kBcVec, int kU, int kLg>
__global__ void __launch_bounds__(kThreads, kAsyncMinBlocks<kU>) state_update_async_kernel(const msv_state_update_params p,
                                                                                              int lg_arg) {
    constexpr int V = kStates<S>;
    const int lg = kLg >= 0 ? kLg : lg_arg;
    __shared__ float4 st_s[kU][kThreads];
    __shared__ float4 a_s[kU][kAVecs<S>][kThreads];
    const int b = blockIdx.y;
    const int N = p.dstate;
    const int group = 1 << lg;
    const int g = threadIdx.x & (group - 1);
    const int n0 = g * V;
    const int64_t slot_base = static_cast<int64_t>(p.slot_idx[b]) * static_cast<int>(p.state_slot_stride) + n0;
    const int stride = kThreads >> lg;
    const int dbase = blockIdx.x * kU * stride + static_cast<int>(threadIdx.x >> lg);
    const int t = threadIdx.x;
    // One copy group per channel, in the order they are used: the state (written by this kernel a step ago) and A
    // (a weight) may be read before the PDL wait.
#pragma unroll
    for (int u = 0; u < kU; ++u) {
        const int d = dbase + u * stride;
        if (d < p.dim) {
            msv_copy16_async(&st_s[u][t], static_cast<const S*>(p.state) + slot_base + static_cast<int>(d) * N);
#pragma unroll
            for (int q = 0; q < kAVecs<S>; ++q) msv_copy16_async(&a_s[u][q][t], p.A + static_cast<int>(d) * N + n0 + 4 * q);
        }
        msv_copy_commit();
    }
    float x[kU], zv[kU], bias[kU], Dd[kU], dt[kU];
#pragma unroll
    for (int u = 0; u < kU; ++u) {
        const int d = dbase + u * stride;
        const bool act = d < p.dim;
        x[u] = act ? load(static_cast<const T*>(p.x), b * static_cast<int>(p.x_batch_stride) + d) : 0.0f;
        zv[u] = (kHasZ && act) ? load(static_cast<const T*>(p.z), b * static_cast<int>(p.z_batch_stride) + d) : 0.0f;
        bias[u] = act && p.dt_bias ? p.dt_bias[d] : 0.0f;
        Dd[u] = act && p.D ? p.D[d] : 0.0f;
    }
    Slice<T, V> Bs, Cs;
    Bs.template load<kBcVec>(static_cast<const T*>(p.B) + b * static_cast<int>(p.B_batch_stride) + n0);
    Cs.template load<kBcVec>(static_cast<const T*>(p.C) + b * static_cast<int>(p.C_batch_stride) + n0);
    msv_pdl_wait();
    msv_pdl_launch_dependents();
#pragma unroll
    for (int u = 0; u < kU; ++u) {
        const int d = dbase + u * stride;
        dt[u] = d < p.dim ? load(static_cast<const T*>(p.delta), b * static_cast<int>(p.delta_batch_stride) + d) : 0.0f;
    }

#pragma unroll
    for (int u = 0; u < kU; ++u) {
        const int d = dbase + u * stride;
        const bool act = d < p.dim;
        // Copy groups complete in order: once at most kU - 1 - u are in flight, channel u's have landed.
        copy_wait_pending<kU - 1>(kU - 1 - u);
        Slice<S, V> raw;
        if (act) raw.set(st_s[u][t]);
        update_channel<T, S, kHasZ, kSoftplus, V>(p, b, d, act, g, group, slot_base, raw, dt[u], bias[u], x[u], zv[u],
                                                  Dd[u], Bs, Cs, [&](int q) { return a_s[u][q][t]; });
    }
}

// Channels a thread of the shared-memory kernel above, or 0 for the register kernel. H200, decode steps of the
// mamba-2.8b shape, greedy, ms (docs/gpu-model.md, "Session 2026-12-04, eighth"), register / shared-memory kernel
// with 2 channels: fp32 state at 256 rows 7.65-7.75 / 7.47-7.55, 64 rows 3.96-4.01 / 3.95-3.99, 32 rows 3.15-3.20 /
// 3.13-3.17, but 2 rows 2.11-2.13 / 2.24-2.25 (half the blocks of a grid that does not fill the GPU). So the
// shared-memory kernel from async_min_rows() rows up, with an fp32 state only: a bf16 state's kernel ran 4-27% slower
// with A copied too and tied with A loaded where used; one channel a thread gained nothing at 8-32 rows.
// MSV_SSU_ASYNC=0 / 2 / 4 (channels, both states) and MSV_SSU_ASYNC_MIN_ROWS override them for A/B runs.
template <typename S> int async_channels() {
    static const int env = [] {
        const char* f = std::getenv("MSV_SSU_ASYNC");
        if (!f) return -1;
        const int v = std::atoi(f);
        return v == 2 || v == 4 ? v : 0;
    }();
    return env >= 0 ? env : sizeof(S) == 4 ? 2 : 0;
}
inline int async_min_rows() {
    static const int v = [] {
        const char* f = std::getenv("MSV_SSU_ASYNC_MIN_ROWS");
        return f ? std::atoi(f) : 32;
    }();
    return v;
}

__device__ __forceinline__ float state_load(const float* s, int64_t i) { return s[i]; }
__device__ __forceinline__ float state_load(const bf16* s, int64_t i) { return to_float(s[i]); }

template <typename T, typename S, bool kHasZ, bool kSoftplus>
__global__ void __launch_bounds__(kThreads) state_update_scalar_kernel(const msv_state_update_params p) {
    msv_pdl_wait();  // as the vector kernel, without loading ahead (the path of unaligned views)
    msv_pdl_launch_dependents();
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
    constexpr int V = kStates<S>;
    if (p.dstate % V != 0) return 0;
    const int group = p.dstate / V;
    if (group > MSV_GROUP || (group & (group - 1)) != 0) return 0;
    if (reinterpret_cast<uintptr_t>(p.state) % 16 != 0) return 0;
    if ((p.state_slot_stride * static_cast<int64_t>(sizeof(S))) % 16 != 0) return 0;
    if (reinterpret_cast<uintptr_t>(p.A) % 16 != 0) return 0;
    // The vector kernel's 32-bit offsets: every row's last element (of x, z, delta and out: dim; of B and C:
    // dstate), the slot stride and A's size.
    constexpr int64_t kMax = INT32_MAX;
    const int64_t rows = p.batch > 0 ? p.batch - 1 : 0, row_len = p.dim > p.dstate ? p.dim : p.dstate;
    for (const int64_t stride : {p.x_batch_stride, p.z_batch_stride, p.B_batch_stride, p.C_batch_stride,
                                 p.delta_batch_stride, p.out_batch_stride})
        if (stride < 0 || rows * stride + row_len > kMax) return 0;
    if (p.state_slot_stride > kMax || static_cast<int64_t>(p.dim) * p.dstate > kMax) return 0;
    return group;
}

// B and C slices of kStates elements start on such a boundary of every row (the vector loads need it).
template <typename T, typename S>
bool vector_bc(const msv_state_update_params& p) {
    const int64_t bytes = kStates<S> * static_cast<int64_t>(sizeof(T));
    const int64_t align = bytes < 16 ? bytes : 16;
    const auto aligned = [&](const void* base, int64_t stride) {
        return reinterpret_cast<uintptr_t>(base) % align == 0 && (stride * static_cast<int64_t>(sizeof(T))) % align == 0;
    };
    return aligned(p.B, p.batch > 1 ? p.B_batch_stride : 0) && aligned(p.C, p.batch > 1 ? p.C_batch_stride : 0);
}

template <typename T, typename S, bool kHasZ, bool kSoftplus, int kLg>
cudaError_t launch_vec_lg(const msv_state_update_params& p, int group, int lg, cudaStream_t stream, bool pdl) {
    if (const int ku = async_channels<S>(); ku > 0 && p.batch >= async_min_rows()) {
        const dim3 grid((p.dim * group + kThreads * ku - 1) / (kThreads * ku), p.batch);
        const bool bc = vector_bc<T, S>(p);
        auto* kernel = ku == 2 ? (bc ? state_update_async_kernel<T, S, kHasZ, kSoftplus, true, 2, kLg>
                                     : state_update_async_kernel<T, S, kHasZ, kSoftplus, false, 2, kLg>)
                               : (bc ? state_update_async_kernel<T, S, kHasZ, kSoftplus, true, 4, kLg>
                                     : state_update_async_kernel<T, S, kHasZ, kSoftplus, false, 4, kLg>);
        // No carveout hint (msv_prefer_shared_memory): with it a step of 8 rows ran 2.55 ms against 2.35 (H200; an SM
        // whose shared-memory split changes between kernels cannot overlap them under PDL).
        return launch_kernel(kernel, grid, dim3(kThreads), 0, stream, pdl, p, lg);
    }
    const int per_block = kThreads * kUnroll;
    const dim3 grid((p.dim * group + per_block - 1) / per_block, p.batch);
    const auto kernel = vector_bc<T, S>(p) ? state_update_vec_kernel<T, S, kHasZ, kSoftplus, true, kLg>
                                            : state_update_vec_kernel<T, S, kHasZ, kSoftplus, false, kLg>;
    return launch_kernel(kernel, grid, dim3(kThreads), 0, stream, pdl, p, lg);
}

template <typename T, typename S, bool kHasZ, bool kSoftplus>
cudaError_t launch_vec(const msv_state_update_params& p, int group, cudaStream_t stream, bool pdl) {
    int lg = 0;
    while ((1 << lg) < group) ++lg;
    return lg == kLg16<S> ? launch_vec_lg<T, S, kHasZ, kSoftplus, kLg16<S>>(p, group, lg, stream, pdl)
                          : launch_vec_lg<T, S, kHasZ, kSoftplus, -1>(p, group, lg, stream, pdl);
}

template <typename T, typename S, bool kHasZ, bool kSoftplus>
cudaError_t launch(const msv_state_update_params& p, cudaStream_t stream, bool pdl) {
    if (const int group = vector_group<S>(p); group > 0)
        return launch_vec<T, S, kHasZ, kSoftplus>(p, group, stream, pdl);
    const dim3 grid((p.dim + kThreads - 1) / kThreads, p.batch);
    return launch_kernel(state_update_scalar_kernel<T, S, kHasZ, kSoftplus>, grid, dim3(kThreads), 0, stream, pdl, p);
}

template <typename T, typename S>
cudaError_t launch_flags(const msv_state_update_params& p, cudaStream_t stream, bool pdl) {
    if (p.z)
        return p.delta_softplus ? launch<T, S, true, true>(p, stream, pdl) : launch<T, S, true, false>(p, stream, pdl);
    return p.delta_softplus ? launch<T, S, false, true>(p, stream, pdl) : launch<T, S, false, false>(p, stream, pdl);
}

}  // namespace ssu

template <msv_dtype DT>
msv_status launch_selective_state_update(const msv_state_update_params& p, void* stream, bool pdl) {
    using T = typename storage<DT>::type;
    const auto s = static_cast<cudaStream_t>(stream);
    const cudaError_t err = p.state_dtype == MSV_BF16 ? ssu::launch_flags<T, bf16>(p, s, pdl)
                                                      : ssu::launch_flags<T, float>(p, s, pdl);
    return launch_status(err, "msv_selective_state_update");
}

}  // namespace msv::gpu
