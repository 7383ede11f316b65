// GPU selective scan over a chunk (msv_scan_params in mambaserve.h), one source for CUDA and HIP.
//
// A block owns one batch entry and kChannels adjacent channels, and walks the chunk in tiles of kTile tokens.
// Per tile: (1) all threads load the tile's u, delta (and B, C rows) with coalesced row reads (activations are
// token-major), apply softplus, and store dt and dt*u transposed in shared memory, channel-major; (2) each warp
// scans its channels with lanes along time: lane l owns kItems consecutive tokens, reduces its (a, b) pairs
// (h = a h + b composes associatively: (a1, b1) then (a2, b2) = (a1 a2, a2 b1 + b2)), a warp shuffle scan gives
// each lane the pair of the tokens before it, and the state carried from the previous tile (shared memory, per
// channel and state) turns that into the lane's starting h; the lane replays its tokens for h_t and y_t;
// (3) the block writes y rows back coalesced, adding D u and the silu(z) gate. exp(dt A) is computed once per
// (token, state); there are three barriers per tile and none inside the state loop.
//
// Tokens past the chunk's end, and channels past dim, get dt = 0: the identity pair (1, 0).
#pragma once

#include "gpu/check.h"
#include "gpu/dtype.cuh"
#include "gpu/launch.h"

