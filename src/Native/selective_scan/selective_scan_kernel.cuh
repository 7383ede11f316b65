// GPU selective scan over a chunk (msv_scan_params in mambaserve.h), one source for CUDA and HIP.
//
// A block owns one batch entry and kChannels adjacent channels (32; 16 with 16 lanes), and walks the chunk in tiles
// of kTile tokens (64; 128). Per tile: (1) all threads load the tile's u, delta, B and C rows (activations are
// token-major), apply softplus, and store dt, dt*u, B and C transposed in shared memory, channel-major (state-major
// for B and C); (2) kLanes (8, or 16 for a chunk of one sequence: Tiles) lanes scan one channel with lanes along
// time: lane l owns kItems (8) consecutive tokens, reduces its (a, b) pairs (h = a h + b composes associatively:
// (a1, b1) then (a2, b2) = (a1 a2, a2 b1 + b2)), a shuffle
// scan over the kLanes lanes gives each lane the pair of the tokens up to its last, and the state carried from
// the previous tile (shared memory, per channel and state) turns that into the lane's end state; the lane
// below's end state is the lane's start, and the lane replays its tokens for h_t and y_t; (3) the block writes
// y rows back, adding D u and the silu(z) gate. exp(dt A) is computed once per (token, state), as one exp2 with
// A pre-scaled by log2(e); there are three barriers per tile and none inside the state loop.
//
// The kernel is bound by the latency of each state's chain (exps, then dependent shuffles, then the replay), not
// by memory (docs/gpu-kernels.md): hence 8 lanes per channel (three shuffle steps, not four), and a shuffle scan
// that carries only the b half of each pair (MSV_SCAN_DT_PREFIX).
//
// Steps (1) and (3) have two forms. Tiles that lie inside the chunk, in blocks whose channels all exist, with
// dstate 16 and every row 16-byte aligned (the model's shapes) move 8 channels of one token per thread with one
// 16-byte access per array; the rest (the chunk's last tile, a partial channel block, odd strides) move one
// element per thread and access, bounds-checked.
//
// Tokens past the chunk's end, and channels past dim, get dt = 0: the identity pair (1, 0). States past dstate
// get A = 0 and B = C = 0, so the state loop always runs kScanMaxState states at compile-time-known offsets.
#pragma once

#include "gpu/check.h"
#include "gpu/dtype.cuh"
#include "gpu/launch.h"
#include "selective_scan/selective_scan_seq_kernel.cuh"

#include <cstdlib>

