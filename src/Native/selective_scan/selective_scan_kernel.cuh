// GPU selective scan over a chunk (msv_scan_params in mambaserve.h), one source for CUDA and HIP.
//
// A block owns one batch entry and kChannels adjacent channels, and walks the chunk in tiles of kTile tokens.
// Per tile: (1) all threads load the tile's u, delta, B and C rows (activations are token-major), apply softplus,
// and store dt, dt*u, B and C transposed in shared memory, channel-major (state-major for B and C); (2) each
// half-warp (kLanes lanes) scans one channel with lanes along time: lane l owns kItems consecutive tokens,
// reduces its (a, b) pairs (h = a h + b composes associatively: (a1, b1) then (a2, b2) = (a1 a2, a2 b1 + b2)), a
// shuffle scan over the kLanes lanes gives each lane the pair of the tokens up to its last, and the state
// carried from the previous tile (shared memory, per channel and state) turns that into the lane's end state;
// the lane below's end state is the lane's start, and the lane replays its tokens for h_t and y_t; (3) the block
// writes y rows back, adding D u and the silu(z) gate. exp(dt A) is computed once per (token, state), as one
// exp2 with A pre-scaled by log2(e); there are three barriers per tile and none inside the state loop.
//
// Steps (1) and (3) have two forms. Tiles that lie inside the chunk, in blocks whose 16 channels all exist, with
// dstate 16 and every row 16-byte aligned (the model's shapes) move 8 channels of one token per thread with one
// 16-byte access per array; the rest (the chunk's last tile, a partial channel block, odd strides) move one
// element per thread and access, bounds-checked.
//
// Tokens past the chunk's end, and channels past dim, get dt = 0: the identity pair (1, 0). States past dstate
// get A = 0 and B = C = 0, so the state loop always runs kScanMaxState states at compile-time-known offsets.
#pragma once

#include <type_traits>

#include "gpu/check.h"
#include "gpu/dtype.cuh"
#include "gpu/launch.h"

