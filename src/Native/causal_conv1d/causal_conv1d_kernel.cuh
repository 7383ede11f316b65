// GPU causal depthwise conv1d with conv state (msv_conv1d_params): a chunk (fwd) and one token (update).
//
// The input of channel d is the sequence seq = [conv_state[d, 0..W-2], x[0..L-1, d]] (W = width); token t's
// output is bias + sum_k weight[d, k] * seq[t + k], and the new state is seq[L .. L+W-2]. The state is read and
// written in place, so every thread that reads a channel's state and the one that writes it are in one block:
// all reads happen before a __syncthreads, the write after it.
//
// The state is stored in the activation type T: it holds past inputs x, which are already of that type, so a bf16
// state loses nothing and moves half the bytes of an fp32 one (the decode update at 256 rows is mostly state
// traffic).
//
// fwd: a block is 32 channels (lane = channel, so each token row is one coalesced segment) x kWarps slices of
// kSlice tokens; a thread walks its slice with the last W inputs in registers, so the sequence dimension is
// parallel too and no input is loaded more than W times. Chunks longer than kWarps * kSlice tokens take more
// blocks along grid.z. Only the first of those (z = 0) touches the state: it alone reads the old state (token
// t < W-1 needs it) and it writes the new one after its __syncthreads (from x when L >= W-1, which any block
// may read; from the old state only when L < W-1, and then there is one block). The earlier version gave each
// channel group one block of 8 slices whatever L: 160 blocks for a 1024-token prefill of mamba-2.8b, 57 us per
// layer where the bytes take ~5.
#pragma once

#include "gpu/check.h"
#include "gpu/dtype.cuh"
#include "gpu/launch.h"

#include <cstdint>
#include <cstdlib>

