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
#include "gpu/launch_kernel.cuh"

namespace msv::gpu {
namespace conv {

constexpr int kWarps = 8;
constexpr int kThreads = kWarps * MSV_GROUP;
constexpr int kSlice = 16;  // tokens per warp
constexpr int kUpdateThreads = 256;

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
        // The slice's inputs first, every load issued before any is used (from a clamped address past the chunk):
        // loaded token by token between the stores of out, which the compiler cannot order before them (out and x
        // are distinct arrays, but it cannot know), each load waited for the one before.
        T xs[kSlice];
#pragma unroll
        for (int j = 0; j < kSlice; ++j) xs[j] = x[static_cast<int64_t>(min(t_begin + j, L - 1)) * p.x_row_stride];
        float win[W];
#pragma unroll
        for (int k = 0; k < S; ++k) win[k] = seq(t_begin + k);
#pragma unroll
        for (int j = 0; j < kSlice; ++j) {
            win[S] = to_float(xs[j]);
            float acc = bias;
#pragma unroll
            for (int k = 0; k < W; ++k) acc += w[k] * win[k];
            if (kSilu) acc = silu(acc);
            if (t_begin + j < t_end) out[static_cast<int64_t>(t_begin + j) * p.out_row_stride] = from_float<T>(acc);
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
    // With programmatic dependent launch (the model's decode step past the fused rows) the state and the weights
    // are loaded before the wait, x (the kernel before's output) after it; the next kernel may then start and
    // fetch its weights. Without the attribute the wait returns at once.
    float win[W];
#pragma unroll
    for (int k = 0; k < S; ++k) win[k] = to_float(st[k]);
    // Width 4: the channel's weights as one 16-byte load (rows of 4 floats, when the tensor is 16-byte aligned, as
    // the model's are). Four scalar loads 16 bytes apart made each warp touch 16 sectors four times, and L1 was the
    // kernel's busiest unit at 256 entries (72% of its throughput, ncu; docs/gpu-model.md, "Session 2026-12-03,
    // fifth").
    float w[W];
    bool vector_weights = false;
    if constexpr (W == 4) {
        vector_weights = (reinterpret_cast<uintptr_t>(p.weight) & 15) == 0;
        if (vector_weights) {
            const float4 q = reinterpret_cast<const float4*>(p.weight)[d];
            w[0] = q.x, w[1] = q.y, w[2] = q.z, w[3] = q.w;
        }
    }
    if (!vector_weights) {
#pragma unroll
        for (int k = 0; k < W; ++k) w[k] = p.weight[static_cast<int64_t>(d) * W + k];
    }
    msv_pdl_wait();
    msv_pdl_launch_dependents();
    win[S] = load(static_cast<const T*>(p.x), b * p.x_batch_stride + d);
    float acc = p.bias ? p.bias[d] : 0.0f;
#pragma unroll
    for (int k = 0; k < W; ++k) acc += w[k] * win[k];
    if (kSilu) acc = silu(acc);
    static_cast<T*>(p.out)[b * p.out_batch_stride + d] = from_float<T>(acc);
#pragma unroll
    for (int k = 0; k < S; ++k) st[k] = from_float<T>(win[k + 1]);
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
cudaError_t launch_update(const msv_conv1d_params& p, cudaStream_t stream, bool pdl) {
    const dim3 grid((p.dim + kUpdateThreads - 1) / kUpdateThreads, p.batch);
    return launch_kernel(p.silu ? conv_update_kernel<T, W, true> : conv_update_kernel<T, W, false>, grid,
                         dim3(kUpdateThreads), 0, stream, pdl, p);
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
msv_status launch_causal_conv1d_update(const msv_conv1d_params& p, void* stream, bool pdl) {
    using T = typename storage<DT>::type;
    const auto s = static_cast<cudaStream_t>(stream);
    const cudaError_t err = p.width == 2   ? conv::launch_update<T, 2>(p, s, pdl)
                            : p.width == 3 ? conv::launch_update<T, 3>(p, s, pdl)
                                           : conv::launch_update<T, 4>(p, s, pdl);
    return launch_status(err, "msv_causal_conv1d_update");
}

}  // namespace msv::gpu