namespace msv::gpu {
namespace scan {

constexpr int kChannels = 16;  // per block: 32 bytes of a bf16 row, one memory sector
constexpr int kLanes = 16;     // lanes scanning one channel: a warp scans two channels side by side
constexpr int kWarps = kChannels * kLanes / MSV_GROUP;
constexpr int kThreads = kWarps * MSV_GROUP;
constexpr int kItems = 8;  // tokens per lane
constexpr int kTile = kLanes * kItems;
constexpr int kVec = 8;  // elements per 16-byte access of the aligned form: half a block's row segment
static_assert(kThreads * kVec == kTile * kChannels, "aligned form: one thread per (token, half row segment)");
static_assert(kChannels == kScanMaxState, "staging maps channel columns onto states");
// Token t of a channel's shared row sits at tpos(t) = t + 4 * (t / 32): lane l's two 16-byte reads start at
// 8l + 4(l/4), which puts the 8 lanes of one read phase on 8 distinct bank groups.
__device__ __forceinline__ int tpos(int t) { return t + 4 * (t >> 5); }
constexpr int kRow = kTile + 4 * (kTile / 32) + 4;
// Rows 8..15 sit kSkew floats further on, so that the aligned form's transposing accesses (lanes: 16 tokens x
// the two halves of the row segment) fall on 32 distinct banks: 8 rows of 148 floats are 0 banks apart, 16 more
// make it 16.
constexpr int kSkew = 16;
__device__ __forceinline__ int rowof(int c) { return c * kRow + (c >> 3) * kSkew; }
constexpr int kRows = kChannels * kRow + kSkew;
constexpr int kStage = kTile * kChannels / kThreads;  // (token, channel) elements each thread stages per tile
constexpr float kLog2e = 1.4426950408889634f;
constexpr int kRowsPerPass = kThreads / kChannels;  // checked form: rows st0 + k * kRowsPerPass of each tile
static_assert(kRowsPerPass == 16 && kTile % 32 == 0, "srow() below assumes 16-row passes");
// tpos(st0 + 16 k) for st0 < 16, with the k-dependent part a compile-time constant in unrolled loops.
__device__ __forceinline__ int srow(int st0, int k) { return st0 + k * kRowsPerPass + 4 * (k >> 1); }

// Blocks per SM the compiler must fit (registers <= 65536 / (kThreads * this)): 4 caps them at 64.
#ifndef MSV_SCAN_MIN_BLOCKS
#define MSV_SCAN_MIN_BLOCKS 4
#endif

// The state loop's unroll factor (it always runs kScanMaxState states). Full unrolling turns the per-state
// shared-memory addresses into constants and drops the loop's counter and branch; smaller factors are kept for
// A/B runs (run 10 measured 1 against 2).
#ifndef MSV_SCAN_STATE_UNROLL
#define MSV_SCAN_STATE_UNROLL 16
#endif
#define MSV_SCAN_PRAGMA(x) _Pragma(#x)
#define MSV_SCAN_UNROLL(n) MSV_SCAN_PRAGMA(unroll n)

// Compile-time choice between the bounds-checked, one-element staging and the aligned 16-byte one.
template <bool B> struct Guard {
    static constexpr bool value = B;
};

template <typename T, bool kHasZ, bool kSoftplus>
__global__ void __launch_bounds__(kThreads, MSV_SCAN_MIN_BLOCKS)
    selective_scan_kernel(const msv_scan_params p, const bool rows_aligned) {
    __shared__ __align__(16) float sDt[kRows];
    __shared__ __align__(16) float sDtu[kRows];  // dt * u, then y once the channel is scanned
    __shared__ __align__(16) float sB[kRows];    // state-major: row n holds B[., n] of the tile's tokens
    __shared__ __align__(16) float sC[kRows];
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

    // Checked form: thread handles channel sc (and state sc of B and C) of rows st0 + k * kRowsPerPass.
    const int sc = threadIdx.x % kChannels;
    const int st0 = threadIdx.x / kChannels;
    const bool s_active = d0 + sc < p.dim;
    const bool bc_active = sc < N;
    // Aligned form: thread handles channels (states) 8 vh .. 8 vh + 7 of row vr.
    const int vr = threadIdx.x >> 1, vh = threadIdx.x & 1;
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
            const int64_t r = t0 + vr;
            const int cv = kVec * vh;
            float xu[kVec], xd[kVec], xb[kVec], xc[kVec];
            load8(u + r * p.u_row_stride + cv, xu);
            load8(delta + r * p.delta_row_stride + cv, xd);
            load8(Bm + r * p.B_row_stride + cv, xb);
            load8(Cm + r * p.C_row_stride + cv, xc);
            const int base = rowof(kVec * vh) + tpos(vr);
#pragma unroll
            for (int j = 0; j < kVec; ++j) {
                float v = xd[j] + sBias[kVec * vh + j];
                if (kSoftplus) v = softplus(v);
                sDt[base + j * kRow] = v;
                sDtu[base + j * kRow] = v * xu[j];
                sB[base + j * kRow] = xb[j];
                sC[base + j * kRow] = xc[j];
            }
        } else {
            // Every load is issued before any is used; row pointers advance by precomputed steps (64-bit index
            // products per load cost more than the loads).
            const int rows_left = L - t0 - st0;  // row st0 + 16 k is in the chunk iff 16 k < rows_left
            float xu[kStage], xd[kStage], vb[kStage], vc[kStage];
            const int64_t r0 = t0 + st0;
            const T* pu = u + r0 * p.u_row_stride + sc;
            const T* pd = delta + r0 * p.delta_row_stride + sc;
            const T* pb = Bm + r0 * p.B_row_stride + sc;
            const T* pc = Cm + r0 * p.C_row_stride + sc;
#pragma unroll
            for (int k = 0; k < kStage; ++k) {
                const bool in = k * kRowsPerPass < rows_left;
                xu[k] = (s_active && in) ? to_float(*pu) : 0.0f;
                xd[k] = (s_active && in) ? to_float(*pd) : 0.0f;
                vb[k] = (bc_active && in) ? to_float(*pb) : 0.0f;
                vc[k] = (bc_active && in) ? to_float(*pc) : 0.0f;
                pu += kRowsPerPass * p.u_row_stride, pd += kRowsPerPass * p.delta_row_stride;
                pb += kRowsPerPass * p.B_row_stride, pc += kRowsPerPass * p.C_row_stride;
            }
            const float bias = sBias[sc];
#pragma unroll
            for (int k = 0; k < kStage; ++k) {
                const int tt = rowof(sc) + srow(st0, k);
                float v = xd[k] + bias;
                if (kSoftplus) v = softplus(v);
                v = (s_active && k * kRowsPerPass < rows_left) ? v : 0.0f;
                sDt[tt] = v;
                sDtu[tt] = v * xu[k];
                sB[tt] = vb[k];  // zero past dstate and past the chunk: those states stay exactly 0
                sC[tt] = vc[k];
            }
        }
        __syncthreads();

