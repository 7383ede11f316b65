// The selective scan with each channel's recurrence walked token by token by one thread, for chunks with many
// (batch entry, channel) pairs: prefill groups of several sequences. The tiled kernel (selective_scan_kernel.cuh)
// spreads a channel's tokens over 8 lanes and composes them with a shuffle scan, which a one-sequence prefill needs
// (5,120 channels are too few threads to walk 1,024 tokens one at a time: 0.31 against 0.11 ms) but which costs
// ~1.5 exp2 per (token, state) and a chain of dependent shuffles. Here each (token, state) costs one exp2, a
// multiply and two FMAs, and a thread's 16 states are 16 independent chains: 0.704 against 0.869 ms at 16
// sequences of 1,024 tokens (bf16, H200, one call; docs/gpu-model.md "Session 2026-12-03, ninth").
//
// A block is one batch entry and kSeqThreads adjacent channels. B and C of kSeqTile tokens are staged in shared
// memory (the block's channels share them), the next tile's loads issued before the current tile is walked; u,
// delta and z of the thread's channel are loaded kSeqAhead tokens ahead of their use. Any strides, dtype, dim and
// dstate <= kScanMaxState (states past dstate have A = B = C = 0 and stay 0).
#pragma once

#include "gpu/dtype.cuh"
#include "gpu/launch.h"