namespace msv::gpu {
namespace scan {

constexpr int kChannels = 16;  // per block: 32 bytes of a bf16 row, one memory sector
constexpr int kWarps = 8;
constexpr int kThreads = kWarps * MSV_GROUP;
constexpr int kPerWarp = kChannels / kWarps;  // channels a warp scans side by side (independent chains)
constexpr int kItems = 4;                     // tokens per lane: one 16-byte shared-memory read per array
constexpr int kTile = MSV_GROUP * kItems;
constexpr int kRow = kTile + 4;  // padded rows: the transposing stores hit fewer banks; rows stay 16-byte aligned
constexpr int kStage = kTile * kChannels / kThreads;  // (token, channel) elements each thread stages per tile

template <typename T, bool kHasZ, bool kSoftplus>
__global__ void __launch_bounds__(kThreads, 3) selective_scan_kernel(const msv_scan_params p) {
    __shared__ __align__(16) float sDt[kChannels][kRow];
    __shared__ __align__(16) float sDtu[kChannels][kRow];  // dt * u, then y once the channel is scanned
    __shared__ __align__(16) float sB[kScanMaxState][kRow];
    __shared__ __align__(16) float sC[kScanMaxState][kRow];
    __shared__ float sA[kChannels][kScanMaxState];
    __shared__ float sCarry[kChannels][kScanMaxState];  // state entering the tile

    const int lane = threadIdx.x % MSV_GROUP;
    const int warp = threadIdx.x / MSV_GROUP;
    const int d0 = blockIdx.x * kChannels;
    const int64_t b = blockIdx.y;
    const int N = p.dstate;
    const int L = p.seqlen;
    float* state = p.state + static_cast<int64_t>(p.slot_idx[b]) * p.state_slot_stride;

    for (int i = threadIdx.x; i < kChannels * N; i += kThreads) {
        const int c = i / N, n = i - c * N;
        const bool in = d0 + c < p.dim;
        sA[c][n] = in ? p.A[static_cast<int64_t>(d0 + c) * N + n] : 0.0f;
        sCarry[c][n] = in ? state[static_cast<int64_t>(d0 + c) * N + n] : 0.0f;
    }

    // Staging role: thread handles channel sc of rows st0 + k * kRowsPerPass.
    constexpr int kRowsPerPass = kThreads / kChannels;
    const int sc = threadIdx.x % kChannels;
    const int st0 = threadIdx.x / kChannels;
    const int sd = d0 + sc;
    const bool s_active = sd < p.dim;
    const float bias = (s_active && p.dt_bias) ? p.dt_bias[sd] : 0.0f;
    const float Dd = (s_active && p.D) ? p.D[sd] : 0.0f;
    const T* u = static_cast<const T*>(p.u) + b * p.u_batch_stride + sd;
    const T* delta = static_cast<const T*>(p.delta) + b * p.delta_batch_stride + sd;
    const T* z = kHasZ ? static_cast<const T*>(p.z) + b * p.z_batch_stride + sd : nullptr;
    T* out = static_cast<T*>(p.out) + b * p.out_batch_stride + sd;
    const T* Bm = static_cast<const T*>(p.B) + b * p.B_batch_stride;
    const T* Cm = static_cast<const T*>(p.C) + b * p.C_batch_stride;

    for (int t0 = 0; t0 < L; t0 += kTile) {
        __syncthreads();  // the previous tile's output pass is done with the shared arrays
        {
            // Every load of the stage is issued before any is used.
            float xu[kStage], xd[kStage], vb[kStage], vc[kStage];
#pragma unroll
            for (int k = 0; k < kStage; ++k) {
                const int t = t0 + st0 + k * kRowsPerPass;
                const bool in = s_active && t < L;
                xu[k] = in ? load(u, static_cast<int64_t>(t) * p.u_row_stride) : 0.0f;
                xd[k] = in ? load(delta, static_cast<int64_t>(t) * p.delta_row_stride) : 0.0f;
                const int i = threadIdx.x + k * kThreads;  // B/C element (row i / N, state i % N)
                const int bt = i / N, bn = i - bt * N;
                const bool bin = i < kTile * N && t0 + bt < L;
                vb[k] = bin ? load(Bm, static_cast<int64_t>(t0 + bt) * p.B_row_stride + bn) : 0.0f;
                vc[k] = bin ? load(Cm, static_cast<int64_t>(t0 + bt) * p.C_row_stride + bn) : 0.0f;
            }
#pragma unroll
            for (int k = 0; k < kStage; ++k) {
                const int tt = st0 + k * kRowsPerPass;
                float v = xd[k] + bias;
                if (kSoftplus) v = softplus(v);
                v = (s_active && t0 + tt < L) ? v : 0.0f;
                sDt[sc][tt] = v;
                sDtu[sc][tt] = v * xu[k];
                const int i = threadIdx.x + k * kThreads;
                const int bt = i / N, bn = i - bt * N;
                if (i < kTile * N) {
                    sB[bn][bt] = vb[k];
                    sC[bn][bt] = vc[k];
                }
            }
        }
        __syncthreads();

        {
            float dt[kPerWarp][kItems], dtu[kPerWarp][kItems], y[kPerWarp][kItems];
#pragma unroll
            for (int j = 0; j < kPerWarp; ++j) {
                const int c = warp + j * kWarps;
                const float4 a4 = *reinterpret_cast<const float4*>(&sDt[c][lane * kItems]);
                const float4 b4 = *reinterpret_cast<const float4*>(&sDtu[c][lane * kItems]);
                dt[j][0] = a4.x, dt[j][1] = a4.y, dt[j][2] = a4.z, dt[j][3] = a4.w;
                dtu[j][0] = b4.x, dtu[j][1] = b4.y, dtu[j][2] = b4.z, dtu[j][3] = b4.w;
#pragma unroll
                for (int i = 0; i < kItems; ++i) y[j][i] = 0.0f;
            }
            for (int n = 0; n < N; ++n) {
                const float4 b4 = *reinterpret_cast<const float4*>(&sB[n][lane * kItems]);
                const float4 c4 = *reinterpret_cast<const float4*>(&sC[n][lane * kItems]);
                const float Bv[kItems] = {b4.x, b4.y, b4.z, b4.w};
                const float Cv[kItems] = {c4.x, c4.y, c4.z, c4.w};
#pragma unroll
                for (int j = 0; j < kPerWarp; ++j) {
                    const int c = warp + j * kWarps;
                    const float An = sA[c][n];
                    float a[kItems], bb[kItems];
                    float ga = 1.0f, gb = 0.0f;  // this lane's tokens composed
#pragma unroll
                    for (int i = 0; i < kItems; ++i) {
                        a[i] = __expf(dt[j][i] * An);
                        bb[i] = dtu[j][i] * Bv[i];
                        gb = a[i] * gb + bb[i];
                        ga *= a[i];
                    }
                    // Inclusive scan over the lanes (earlier tokens on lower lanes).
#pragma unroll
                    for (int off = 1; off < MSV_GROUP; off *= 2) {
                        const float pa = __shfl_up_sync(0xffffffffu, ga, off, MSV_GROUP);
                        const float pb = __shfl_up_sync(0xffffffffu, gb, off, MSV_GROUP);
                        if (lane >= off) {
                            gb = ga * pb + gb;
                            ga *= pa;
                        }
                    }
                    float ea = __shfl_up_sync(0xffffffffu, ga, 1, MSV_GROUP);
                    float eb = __shfl_up_sync(0xffffffffu, gb, 1, MSV_GROUP);
                    if (lane == 0) ea = 1.0f, eb = 0.0f;
                    const float carry = sCarry[c][n];
                    float h = ea * carry + eb;
#pragma unroll
                    for (int i = 0; i < kItems; ++i) {
                        h = a[i] * h + bb[i];
                        y[j][i] += Cv[i] * h;
                    }
                    // Every lane has read the carry before the shuffle returns; then one lane replaces it.
                    const float last = __shfl_sync(0xffffffffu, h, MSV_GROUP - 1, MSV_GROUP);
                    if (lane == 0) sCarry[c][n] = last;
                }
            }
#pragma unroll
            for (int j = 0; j < kPerWarp; ++j) {
                const int c = warp + j * kWarps;
                *reinterpret_cast<float4*>(&sDtu[c][lane * kItems]) = make_float4(y[j][0], y[j][1], y[j][2], y[j][3]);
            }
        }
        __syncthreads();

        {
            float xu[kStage], xz[kStage];
#pragma unroll
            for (int k = 0; k < kStage; ++k) {
                const int t = t0 + st0 + k * kRowsPerPass;
                const bool in = s_active && t < L;
                xu[k] = in ? load(u, static_cast<int64_t>(t) * p.u_row_stride) : 0.0f;  // again: L2-hot
                xz[k] = (kHasZ && in) ? load(z, static_cast<int64_t>(t) * p.z_row_stride) : 0.0f;
            }
#pragma unroll
            for (int k = 0; k < kStage; ++k) {
                const int tt = st0 + k * kRowsPerPass;
                if (s_active && t0 + tt < L) {
                    float v = sDtu[sc][tt] + Dd * xu[k];
                    if (kHasZ) v *= silu(xz[k]);
                    out[static_cast<int64_t>(t0 + tt) * p.out_row_stride] = from_float<T>(v);
                }
            }
        }
    }
    __syncthreads();
    for (int i = threadIdx.x; i < kChannels * N; i += kThreads) {
        const int c = i / N, n = i - c * N;
        if (d0 + c < p.dim) state[static_cast<int64_t>(d0 + c) * N + n] = sCarry[c][n];
    }
}

template <typename T, bool kHasZ>
void launch(const msv_scan_params& p, cudaStream_t stream) {
    const dim3 grid((p.dim + kChannels - 1) / kChannels, p.batch);
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