        {
            const int lane = threadIdx.x % kLanes;  // position along time within the channel's half-warp
            const int c = threadIdx.x / kLanes;     // the channel this half-warp scans
            const int base = tpos(lane * kItems);   // the lane's 8 tokens: two 16-byte runs, base and base + 4
            float dt[kItems], dtu[kItems], y[kItems];
            auto read8 = [&](const float* row, float (&v)[kItems]) {
                const float4 lo = *reinterpret_cast<const float4*>(row + base);
                const float4 hi = *reinterpret_cast<const float4*>(row + base + 4);
                v[0] = lo.x, v[1] = lo.y, v[2] = lo.z, v[3] = lo.w, v[4] = hi.x, v[5] = hi.y, v[6] = hi.z, v[7] = hi.w;
            };
            read8(sDt + rowof(c), dt);
            read8(sDtu + rowof(c), dtu);
            // The product of the lane's a_i = 2^(dt_i A) is 2^(A sum dt_i): one exp per state instead of kItems
            // multiplies.
            float sdt = 0.0f;
#pragma unroll
            for (int i = 0; i < kItems; ++i) y[i] = 0.0f, sdt += dt[i];
            MSV_SCAN_UNROLL(MSV_SCAN_STATE_UNROLL)
            for (int n = 0; n < kScanMaxState; ++n) {
                float Bv[kItems], Cv[kItems];
                read8(sB + rowof(n), Bv);
                read8(sC + rowof(n), Cv);
                const float An = sA[c][n];
                float a[kItems], bb[kItems];
                float ga = msv_exp2(sdt * An), gb = 0.0f;  // this lane's tokens composed
#pragma unroll
                for (int i = 0; i < kItems; ++i) {
                    a[i] = msv_exp2(dt[i] * An);
                    bb[i] = dtu[i] * Bv[i];
                    gb = a[i] * gb + bb[i];
                }
                // Inclusive scan over the channel's lanes (earlier tokens on lower lanes).
#pragma unroll
                for (int off = 1; off < kLanes; off *= 2) {
                    const float pa = __shfl_up_sync(0xffffffffu, ga, off, kLanes);
                    const float pb = __shfl_up_sync(0xffffffffu, gb, off, kLanes);
                    if (lane >= off) {
                        gb = ga * pb + gb;
                        ga *= pa;
                    }
                }
                // (ga, gb) now compose the tile's tokens up to the lane's last, so the state after them is
                // ga h0 + gb (h0: the carried state), and the lane below's end state is this lane's start: one
                // shuffle of h instead of two of the exclusive (ga, gb), and none to broadcast the carry.
                const float carry = sCarry[c][n];
                const float h_end = ga * carry + gb;
                float h = __shfl_up_sync(0xffffffffu, h_end, 1, kLanes);
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
            *reinterpret_cast<float4*>(sDtu + rowof(c) + base) = make_float4(y[0], y[1], y[2], y[3]);
            *reinterpret_cast<float4*>(sDtu + rowof(c) + base + 4) = make_float4(y[4], y[5], y[6], y[7]);
        }
        __syncthreads();

        if (vec) {
            const int64_t r = t0 + vr;
            const int cv = kVec * vh;
            float xu[kVec], xz[kVec], v[kVec];
            load8(u + r * p.u_row_stride + cv, xu);  // again: L2-hot
            if (kHasZ) load8(z + r * p.z_row_stride + cv, xz);
            const int base = rowof(kVec * vh) + tpos(vr);
#pragma unroll
            for (int j = 0; j < kVec; ++j) {
                v[j] = sDtu[base + j * kRow] + sD[kVec * vh + j] * xu[j];
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
                    float v = sDtu[rowof(sc) + srow(st0, k)] + Dd * xu[k];
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

template <typename T, bool kHasZ>
void launch(const msv_scan_params& p, cudaStream_t stream) {
    const dim3 grid((p.dim + kChannels - 1) / kChannels, p.batch);
    // MSV_SCAN_MIN_BLOCKS blocks of ~40 KB static shared memory each need more than the smallest carveout.
    static const bool carveout = (msv_prefer_shared_memory(selective_scan_kernel<T, kHasZ, true>),
                                  msv_prefer_shared_memory(selective_scan_kernel<T, kHasZ, false>), true);
    (void)carveout;
    const bool aligned = rows_aligned<T>(p);
    if (p.delta_softplus)
        selective_scan_kernel<T, kHasZ, true><<<grid, kThreads, 0, stream>>>(p, aligned);
    else
        selective_scan_kernel<T, kHasZ, false><<<grid, kThreads, 0, stream>>>(p, aligned);
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
