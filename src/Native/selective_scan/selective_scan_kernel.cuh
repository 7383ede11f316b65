// GPU selective scan over a chunk (msv_scan_params in mambaserve.h), one source for CUDA and HIP.
//
// Work split. A block owns one batch entry and 32 adjacent channels: lane = channel, so every load of u, delta,
// z and out is one coalesced row segment (activations are token-major). The chunk is cut into tiles of
// kTile = kWarps * kItems tokens; in a tile, warp w owns the kItems consecutive tokens starting at w * kItems.
// h_t = a_t * h_{t-1} + b_t composes associatively ((a1, b1) then (a2, b2) = (a1 a2, a2 b1 + b2)), so per state
// n each thread reduces its kItems pairs to one pair, the warps' pairs are combined through shared memory (each
// thread folds the pairs of the warps before it onto the state carried from the previous tile), and each thread
// then replays its items from its own prefix to get h_t and y_t. The last warp's final h is the carry into the
// next tile; after the last tile it is the new state. exp(dt * A) is evaluated once per (token, state).
//
// Tokens past the chunk's end get dt = 0, i.e. the identity pair (1, 0), so they leave the state unchanged.
#pragma once

#include "gpu/check.h"
#include "gpu/dtype.cuh"
#include "gpu/launch.h"