namespace msv::gpu {
namespace conv {

constexpr int kWarps = 8;
constexpr int kThreads = kWarps * MSV_GROUP;
constexpr int kSlice = 16;  // tokens per warp
constexpr int kUpdateThreads = 256;
constexpr int kVecThreads = 128;  // conv_update_vec_kernel: threads and rows of a block
constexpr int kVecRows = 4;

// seq[j] for j < W-1 lives in the register array `init`: pick it with compile-time indices only (a run-time index
// would move the array to local memory).
template <int S>
__device__ __forceinline__ float pick(const float (&init)[S], int j) {
    float v = 0.0f;
#pragma unroll
    for (int q = 0; q < S; ++q)
        if (q == j) v = init[q];
    return v;
}

template <typename T, int W, bool kSilu>
__global__ void __launch_bounds__(kThreads) conv_fwd_kernel(const msv_conv1d_params p) {
    constexpr int S = W - 1;
    const int lane = threadIdx.x % MSV_GROUP;
    const int warp = threadIdx.x / MSV_GROUP;
    const int d = blockIdx.x * MSV_GROUP + lane;
    const int64_t b = blockIdx.y;
    const bool active = d < p.dim;
    const bool first = blockIdx.z == 0;  // the block that reads and writes the state
    const int L = p.seqlen;

    T* st = static_cast<T*>(p.conv_state) + static_cast<int64_t>(p.slot_idx[b]) * p.state_slot_stride +
            static_cast<int64_t>(d) * S;
    const T* x = static_cast<const T*>(p.x) + b * p.x_batch_stride + d;
    T* out = static_cast<T*>(p.out) + b * p.out_batch_stride + d;

    float init[S], w[W];
#pragma unroll
    for (int k = 0; k < S; ++k) init[k] = active && first ? to_float(st[k]) : 0.0f;
#pragma unroll
    for (int k = 0; k < W; ++k) w[k] = active ? p.weight[static_cast<int64_t>(d) * W + k] : 0.0f;
    const float bias = (active && p.bias) ? p.bias[d] : 0.0f;
    __syncthreads();  // every read of the old state is done before the new one is written below

    const auto seq = [&](int j) {
        return j < S ? pick(init, j) : load(x, static_cast<int64_t>(j - S) * p.x_row_stride);
    };

    const int t_begin = (static_cast<int>(blockIdx.z) * kWarps + warp) * kSlice;
    const int t_end = min(L, t_begin + kSlice);
    if (active && t_begin < t_end) {
        float win[W];
#pragma unroll
        for (int k = 0; k < S; ++k) win[k] = seq(t_begin + k);
#pragma unroll 4
        for (int t = t_begin; t < t_end; ++t) {
            win[S] = load(x, static_cast<int64_t>(t) * p.x_row_stride);
            float acc = bias;
#pragma unroll
            for (int k = 0; k < W; ++k) acc += w[k] * win[k];
            if (kSilu) acc = silu(acc);
            out[static_cast<int64_t>(t) * p.out_row_stride] = from_float<T>(acc);
#pragma unroll
            for (int k = 0; k < S; ++k) win[k] = win[k + 1];
        }
    }
    if (active && first && warp == 0) {
#pragma unroll
        for (int i = 0; i < S; ++i) st[i] = from_float<T>(seq(L + i));
    }
}

// One token: one thread per (entry, channel) reads the W-1 state values and x, writes out and the shifted state.
template <typename T, int W, bool kSilu>
__global__ void __launch_bounds__(kUpdateThreads) conv_update_kernel(const msv_conv1d_params p) {
    constexpr int S = W - 1;
    const int d = blockIdx.x * kUpdateThreads + threadIdx.x;
    const int64_t b = blockIdx.y;
    if (d >= p.dim) return;
    T* st = static_cast<T*>(p.conv_state) + static_cast<int64_t>(p.slot_idx[b]) * p.state_slot_stride +
            static_cast<int64_t>(d) * S;
    float win[W];
#pragma unroll
    for (int k = 0; k < S; ++k) win[k] = to_float(st[k]);
    win[S] = load(static_cast<const T*>(p.x), b * p.x_batch_stride + d);
    const float* w = p.weight + static_cast<int64_t>(d) * W;
    float acc = p.bias ? p.bias[d] : 0.0f;
#pragma unroll
    for (int k = 0; k < W; ++k) acc += w[k] * win[k];
    if (kSilu) acc = silu(acc);
    static_cast<T*>(p.out)[b * p.out_batch_stride + d] = from_float<T>(acc);
#pragma unroll
    for (int k = 0; k < S; ++k) st[k] = from_float<T>(win[k + 1]);
}

// One token, V = 16 / sizeof(T) adjacent channels per thread and kVecRows rows per block: a thread's W-1 state
// values per channel are W-1 16-byte words, x and the output one word each, and its V x W weights are loaded once
// (16 bytes at a time) for all its rows; every row's loads are issued before any of them is used. The same
// arithmetic per channel as conv_update_kernel, so the same bits. The scalar kernel moves the state 2 bytes at a
// time (9.7 us a layer at 256 rows of mamba-2.8b, where the bytes take ~6); a first vector version with one row a
// block read its weights with one 4-byte load per value, 32 cache lines per warp instruction, and was 2.7x slower.
template <typename T, int W, bool kSilu>
__global__ void __launch_bounds__(kVecThreads) conv_update_vec_kernel(const msv_conv1d_params p) {
    constexpr int S = W - 1;
    constexpr int V = 16 / sizeof(T);
    constexpr int SW = S > 0 ? S : 1;
    const int d0 = (blockIdx.x * kVecThreads + threadIdx.x) * V;
    const int b0 = blockIdx.y * kVecRows;
    if (d0 >= p.dim) return;
    const int rows = min(kVecRows, p.batch - b0);
    float w[V * W];
#pragma unroll
    for (int i = 0; i < V * W / 4; ++i) {
        const float4 q = reinterpret_cast<const float4*>(p.weight + static_cast<int64_t>(d0) * W)[i];
        w[4 * i] = q.x, w[4 * i + 1] = q.y, w[4 * i + 2] = q.z, w[4 * i + 3] = q.w;
    }
    uint4 state[kVecRows][SW], x[kVecRows];
    uint4* st[kVecRows];
#pragma unroll
    for (int r = 0; r < kVecRows; ++r) {
        if (r >= rows) break;
        const int64_t b = b0 + r;
        st[r] = reinterpret_cast<uint4*>(static_cast<T*>(p.conv_state) +
                                         static_cast<int64_t>(p.slot_idx[b]) * p.state_slot_stride +
                                         static_cast<int64_t>(d0) * S);
#pragma unroll
        for (int i = 0; i < S; ++i) state[r][i] = st[r][i];
        x[r] = *reinterpret_cast<const uint4*>(static_cast<const T*>(p.x) + b * p.x_batch_stride + d0);
    }
#pragma unroll
    for (int r = 0; r < kVecRows; ++r) {
        if (r >= rows) break;
        const T* sv = reinterpret_cast<const T*>(state[r]);
        const T* xv = reinterpret_cast<const T*>(&x[r]);
        uint4 out, next[SW];
        T* ov = reinterpret_cast<T*>(&out);
        T* nv = reinterpret_cast<T*>(next);
#pragma unroll
        for (int c = 0; c < V; ++c) {
            float win[W];
#pragma unroll
            for (int k = 0; k < S; ++k) win[k] = to_float(sv[c * S + k]);
            win[S] = to_float(xv[c]);
            float acc = p.bias ? p.bias[d0 + c] : 0.0f;
#pragma unroll
            for (int k = 0; k < W; ++k) acc += w[c * W + k] * win[k];
            if (kSilu) acc = silu(acc);
            ov[c] = from_float<T>(acc);
#pragma unroll
            for (int k = 0; k < S; ++k) nv[c * S + k] = from_float<T>(win[k + 1]);
        }
        *reinterpret_cast<uint4*>(static_cast<T*>(p.out) + (b0 + r) * p.out_batch_stride + d0) = out;
#pragma unroll
        for (int i = 0; i < S; ++i) st[r][i] = next[i];
    }
}

// Whether conv_update_vec_kernel can take p: whole 16-byte words of channels at every row and slot.
template <typename T>
bool update_vec_ok(const msv_conv1d_params& p) {
    constexpr int V = 16 / sizeof(T);
    auto aligned = [](const void* ptr) { return reinterpret_cast<uintptr_t>(ptr) % 16 == 0; };
    // Opt-in (MSV_CONV_VEC=1): measured no faster than the scalar kernel (docs/gpu-model.md, "eighth").
    static const bool on = [] {
        const char* e = std::getenv("MSV_CONV_VEC");
        return e && e[0] == '1';
    }();
    return on && p.dim % V == 0 && aligned(p.conv_state) && aligned(p.x) && aligned(p.out) &&
           p.state_slot_stride % V == 0 && p.x_batch_stride % V == 0 && p.out_batch_stride % V == 0;
}

template <typename T, int W>
void launch_fwd(const msv_conv1d_params& p, cudaStream_t stream) {
    const int per_block = kWarps * kSlice;
    const dim3 grid((p.dim + MSV_GROUP - 1) / MSV_GROUP, p.batch, (p.seqlen + per_block - 1) / per_block);
    if (p.silu)
        conv_fwd_kernel<T, W, true><<<grid, kThreads, 0, stream>>>(p);
    else
        conv_fwd_kernel<T, W, false><<<grid, kThreads, 0, stream>>>(p);
}

template <typename T, int W>
void launch_update(const msv_conv1d_params& p, cudaStream_t stream) {
    if (update_vec_ok<T>(p)) {
        constexpr int V = 16 / sizeof(T);
        const dim3 grid((p.dim / V + kVecThreads - 1) / kVecThreads, (p.batch + kVecRows - 1) / kVecRows);
        if (p.silu)
            conv_update_vec_kernel<T, W, true><<<grid, kVecThreads, 0, stream>>>(p);
        else
            conv_update_vec_kernel<T, W, false><<<grid, kVecThreads, 0, stream>>>(p);
        return;
    }
    const dim3 grid((p.dim + kUpdateThreads - 1) / kUpdateThreads, p.batch);
    if (p.silu)
        conv_update_kernel<T, W, true><<<grid, kUpdateThreads, 0, stream>>>(p);
    else
        conv_update_kernel<T, W, false><<<grid, kUpdateThreads, 0, stream>>>(p);
}

}  // namespace conv

// Width is checked to be 2..4 by gpu_backend.cpp.
template <msv_dtype DT>
msv_status launch_causal_conv1d_fwd(const msv_conv1d_params& p, void* stream) {
    using T = typename storage<DT>::type;
    const auto s = static_cast<cudaStream_t>(stream);
    switch (p.width) {
        case 2: conv::launch_fwd<T, 2>(p, s); break;
        case 3: conv::launch_fwd<T, 3>(p, s); break;
        default: conv::launch_fwd<T, 4>(p, s); break;
    }
    return check_launch("msv_causal_conv1d_fwd");
}

template <msv_dtype DT>
msv_status launch_causal_conv1d_update(const msv_conv1d_params& p, void* stream) {
    using T = typename storage<DT>::type;
    const auto s = static_cast<cudaStream_t>(stream);
    switch (p.width) {
        case 2: conv::launch_update<T, 2>(p, s); break;
        case 3: conv::launch_update<T, 3>(p, s); break;
        default: conv::launch_update<T, 4>(p, s); break;
    }
    return check_launch("msv_causal_conv1d_update");
}

}  // namespace msv::gpu