namespace msv::gpu::scan_seq {

constexpr int kSeqThreads = 128;
// Blocks an SM the registers must allow: more resident warps hide the walk's latency better than registers avoid
// spills (5 blocks: 96 registers and up to ~100 bytes spilled, 0.755 ms at batch 16, against 0.789 with 4 blocks
// and no spill, one call, before the kernel took its final form). Splitting a channel's states over 2 or 4 lanes
// (each lane the softplus and gate of every 2nd / 4th token) lost: 0.97 / 1.53 ms.
#ifndef MSV_SCAN_SEQ_MIN_BLOCKS
#define MSV_SCAN_SEQ_MIN_BLOCKS 5
#endif
constexpr int kSeqTile = 32;   // tokens of B and C staged at a time
constexpr int kSeqAhead = 4;   // tokens of u, delta and z in flight ahead of the one being walked
constexpr int kBC = 2 * kScanMaxState;  // B then C of one token in shared memory
constexpr int kBCPerThread = kSeqTile * kBC / kSeqThreads;
static_assert(kSeqTile % kSeqAhead == 0 && kBCPerThread * kSeqThreads == kSeqTile * kBC, "tile shapes");
static_assert(kSeqThreads % kBC == 0, "a thread's B/C column is the same in every tile");

// A thread's u, delta and z of kSeqAhead tokens, as loaded (converted when used, so that the loads are not waited
// for where they are issued).
template <typename T> struct TokenInputs {
    T u[kSeqAhead], d[kSeqAhead], z[kSeqAhead];
};

template <typename T, bool kHasZ, bool kSoftplus>
__global__ void __launch_bounds__(kSeqThreads, MSV_SCAN_SEQ_MIN_BLOCKS) selective_scan_seq_kernel(const msv_scan_params p) {
    __shared__ __align__(16) float sBC[2][kSeqTile][kBC];

    const int tid = static_cast<int>(threadIdx.x);  // an int: HIP's min() has no (int, unsigned) overload
    const int ch = static_cast<int>(blockIdx.x) * kSeqThreads + tid;
    const bool active = ch < p.dim;
    const int64_t b = blockIdx.y;
    const int N = p.dstate, L = p.seqlen;
    float* state = p.state + static_cast<int64_t>(p.slot_idx[b]) * p.state_slot_stride + static_cast<int64_t>(ch) * N;

    float A2[kScanMaxState], h[kScanMaxState];
#pragma unroll
    for (int n = 0; n < kScanMaxState; ++n) {
        const bool in = active && n < N;
        A2[n] = in ? p.A[static_cast<int64_t>(ch) * N + n] * kLog2e : 0.0f;
        h[n] = in ? state[n] : 0.0f;
    }
    const float bias = (active && p.dt_bias) ? p.dt_bias[ch] : 0.0f;
    const float Dd = (active && p.D) ? p.D[ch] : 0.0f;
    const int cc = active ? ch : 0;  // inactive threads read channel 0 (in bounds) and store nothing
    const T* u = static_cast<const T*>(p.u) + b * p.u_batch_stride + cc;
    const T* delta = static_cast<const T*>(p.delta) + b * p.delta_batch_stride + cc;
    const T* z = kHasZ ? static_cast<const T*>(p.z) + b * p.z_batch_stride + cc : nullptr;
    T* out = static_cast<T*>(p.out) + b * p.out_batch_stride + cc;

    // B and C of tile t0 into registers: element tid + k kSeqThreads is token (tid + k kSeqThreads) / kBC, column
    // tid % kBC (B's states, then C's). Every load is unconditional, from a clamped (valid)
    // address, and only its use is selected: a load under a branch is waited for before the next one is issued.
    const int bc_col = tid % kBC, bc_n = bc_col % kScanMaxState;
    const T* bc_src = static_cast<const T*>(bc_col < kScanMaxState ? p.B : p.C) +
                      b * (bc_col < kScanMaxState ? p.B_batch_stride : p.C_batch_stride) + min(bc_n, N - 1);
    const int64_t bc_stride = bc_col < kScanMaxState ? p.B_row_stride : p.C_row_stride;
    auto load_bc = [&](int t0, T (&v)[kBCPerThread]) {
#pragma unroll
        for (int k = 0; k < kBCPerThread; ++k)
            v[k] = bc_src[static_cast<int64_t>(min(t0 + (tid + k * kSeqThreads) / kBC, L - 1)) * bc_stride];
    };
    auto store_bc = [&](int buf, int t0, const T (&v)[kBCPerThread]) {  // zero past the chunk and past dstate
#pragma unroll
        for (int k = 0; k < kBCPerThread; ++k) {
            const int tok = (tid + k * kSeqThreads) / kBC;
            sBC[buf][tok][bc_col] = (t0 + tok < L && bc_n < N) ? to_float(v[k]) : 0.0f;
        }
    };
    auto load_tokens = [&](int t, TokenInputs<T>& in) {
#pragma unroll
        for (int k = 0; k < kSeqAhead; ++k) {
            const int64_t r = min(t + k, L - 1);  // past the chunk: loaded, never used
            in.u[k] = u[r * p.u_row_stride];
            in.d[k] = delta[r * p.delta_row_stride];
            if (kHasZ) in.z[k] = z[r * p.z_row_stride];
        }
    };

    T bc[kBCPerThread];
    load_bc(0, bc);
    store_bc(0, 0, bc);
    TokenInputs<T> next;
    load_tokens(0, next);
    int buf = 0;
    for (int t0 = 0; t0 < L; t0 += kSeqTile, buf ^= 1) {
        if (t0 + kSeqTile < L) load_bc(t0 + kSeqTile, bc);  // in flight while this tile is walked
        __syncthreads();  // tile t0's B and C are in sBC[buf]
        const int tn = min(kSeqTile, L - t0);
        for (int g = 0; g < tn; g += kSeqAhead) {
            const TokenInputs<T> cur = next;
            load_tokens(t0 + g + kSeqAhead, next);
#pragma unroll
            for (int k = 0; k < kSeqAhead; ++k) {
                // A token past the chunk (last tile only) walks with dt = 0: the pair (1, 0) leaves h as it is,
                // and nothing is stored. No branch: the walk stays one straight run of instructions.
                const bool live = g + k < tn;
                const float uk = to_float(cur.u[k]);
                float dt = to_float(cur.d[k]) + bias;
                if (kSoftplus) dt = softplus(dt);
                dt = live ? dt : 0.0f;
                const float dtu = dt * uk;
                const float* row = sBC[buf][min(g + k, kSeqTile - 1)];
                float Bv[kScanMaxState], Cv[kScanMaxState];
#pragma unroll
                for (int n = 0; n < kScanMaxState; n += 4) {
                    const float4 bq = *reinterpret_cast<const float4*>(row + n);
                    const float4 cq = *reinterpret_cast<const float4*>(row + kScanMaxState + n);
                    Bv[n] = bq.x, Bv[n + 1] = bq.y, Bv[n + 2] = bq.z, Bv[n + 3] = bq.w;
                    Cv[n] = cq.x, Cv[n + 1] = cq.y, Cv[n + 2] = cq.z, Cv[n + 3] = cq.w;
                }
                // Four partial sums: the states' chains stay independent, and y's adds are not one serial chain.
                float y4[4] = {0.0f, 0.0f, 0.0f, 0.0f};
#pragma unroll
                for (int n = 0; n < kScanMaxState; ++n) {
                    h[n] = msv_exp2(dt * A2[n]) * h[n] + dtu * Bv[n];
                    y4[n % 4] += Cv[n] * h[n];
                }
                if (live && active) {
                    float v = ((y4[0] + y4[1]) + (y4[2] + y4[3])) + Dd * uk;
                    if (kHasZ) v *= silu(to_float(cur.z[k]));
                    out[static_cast<int64_t>(t0 + g + k) * p.out_row_stride] = from_float<T>(v);
                }
            }
        }
        // The other buffer: its last readers passed this tile's barrier.
        if (t0 + kSeqTile < L) store_bc(buf ^ 1, t0 + kSeqTile, bc);
    }
#pragma unroll
    for (int n = 0; n < kScanMaxState; ++n)
        if (active && n < N) state[n] = h[n];
}

template <typename T, bool kHasZ, bool kSoftplus> void launch(const msv_scan_params& p, cudaStream_t stream) {
    const dim3 grid((p.dim + kSeqThreads - 1) / kSeqThreads, p.batch);
    selective_scan_seq_kernel<T, kHasZ, kSoftplus><<<grid, kSeqThreads, 0, stream>>>(p);
}

}  // namespace msv::gpu::scan_seq