namespace msv::gpu {
namespace scan {

constexpr int kWarps = 8;
constexpr int kItems = 16;                 // tokens per thread per tile; the register arrays below are this long
constexpr int kThreads = kWarps * MSV_GROUP;
constexpr int kTile = kWarps * kItems;
constexpr int kHalf = kItems / 2;
constexpr int kRow = kTile + 4;            // padded B/C tile rows: fewer bank conflicts, rows stay 16-byte aligned
constexpr int kPerThread = kTile * kScanMaxState / kThreads;  // B (and C) tile elements each thread loads

template <typename T, bool kHasZ, bool kSoftplus>
__global__ void __launch_bounds__(kThreads, 2) selective_scan_kernel(const msv_scan_params p) {
    __shared__ __align__(16) float sB[kScanMaxState][kRow];
    __shared__ __align__(16) float sC[kScanMaxState][kRow];
    __shared__ float2 sAgg[2][kWarps][MSV_GROUP];        // per state n (double-buffered by n parity)
    __shared__ float sCarry[2][kScanMaxState][MSV_GROUP];  // state entering the tile / leaving it

    const int lane = threadIdx.x % MSV_GROUP;
    const int warp = threadIdx.x / MSV_GROUP;
    const int d = blockIdx.x * MSV_GROUP + lane;
    const int64_t b = blockIdx.y;
    const bool active = d < p.dim;
    const int N = p.dstate;
    const int L = p.seqlen;

    const T* u = static_cast<const T*>(p.u) + b * p.u_batch_stride + d;
    const T* delta = static_cast<const T*>(p.delta) + b * p.delta_batch_stride + d;
    const T* Bm = static_cast<const T*>(p.B) + b * p.B_batch_stride;
    const T* Cm = static_cast<const T*>(p.C) + b * p.C_batch_stride;
    const T* z = kHasZ ? static_cast<const T*>(p.z) + b * p.z_batch_stride + d : nullptr;
    T* out = static_cast<T*>(p.out) + b * p.out_batch_stride + d;
    float* state = p.state + static_cast<int64_t>(p.slot_idx[b]) * p.state_slot_stride + static_cast<int64_t>(d) * N;
    const float* A = p.A + static_cast<int64_t>(d) * N;
    const float Dd = (active && p.D) ? p.D[d] : 0.0f;
    const float bias = (active && p.dt_bias) ? p.dt_bias[d] : 0.0f;

    for (int n = warp; n < N; n += kWarps) sCarry[0][n][lane] = active ? state[n] : 0.0f;
    int cur = 0;

    for (int t0 = 0; t0 < L; t0 += kTile) {
        {
            // All loads of the tile are issued before any is used: a load under a branch, or one whose value is
            // stored before the next is issued, would wait a full memory latency per element.
            float vb[kPerThread], vc[kPerThread];
#pragma unroll
            for (int k = 0; k < kPerThread; ++k) {
                const int i = threadIdx.x + k * kThreads;
                const int t = i / N;
                const int n = i - t * N;
                const bool in = i < kTile * N && t0 + t < L;
                vb[k] = in ? load(Bm, static_cast<int64_t>(t0 + t) * p.B_row_stride + n) : 0.0f;
                vc[k] = in ? load(Cm, static_cast<int64_t>(t0 + t) * p.C_row_stride + n) : 0.0f;
            }
#pragma unroll
            for (int k = 0; k < kPerThread; ++k) {
                const int i = threadIdx.x + k * kThreads;
                const int t = i / N;
                const int n = i - t * N;
                if (i < kTile * N) {
                    sB[n][t] = vb[k];
                    sC[n][t] = vc[k];
                }
            }
        }

        const int tb = t0 + warp * kItems;
        float dt[kItems], dtu[kItems], y[kItems];
#pragma unroll
        for (int i = 0; i < kItems; ++i) {
            const bool in = active && tb + i < L;
            dtu[i] = in ? load(u, static_cast<int64_t>(tb + i) * p.u_row_stride) : 0.0f;
            dt[i] = in ? load(delta, static_cast<int64_t>(tb + i) * p.delta_row_stride) : 0.0f;
        }
#pragma unroll
        for (int i = 0; i < kItems; ++i) {
            const float x = dtu[i];
            float v = dt[i] + bias;
            if (kSoftplus) v = softplus(v);
            v = (active && tb + i < L) ? v : 0.0f;  // identity step past the end
            dt[i] = v;
            dtu[i] = v * x;
            y[i] = Dd * x;
        }
        __syncthreads();  // B/C tile (and, on the first tile, the initial carry) visible

        for (int n = 0; n < N; ++n) {
            const float An = active ? A[n] : 0.0f;
            float bs[kItems], a[kItems], bb[kItems];
            const float4* Bv = reinterpret_cast<const float4*>(&sB[n][warp * kItems]);
#pragma unroll
            for (int q = 0; q < kItems / 4; ++q) {
                const float4 v = Bv[q];
                bs[4 * q] = v.x, bs[4 * q + 1] = v.y, bs[4 * q + 2] = v.z, bs[4 * q + 3] = v.w;
            }
            // Two half-length chains instead of one: the reduction and the replay are serial FMA chains, and
            // their latency, not throughput, bounds this loop.
            float a1 = 1.0f, b1 = 0.0f, a2 = 1.0f, b2 = 0.0f;
#pragma unroll
            for (int i = 0; i < kHalf; ++i) {
                const int j = i + kHalf;
                a[i] = __expf(dt[i] * An);
                a[j] = __expf(dt[j] * An);
                bb[i] = dtu[i] * bs[i];
                bb[j] = dtu[j] * bs[j];
                b1 = a[i] * b1 + bb[i];
                a1 *= a[i];
                b2 = a[j] * b2 + bb[j];
                a2 *= a[j];
            }
            sAgg[n & 1][warp][lane] = make_float2(a1 * a2, a2 * b1 + b2);
            __syncthreads();

            float h = sCarry[cur][n][lane];
            for (int w = 0; w < warp; ++w) {
                const float2 g = sAgg[n & 1][w][lane];
                h = g.x * h + g.y;
            }
            const float4* Cv = reinterpret_cast<const float4*>(&sC[n][warp * kItems]);
#pragma unroll
            for (int q = 0; q < kItems / 4; ++q) {
                const float4 v = Cv[q];
                bs[4 * q] = v.x, bs[4 * q + 1] = v.y, bs[4 * q + 2] = v.z, bs[4 * q + 3] = v.w;
            }
            float h1 = h, h2 = a1 * h + b1;  // the state entering each half
#pragma unroll
            for (int i = 0; i < kHalf; ++i) {
                const int j = i + kHalf;
                h1 = a[i] * h1 + bb[i];
                h2 = a[j] * h2 + bb[j];
                y[i] += bs[i] * h1;
                y[j] += bs[j] * h2;
            }
            // The other buffer: warps before this one may still be reading sCarry[cur][n].
            if (warp == kWarps - 1) sCarry[cur ^ 1][n][lane] = h2;
        }

        if (kHasZ) {
#pragma unroll
            for (int i = 0; i < kItems; ++i) {
                const bool in = active && tb + i < L;
                dt[i] = in ? load(z, static_cast<int64_t>(tb + i) * p.z_row_stride) : 0.0f;  // dt is dead: reuse
            }
#pragma unroll
            for (int i = 0; i < kItems; ++i) y[i] *= silu(dt[i]);
        }
#pragma unroll
        for (int i = 0; i < kItems; ++i)
            if (active && tb + i < L) out[static_cast<int64_t>(tb + i) * p.out_row_stride] = from_float<T>(y[i]);
        cur ^= 1;
        __syncthreads();  // carry written, B/C tile free for the next tile
    }

    if (active)
        for (int n = warp; n < N; n += kWarps) state[n] = sCarry[cur][n][lane];
}

template <typename T, bool kHasZ>
void launch(const msv_scan_params& p, cudaStream_t stream) {
    const dim3 grid((p.dim + MSV_GROUP - 1) / MSV_GROUP, p.batch);
    if (p.delta_softplus)
        selective_scan_kernel<T, kHasZ, true><<<grid, kThreads, 0, stream>>>(p);
    else
        selective_scan_kernel<T, kHasZ, false><<<grid, kThreads, 0, stream>>>(p);
}

}  // namespace scan

template <msv_dtype DT>
msv_status launch_selective_scan_fwd(const msv_scan_params& p, void* stream) {
    using T = typename storage<DT>::type;
    const auto s = static_cast<cudaStream_t>(stream);
    if (p.z)
        scan::launch<T, true>(p, s);
    else
        scan::launch<T, false>(p, s);
    return check_launch("msv_selective_scan_fwd");
}

}  // namespace msv::gpu