namespace msv::gpu {
namespace scan {

// Lanes scanning one channel, 8 or 16 (32 would need more than 48 KB of static shared memory): fewer lanes mean
// fewer dependent shuffle steps per state and a shorter tile, more channels per block (B and C, shared by all
// channels, staged for more of them); more lanes mean more threads for the latency-bound chains. 8 lanes won at
// 2-8 sequences of 1,024 tokens (fp32 state, H200, the whole prefill: 27.9 / 53.0 / 103.7 against 28.2 / 55.4 /
// 109.5 ms with 16), 16 at one sequence (16.1 against 17.2 ms): its 5,120 channels x 8 lanes are ~10 warps an SM.
// The tile's shape follows from the lanes (Tiles below); launch() picks them.
constexpr int kThreads = 256;
constexpr int kItems = 8;  // tokens per lane
constexpr int kVec = 8;    // elements per 16-byte access of the aligned form
constexpr int64_t kWideLanesMaxChannels = 5120;  // batch x channels up to which a chunk takes 16 lanes
// Token t of a shared row sits at tpos(t) = t + 4 * (t / 32): lane l's two 16-byte reads start at 8l + 4(l/4),
// which puts the 8 lanes of one read phase on 8 distinct bank groups.
__device__ __forceinline__ int tpos(int t) { return t + 4 * (t >> 5); }

template <int kLanesArg> struct Tiles {
    static constexpr int kLanes = kLanesArg;
    static constexpr int kLevels = kLanes == 32 ? 5 : kLanes == 16 ? 4 : kLanes == 8 ? 3 : kLanes == 4 ? 2 : 1;
    static_assert(1 << kLevels == kLanes && kLanes <= MSV_GROUP, "lanes per channel: a power of two within a warp");
    static constexpr int kChannels = kThreads / kLanes;  // per block
    static constexpr int kTile = kLanes * kItems;
    static_assert(kChannels % kVec == 0 && kChannels <= 4 * kVec, "channel groups of the aligned form");
    static constexpr int kGroups = kChannels / kVec;  // 8-channel groups per row segment
    static_assert(kTile * kChannels == kThreads * kVec, "aligned form: one u and one delta vector per thread");
    // B and C vectors per thread, aligned form.
    static constexpr int kBCVecs = kTile * 2 * kScanMaxState / kVec / kThreads;
    static_assert(kBCVecs >= 1 && kTile * 2 * kScanMaxState == kBCVecs * kVec * kThreads, "B/C vectors per thread");
    static constexpr int kRow = kTile + 4 * (kTile / 32) + 4;  // a multiple of 4 floats and of 32 banks per 8 rows
    static_assert(kRow % 4 == 0 && (8 * kRow) % 32 == 0, "row padding");
    static constexpr int kStage = kTile * kChannels / kThreads;  // (token, channel) elements per thread, checked form
    static constexpr int kRowsPerPass = kThreads / kChannels;    // checked form: rows st0 + k kRowsPerPass of a tile
    static_assert(32 % kRowsPerPass == 0, "srow() below");
    static constexpr int kBCColumns = 2 * kScanMaxState / kChannels;  // B/C columns per thread, checked form
    // Row c of an array whose rows are written in G groups of 8 (the aligned form's transposing accesses: lanes =
    // consecutive tokens x groups) starts 32 / G banks further per group, so the G groups fall on distinct banks.
    template <int G> __device__ static __forceinline__ int rowof(int c) { return c * kRow + (c >> 3) * (32 / G); }
    template <int G, int Rows> static constexpr int kRowsSize = Rows * kRow + (Rows / 8) * (32 / G);
    // tpos(st0 + kRowsPerPass k) for st0 < kRowsPerPass, with the k-dependent part a compile-time constant.
    __device__ static __forceinline__ int srow(int st0, int k) {
        return st0 + k * kRowsPerPass + 4 * ((k * kRowsPerPass) >> 5);
    }
};

// Blocks per SM the compiler must fit (registers <= 65536 / (kThreads * this)): 4 caps them at 64.
#ifndef MSV_SCAN_MIN_BLOCKS
#define MSV_SCAN_MIN_BLOCKS 4
#endif

// The state loop's unroll factor (it always runs kScanMaxState states). Full unrolling turns the per-state
// shared-memory addresses into constants and drops the loop's counter and branch.
#ifndef MSV_SCAN_STATE_UNROLL
#define MSV_SCAN_STATE_UNROLL 16
#endif
#define MSV_SCAN_PRAGMA(x) _Pragma(#x)
#define MSV_SCAN_UNROLL(n) MSV_SCAN_PRAGMA(unroll n)

// 1: the shuffle scan carries only gb. The decay over a window of lanes is 2^(A * (sum of its dt)), and the sums
// do not depend on the state, so they are scanned once per tile; each step's factor is then one exp2 computed
// off the shuffle chain, where otherwise the product ga is shuffled beside gb (one shuffle per step traded for
// one MUFU). Measured 0.870 against 0.922 ms (batch 16, 1024 tokens, H200); 0 keeps the two-value scan for A/B.
#ifndef MSV_SCAN_DT_PREFIX
#define MSV_SCAN_DT_PREFIX 1
#endif

template <typename T, bool kHasZ, bool kSoftplus, int kLanes>
__global__ void __launch_bounds__(kThreads, MSV_SCAN_MIN_BLOCKS)
    selective_scan_kernel(const msv_scan_params p, const bool rows_aligned) {
    using S = Tiles<kLanes>;
    constexpr int kLevels = S::kLevels, kChannels = S::kChannels, kTile = S::kTile, kGroups = S::kGroups;
    constexpr int kBCVecs = S::kBCVecs, kRow = S::kRow, kStage = S::kStage, kRowsPerPass = S::kRowsPerPass;
    constexpr int kBCColumns = S::kBCColumns;
    __shared__ __align__(16) float sDt[S::template kRowsSize<kGroups, kChannels>];
    __shared__ __align__(16) float sDtu[S::template kRowsSize<kGroups, kChannels>];  // dt * u, then y once scanned
    // State-major: row n holds B[., n] (C[., n]) of the tile's tokens.
    __shared__ __align__(16) float sB[S::template kRowsSize<2, kScanMaxState>];
    __shared__ __align__(16) float sC[S::template kRowsSize<2, kScanMaxState>];
    __shared__ float sA[kChannels][kScanMaxState];
    __shared__ float sCarry[kChannels][kScanMaxState];  // state entering the tile
    __shared__ __align__(16) float sBias[kChannels];
    __shared__ __align__(16) float sD[kChannels];

    const int d0 = blockIdx.x * kChannels;
    const int64_t b = blockIdx.y;
    const int N = p.dstate;
    const int L = p.seqlen;
    float* state = p.state + static_cast<int64_t>(p.slot_idx[b]) * p.state_slot_stride;

    for (int i = threadIdx.x; i < kChannels * kScanMaxState; i += kThreads) {
        const int c = i / kScanMaxState, n = i % kScanMaxState;
        const bool in = d0 + c < p.dim && n < N;
        sA[c][n] = in ? p.A[static_cast<int64_t>(d0 + c) * N + n] * kLog2e : 0.0f;
        sCarry[c][n] = in ? state[static_cast<int64_t>(d0 + c) * N + n] : 0.0f;
    }
    if (threadIdx.x < kChannels) {
        const int d = d0 + threadIdx.x;
        sBias[threadIdx.x] = (d < p.dim && p.dt_bias) ? p.dt_bias[d] : 0.0f;
        sD[threadIdx.x] = (d < p.dim && p.D) ? p.D[d] : 0.0f;
    }

    // Checked form: thread handles channel sc of rows st0 + k * kRowsPerPass, and B/C columns sc + a * kChannels
    // (column j < 16: state j of B, else state j - 16 of C).
    const int sc = threadIdx.x % kChannels;
    const int st0 = threadIdx.x / kChannels;
    const bool s_active = d0 + sc < p.dim;
    // Aligned form: thread handles channels 8 vq .. 8 vq + 7 of row vr.
    const int vr = threadIdx.x / kGroups, vq = threadIdx.x % kGroups;
    // Row 0 of the block's columns; each form adds its own column offset.
    const T* u = static_cast<const T*>(p.u) + b * p.u_batch_stride + d0;
    const T* delta = static_cast<const T*>(p.delta) + b * p.delta_batch_stride + d0;
    const T* z = kHasZ ? static_cast<const T*>(p.z) + b * p.z_batch_stride + d0 : nullptr;
    T* out = static_cast<T*>(p.out) + b * p.out_batch_stride + d0;
    const T* Bm = static_cast<const T*>(p.B) + b * p.B_batch_stride;
    const T* Cm = static_cast<const T*>(p.C) + b * p.C_batch_stride;
    // Every channel of the block exists, B and C fill all 16 columns, rows are 16-byte aligned: tiles that end
    // inside the chunk take the aligned form.
    const bool block_vec = rows_aligned && d0 + kChannels <= p.dim && N == kScanMaxState;

    for (int t0 = 0; t0 < L; t0 += kTile) {
        __syncthreads();  // the previous tile's output pass is done with the shared arrays
        const bool vec = block_vec && t0 + kTile <= L;  // uniform over the block
        if (vec) {
            // All loads first, then the transposing stores.
            const int64_t r = t0 + vr;
            const int cv = kVec * vq;
            float xu[kVec], xd[kVec], xbc[kBCVecs][kVec];
            load8(u + r * p.u_row_stride + cv, xu);
            load8(delta + r * p.delta_row_stride + cv, xd);
            int bc_arr[kBCVecs], bc_pos[kBCVecs];  // B (0) or C (1); shared offset of the vector's first state
#pragma unroll
            for (int k = 0; k < kBCVecs; ++k) {
                const int idx = threadIdx.x + k * kThreads;  // over (array, token, half)
                const int arr = idx / (2 * kTile), row = (idx % (2 * kTile)) / 2, half = idx % 2;
                const T* src = arr == 0 ? Bm + (t0 + row) * p.B_row_stride : Cm + (t0 + row) * p.C_row_stride;
                load8(src + kVec * half, xbc[k]);
                bc_arr[k] = arr, bc_pos[k] = S::template rowof<2>(kVec * half) + tpos(row);
            }
            const int base = S::template rowof<kGroups>(cv) + tpos(vr);
#pragma unroll
            for (int j = 0; j < kVec; ++j) {
                float v = xd[j] + sBias[cv + j];
                if (kSoftplus) v = softplus(v);
                sDt[base + j * kRow] = v;
                sDtu[base + j * kRow] = v * xu[j];
            }
#pragma unroll
            for (int k = 0; k < kBCVecs; ++k) {
                float* dst = (bc_arr[k] == 0 ? sB : sC) + bc_pos[k];
#pragma unroll
                for (int j = 0; j < kVec; ++j) dst[j * kRow] = xbc[k][j];
            }
        } else {
            // Every load is issued before any is used; row pointers advance by precomputed steps (64-bit index
            // products per load cost more than the loads).
            const int rows_left = L - t0 - st0;  // row st0 + R k is in the chunk iff R k < rows_left
            float xu[kStage], xd[kStage], xbc[kBCColumns][kStage];
            const int64_t r0 = t0 + st0;
            const T* pu = u + r0 * p.u_row_stride + sc;
            const T* pd = delta + r0 * p.delta_row_stride + sc;
#pragma unroll
            for (int k = 0; k < kStage; ++k) {
                const bool in = s_active && k * kRowsPerPass < rows_left;
                xu[k] = in ? to_float(*pu) : 0.0f;
                xd[k] = in ? to_float(*pd) : 0.0f;
                pu += kRowsPerPass * p.u_row_stride, pd += kRowsPerPass * p.delta_row_stride;
            }
#pragma unroll
            for (int a = 0; a < kBCColumns; ++a) {
                const int j = sc + a * kChannels, n = j % kScanMaxState;
                const bool is_b = j < kScanMaxState;
                const T* pbc = is_b ? Bm + r0 * p.B_row_stride + n : Cm + r0 * p.C_row_stride + n;
                const int64_t step = kRowsPerPass * (is_b ? p.B_row_stride : p.C_row_stride);
#pragma unroll
                for (int k = 0; k < kStage; ++k) {
                    xbc[a][k] = (n < N && k * kRowsPerPass < rows_left) ? to_float(*pbc) : 0.0f;
                    pbc += step;
                }
            }
            const float bias = sBias[sc];
#pragma unroll
            for (int k = 0; k < kStage; ++k) {
                const int tt = S::template rowof<kGroups>(sc) + S::srow(st0, k);
                float v = xd[k] + bias;
                if (kSoftplus) v = softplus(v);
                v = (s_active && k * kRowsPerPass < rows_left) ? v : 0.0f;
                sDt[tt] = v;
                sDtu[tt] = v * xu[k];
            }
#pragma unroll
            for (int a = 0; a < kBCColumns; ++a) {
                const int j = sc + a * kChannels, n = j % kScanMaxState;
                float* dst = (j < kScanMaxState ? sB : sC) + S::template rowof<2>(n);
#pragma unroll
                for (int k = 0; k < kStage; ++k) dst[S::srow(st0, k)] = xbc[a][k];  // 0 past dstate and the chunk
            }
        }
        __syncthreads();

        {
            const int lane = threadIdx.x % kLanes;  // position along time within the channel's lanes
            const int c = threadIdx.x / kLanes;     // the channel these lanes scan
            const int base = tpos(lane * kItems);   // the lane's 8 tokens: two 16-byte runs, base and base + 4
            float dt[kItems], dtu[kItems], y[kItems];
            auto read8 = [&](const float* row, float (&v)[kItems]) {
                const float4 lo = *reinterpret_cast<const float4*>(row + base);
                const float4 hi = *reinterpret_cast<const float4*>(row + base + 4);
                v[0] = lo.x, v[1] = lo.y, v[2] = lo.z, v[3] = lo.w, v[4] = hi.x, v[5] = hi.y, v[6] = hi.z, v[7] = hi.w;
            };
            read8(sDt + S::template rowof<kGroups>(c), dt);
            read8(sDtu + S::template rowof<kGroups>(c), dtu);
            // The product of the lane's a_i = 2^(dt_i A) is 2^(A sum dt_i): one exp per state instead of kItems
            // multiplies.
            float sdt = 0.0f;
#pragma unroll
            for (int i = 0; i < kItems; ++i) y[i] = 0.0f, sdt += dt[i];
#if MSV_SCAN_DT_PREFIX
            // The same Kogge-Stone scan over the lanes' dt sums: before step k a lane holds the sum over lanes
            // (l - 2^k, l], the window whose composition its (ga, gb) holds at that step.
            float window[kLevels];
            {
                float s = sdt;
#pragma unroll
                for (int k = 0; k < kLevels; ++k) {
                    window[k] = s;
                    const float below = __shfl_up_sync(MSV_GROUP_MASK, s, 1 << k, kLanes);
                    if (lane >= (1 << k)) s += below;
                }
                sdt = s;  // now over lanes [0, l]: the tile's decay up to the lane's last token is 2^(A sdt)
            }
#endif
            MSV_SCAN_UNROLL(MSV_SCAN_STATE_UNROLL)
            for (int n = 0; n < kScanMaxState; ++n) {
                float Bv[kItems], Cv[kItems];
                read8(sB + S::template rowof<2>(n), Bv);
                read8(sC + S::template rowof<2>(n), Cv);
                const float An = sA[c][n];
                float a[kItems], bb[kItems];
                float gb = 0.0f;  // this lane's tokens composed
#pragma unroll
                for (int i = 0; i < kItems; ++i) {
                    a[i] = msv_exp2(dt[i] * An);
                    bb[i] = dtu[i] * Bv[i];
                    gb = a[i] * gb + bb[i];
                }
                // Inclusive scan over the channel's lanes (earlier tokens on lower lanes).
#if MSV_SCAN_DT_PREFIX
                float f[kLevels];
#pragma unroll
                for (int k = 0; k < kLevels; ++k) f[k] = msv_exp2(window[k] * An);
#pragma unroll
                for (int k = 0; k < kLevels; ++k) {
                    const float pb = __shfl_up_sync(MSV_GROUP_MASK, gb, 1 << k, kLanes);
                    if (lane >= (1 << k)) gb = f[k] * pb + gb;
                }
                const float ga = msv_exp2(sdt * An);
#else
                float ga = msv_exp2(sdt * An);
#pragma unroll
                for (int k = 0; k < kLevels; ++k) {
                    const float pa = __shfl_up_sync(MSV_GROUP_MASK, ga, 1 << k, kLanes);
                    const float pb = __shfl_up_sync(MSV_GROUP_MASK, gb, 1 << k, kLanes);
                    if (lane >= (1 << k)) {
                        gb = ga * pb + gb;
                        ga *= pa;
                    }
                }
#endif
                // (ga, gb) now compose the tile's tokens up to the lane's last, so the state after them is
                // ga h0 + gb (h0: the carried state), and the lane below's end state is this lane's start: one
                // shuffle of h instead of two of the exclusive (ga, gb), and none to broadcast the carry.
                const float carry = sCarry[c][n];
                const float h_end = ga * carry + gb;
                float h = __shfl_up_sync(MSV_GROUP_MASK, h_end, 1, kLanes);
                if (lane == 0) h = carry;
#pragma unroll
                for (int i = 0; i < kItems; ++i) {
                    h = a[i] * h + bb[i];
                    y[i] += Cv[i] * h;
                }
                // Every lane read the carry before the shuffle above could return (h_end depends on it); the last
                // lane's end state is the next tile's carry.
                if (lane == kLanes - 1) sCarry[c][n] = h_end;
            }
            float* yrow = sDtu + S::template rowof<kGroups>(c) + base;
            *reinterpret_cast<float4*>(yrow) = make_float4(y[0], y[1], y[2], y[3]);
            *reinterpret_cast<float4*>(yrow + 4) = make_float4(y[4], y[5], y[6], y[7]);
        }
        __syncthreads();

        if (vec) {
            const int64_t r = t0 + vr;
            const int cv = kVec * vq;
            float xu[kVec], xz[kVec], v[kVec];
            load8(u + r * p.u_row_stride + cv, xu);  // again: L2-hot
            if (kHasZ) load8(z + r * p.z_row_stride + cv, xz);
            const int base = S::template rowof<kGroups>(cv) + tpos(vr);
#pragma unroll
            for (int j = 0; j < kVec; ++j) {
                v[j] = sDtu[base + j * kRow] + sD[cv + j] * xu[j];
                if (kHasZ) v[j] *= silu(xz[j]);
            }
            store8(out + r * p.out_row_stride + cv, v);
        } else {
            const int rows_left = L - t0 - st0;
            float xu[kStage], xz[kStage];
            const int64_t r0 = t0 + st0;
            const T* pu = u + r0 * p.u_row_stride + sc;
            const T* pz = kHasZ ? z + r0 * p.z_row_stride + sc : nullptr;
#pragma unroll
            for (int k = 0; k < kStage; ++k) {
                const bool in = s_active && k * kRowsPerPass < rows_left;
                xu[k] = in ? to_float(*pu) : 0.0f;
                xz[k] = (kHasZ && in) ? to_float(*pz) : 0.0f;
                pu += kRowsPerPass * p.u_row_stride;
                if (kHasZ) pz += kRowsPerPass * p.z_row_stride;
            }
            const float Dd = sD[sc];
            T* po = out + r0 * p.out_row_stride + sc;
#pragma unroll
            for (int k = 0; k < kStage; ++k) {
                if (s_active && k * kRowsPerPass < rows_left) {
                    float v = sDtu[S::template rowof<kGroups>(sc) + S::srow(st0, k)] + Dd * xu[k];
                    if (kHasZ) v *= silu(xz[k]);
                    *po = from_float<T>(v);
                }
                po += kRowsPerPass * p.out_row_stride;
            }
        }
    }
    __syncthreads();
    for (int i = threadIdx.x; i < kChannels * N; i += kThreads) {
        const int c = i / N, n = i - c * N;
        if (d0 + c < p.dim) state[static_cast<int64_t>(d0 + c) * N + n] = sCarry[c][n];
    }
}

// Whether every row segment the aligned form reads or writes starts on a 16-byte boundary: base pointers, row
// and batch strides (channel offsets are multiples of kVec elements, so 16 or 32 bytes).
template <typename T> bool rows_aligned(const msv_scan_params& p) {
    auto ok = [](const void* ptr, int64_t batch_stride, int64_t row_stride) {
        constexpr int64_t kAlign = 16;
        return reinterpret_cast<uintptr_t>(ptr) % kAlign == 0 &&
               (batch_stride * static_cast<int64_t>(sizeof(T))) % kAlign == 0 &&
               (row_stride * static_cast<int64_t>(sizeof(T))) % kAlign == 0;
    };
    return ok(p.u, p.u_batch_stride, p.u_row_stride) && ok(p.delta, p.delta_batch_stride, p.delta_row_stride) &&
           ok(p.B, p.B_batch_stride, p.B_row_stride) && ok(p.C, p.C_batch_stride, p.C_row_stride) &&
           (!p.z || ok(p.z, p.z_batch_stride, p.z_row_stride)) && ok(p.out, p.out_batch_stride, p.out_row_stride);
}

// (batch entry, channel) pairs from which a chunk walks each channel token by token (selective_scan_seq_kernel.cuh)
// instead of tiling its tokens over lanes: about 10 sequences of mamba-2.8b's 5,120 channels (1,024 tokens, H200:
// 4 sequences 0.394 against 0.246 ms, 16 sequences 0.704 against 0.869). MSV_SCAN_SEQ=0 / 1 forces either kernel.
constexpr int64_t kSeqMinChannels = 51200;
inline bool walks_tokens(const msv_scan_params& p) {
    if (const char* f = std::getenv("MSV_SCAN_SEQ")) return f[0] == '1';
    return static_cast<int64_t>(p.batch) * p.dim >= kSeqMinChannels;
}

// 16 lanes a channel for a chunk of at most kWideLanesMaxChannels (batch entry, channel) pairs, else 8 (Tiles);
// MSV_SCAN_LANES=8 / 16 forces either.
inline bool wide_lanes(const msv_scan_params& p) {
    if (const char* f = std::getenv("MSV_SCAN_LANES")) return std::atoi(f) == 16;
    return static_cast<int64_t>(p.batch) * p.dim <= kWideLanesMaxChannels;
}

template <typename T, bool kHasZ, int kLanes>
void launch_tiled(const msv_scan_params& p, cudaStream_t stream) {
    constexpr int kChannels = Tiles<kLanes>::kChannels;
    const dim3 grid((p.dim + kChannels - 1) / kChannels, p.batch);
    // MSV_SCAN_MIN_BLOCKS blocks of ~40 KB static shared memory each need more than the smallest carveout.
    static const bool carveout = (msv_prefer_shared_memory(selective_scan_kernel<T, kHasZ, true, kLanes>),
                                  msv_prefer_shared_memory(selective_scan_kernel<T, kHasZ, false, kLanes>), true);
    (void)carveout;
    const bool aligned = rows_aligned<T>(p);
    if (p.delta_softplus)
        selective_scan_kernel<T, kHasZ, true, kLanes><<<grid, kThreads, 0, stream>>>(p, aligned);
    else
        selective_scan_kernel<T, kHasZ, false, kLanes><<<grid, kThreads, 0, stream>>>(p, aligned);
}

template <typename T, bool kHasZ>
void launch(const msv_scan_params& p, cudaStream_t stream) {
    if (walks_tokens(p)) {
        if (p.delta_softplus)
            scan_seq::launch<T, kHasZ, true>(p, stream);
        else
            scan_seq::launch<T, kHasZ, false>(p, stream);
        return;
    }
    if (wide_lanes(p))
        launch_tiled<T, kHasZ, 16>(p, stream);
    else
        launch_tiled<T, kHasZ, 8>(p, stream);
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
