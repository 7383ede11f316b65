// GPU selective scan over a chunk (msv_scan_params in mambaserve.h), one source for CUDA and HIP.
//
// A block owns one batch entry and kChannels adjacent channels, and walks the chunk in tiles of kTile tokens.
// Per tile: (1) all threads load the tile's u, delta (and B, C rows) with coalesced row reads (activations are
// token-major), apply softplus, and store dt and dt*u transposed in shared memory, channel-major; (2) each
// half-warp (kLanes lanes) scans one channel with lanes along time: lane l owns kItems consecutive tokens,
// reduces its (a, b) pairs (h = a h + b composes associatively: (a1, b1) then (a2, b2) = (a1 a2, a2 b1 + b2)), a
// shuffle scan over the kLanes lanes gives each lane the pair of the tokens before it, and the state carried
// from the previous tile (shared memory, per channel and state) turns that into the lane's starting h; the lane
// replays its tokens for h_t and y_t;
// (3) the block writes y rows back coalesced, adding D u and the silu(z) gate. exp(dt A) is computed once per
// (token, state), as one exp2 with A pre-scaled by log2(e); there are three barriers per tile and none inside the
// state loop. The work per token and state is ~7 instructions plus the scan's share (~1/kItems of ~40), and the
// kernel is bound by instruction issue, so kItems is as large as the registers allow.
//
// Tokens past the chunk's end, and channels past dim, get dt = 0: the identity pair (1, 0).
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
// Shared rows are indexed by tpos(t) = t + 4 * (t / 32): lane l's two 16-byte reads start at 8l + 4(l/4), which
// puts the 8 lanes of one read phase on 8 distinct bank groups; the extra 4 floats of row padding make the
// transposing stores of 16 channels land on different banks.
__device__ __forceinline__ int tpos(int t) { return t + 4 * (t >> 5); }
constexpr int kRow = kTile + 4 * (kTile / 32) + 4;
constexpr int kStage = kTile * kChannels / kThreads;  // (token, channel) elements each thread stages per tile
static_assert(kChannels == kScanMaxState, "B/C staging maps channel columns onto states");
constexpr float kLog2e = 1.4426950408889634f;
constexpr int kRowsPerPass = kThreads / kChannels;  // staging: rows st0 + k * kRowsPerPass of each tile
static_assert(kRowsPerPass == 16 && kTile % 32 == 0, "srow() below assumes 16-row passes");
// tpos(st0 + 16 k) for st0 < 16, with the k-dependent part a compile-time constant in unrolled loops.
__device__ __forceinline__ int srow(int st0, int k) { return st0 + k * kRowsPerPass + 4 * (k >> 1); }

// Blocks per SM the compiler must fit (registers <= 65536 / (kThreads * this)): 4 caps them at 64.
#ifndef MSV_SCAN_MIN_BLOCKS
#define MSV_SCAN_MIN_BLOCKS 4
#endif

// 1: with bf16 activations, B and C of a token travel through shared memory as their raw bits packed in one
// 32-bit word (B high, C low), so a lane's 8 tokens of both are two 16-byte reads per state instead of four, and
// staging stores one word instead of two; unpacking is one AND (B) and one shift (C) per token. Off by default:
// run 10 measured it 3.3% slower (1.215 vs 1.177 ms at batch 16) although L1/TEX fell from 73% to 58%: the
// unpacking and a spill inside the state loop (64-register cap) cost more than the shared-memory requests saved,
// so that pipe was not what bounds the kernel (docs/gpu-kernels.md, run 10). Passes the tests either way.
#ifndef MSV_SCAN_PACKED_BC
#define MSV_SCAN_PACKED_BC 0
#endif

// State loop unrolled by this factor when > 1 (two states' exp, shuffle and replay chains interleaved, at the
// price of registers under the 64-register cap); 1 leaves the loop as the compiler chooses. Run 10: 2 (with the
// packed B/C) spilled 16/24 bytes and ran 1.23 ms against 1.18.
#ifndef MSV_SCAN_STATE_UNROLL
#define MSV_SCAN_STATE_UNROLL 1
#endif
#define MSV_SCAN_PRAGMA(x) _Pragma(#x)
#define MSV_SCAN_UNROLL(n) MSV_SCAN_PRAGMA(unroll n)

// Compile-time choice between the bounds-checked staging (last tile, partial channel block, dstate < 16) and
// the unchecked one that every other tile takes: the checks cost more instructions than the loads themselves.
template <bool B> struct Guard {
    static constexpr bool value = B;
};

// The raw bits of a bf16 B and C, B in the high half (a float once the low half is masked), C in the low.
template <typename T> __device__ __forceinline__ uint32_t pack_bits(const T& b, const T& c) {
    if constexpr (std::is_same<T, bf16>::value)
        return static_cast<uint32_t>(b.bits) << 16 | c.bits;
    else
        return 0u;  // unused: only bf16 packs
}

template <typename T, bool kHasZ, bool kSoftplus>
__global__ void __launch_bounds__(kThreads, MSV_SCAN_MIN_BLOCKS) selective_scan_kernel(const msv_scan_params p) {
    __shared__ __align__(16) float sDt[kChannels][kRow];
    __shared__ __align__(16) float sDtu[kChannels][kRow];  // dt * u, then y once the channel is scanned
    constexpr bool kPack = MSV_SCAN_PACKED_BC && std::is_same<T, bf16>::value;
    __shared__ __align__(16) float sB[kScanMaxState][kRow];  // kPack: the packed (B, C) bits of each token
    __shared__ __align__(16) float sC[kPack ? 1 : kScanMaxState][kRow];
    __shared__ float sA[kChannels][kScanMaxState];
    __shared__ float sCarry[kChannels][kScanMaxState];  // state entering the tile

    const int lane = threadIdx.x % kLanes;  // position along time within the channel's half-warp
    const int sc_scan = threadIdx.x / kLanes;  // the channel this thread scans
    const int d0 = blockIdx.x * kChannels;
    const int64_t b = blockIdx.y;
    const int N = p.dstate;
    const int L = p.seqlen;
    float* state = p.state + static_cast<int64_t>(p.slot_idx[b]) * p.state_slot_stride;

    for (int i = threadIdx.x; i < kChannels * N; i += kThreads) {
        const int c = i / N, n = i - c * N;
        const bool in = d0 + c < p.dim;
        sA[c][n] = in ? p.A[static_cast<int64_t>(d0 + c) * N + n] * kLog2e : 0.0f;
        sCarry[c][n] = in ? state[static_cast<int64_t>(d0 + c) * N + n] : 0.0f;
    }

    // Staging role: thread handles channel sc of rows st0 + k * kRowsPerPass.
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
    const int64_t step_u = kRowsPerPass * p.u_row_stride, step_d = kRowsPerPass * p.delta_row_stride;
    const int64_t step_b = kRowsPerPass * p.B_row_stride, step_c = kRowsPerPass * p.C_row_stride;
    const int64_t step_z = kRowsPerPass * p.z_row_stride;
    const bool bc_active = sc < N;  // kChannels == kScanMaxState: column sc is also state sc of B and C
    const T* Bm = static_cast<const T*>(p.B) + b * p.B_batch_stride + sc;
    const T* Cm = static_cast<const T*>(p.C) + b * p.C_batch_stride + sc;
    // Every channel of the block exists and B, C fill all 16 columns: tiles that end inside the chunk need no
    // bounds checks at all.
    const bool block_full = d0 + kChannels <= p.dim && N == kScanMaxState;

    for (int t0 = 0; t0 < L; t0 += kTile) {
        __syncthreads();  // the previous tile's output pass is done with the shared arrays
        const int rows_left = L - t0 - st0;  // this thread's row st0 + 16 k is in the chunk iff 16 k < rows_left
        const bool full = block_full && t0 + kTile <= L;  // uniform over the block
        // Every load of the stage is issued before any is used. Thread (row st0 + 16k, column sc) stages u and
        // delta of channel sc and, for sc < N, B and C of state sc: no division by the runtime N.
        auto stage = [&](auto guard) {
            constexpr bool kGuard = decltype(guard)::value;
            float xu[kStage], xd[kStage], vb[kStage], vc[kStage];
            uint32_t wbc[kStage];  // kPack: B bits << 16 | C bits
            const int64_t r0 = t0 + st0;
            // Row pointers advanced by precomputed steps: 64-bit index products per load cost more than the loads.
            const T* pu = u + r0 * p.u_row_stride;
            const T* pd = delta + r0 * p.delta_row_stride;
            const T* pb = Bm + r0 * p.B_row_stride;
            const T* pc = Cm + r0 * p.C_row_stride;
#pragma unroll
            for (int k = 0; k < kStage; ++k) {
                if (kGuard) {
                    const bool in = k * kRowsPerPass < rows_left;
                    xu[k] = (s_active && in) ? to_float(*pu) : 0.0f;
                    xd[k] = (s_active && in) ? to_float(*pd) : 0.0f;
                    if constexpr (kPack) {
                        wbc[k] = (bc_active && in) ? pack_bits(*pb, *pc) : 0u;  // bf16 zero bits: B = C = 0
                    } else {
                        vb[k] = (bc_active && in) ? to_float(*pb) : 0.0f;
                        vc[k] = (bc_active && in) ? to_float(*pc) : 0.0f;
                    }
                } else {
                    xu[k] = to_float(*pu), xd[k] = to_float(*pd);
                    if constexpr (kPack)
                        wbc[k] = pack_bits(*pb, *pc);
                    else
                        vb[k] = to_float(*pb), vc[k] = to_float(*pc);
                }
                pu += step_u, pd += step_d, pb += step_b, pc += step_c;
            }
#pragma unroll
            for (int k = 0; k < kStage; ++k) {
                const int tt = srow(st0, k);
                float v = xd[k] + bias;
                if (kSoftplus) v = softplus(v);
                if (kGuard) v = (s_active && k * kRowsPerPass < rows_left) ? v : 0.0f;
                sDt[sc][tt] = v;
                sDtu[sc][tt] = v * xu[k];
                if (!kGuard || sc < N) {
                    if constexpr (kPack) {
                        sB[sc][tt] = __uint_as_float(wbc[k]);
                    } else {
                        sB[sc][tt] = vb[k];
                        sC[sc][tt] = vc[k];
                    }
                }
            }
        };
        if (full)
            stage(Guard<false>{});
        else
            stage(Guard<true>{});
        __syncthreads();

        {
            const int c = sc_scan;
            const int base = tpos(lane * kItems);  // the lane's 8 tokens: two 16-byte runs, base and base + 4
            float dt[kItems], dtu[kItems], y[kItems];
            auto read8 = [&](const float* row, float (&v)[kItems]) {
                const float4 lo = *reinterpret_cast<const float4*>(row + base);
                const float4 hi = *reinterpret_cast<const float4*>(row + base + 4);
                v[0] = lo.x, v[1] = lo.y, v[2] = lo.z, v[3] = lo.w, v[4] = hi.x, v[5] = hi.y, v[6] = hi.z, v[7] = hi.w;
            };
            read8(sDt[c], dt);
            read8(sDtu[c], dtu);
            // The product of the lane's a_i = 2^(dt_i A) is 2^(A sum dt_i): one exp per state instead of kItems
            // multiplies.
            float sdt = 0.0f;
#pragma unroll
            for (int i = 0; i < kItems; ++i) y[i] = 0.0f, sdt += dt[i];
#if MSV_SCAN_STATE_UNROLL > 1
            MSV_SCAN_UNROLL(MSV_SCAN_STATE_UNROLL)
#endif
            for (int n = 0; n < N; ++n) {
                float Bv[kItems], Cv[kItems];  // kPack: Bv holds the packed words, C is unpacked in the replay
                read8(sB[n], Bv);
                if constexpr (!kPack) read8(sC[n], Cv);
                const float An = sA[c][n];
                float a[kItems], bb[kItems];
                float ga = msv_exp2(sdt * An), gb = 0.0f;  // this lane's tokens composed
#pragma unroll
                for (int i = 0; i < kItems; ++i) {
                    a[i] = msv_exp2(dt[i] * An);
                    bb[i] = dtu[i] * (kPack ? __uint_as_float(__float_as_uint(Bv[i]) & 0xffff0000u) : Bv[i]);
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
                    y[i] += (kPack ? __uint_as_float(__float_as_uint(Bv[i]) << 16) : Cv[i]) * h;
                }
                // Every lane read the carry before the shuffle above could return (h_end depends on it); the last
                // lane's end state is the next tile's carry.
                if (lane == kLanes - 1) sCarry[c][n] = h_end;
            }
            *reinterpret_cast<float4*>(&sDtu[c][base]) = make_float4(y[0], y[1], y[2], y[3]);
            *reinterpret_cast<float4*>(&sDtu[c][base + 4]) = make_float4(y[4], y[5], y[6], y[7]);
        }
        __syncthreads();

        auto emit = [&](auto guard) {
            constexpr bool kGuard = decltype(guard)::value;
            float xu[kStage], xz[kStage];
            const int64_t r0 = t0 + st0;
            const T* pu = u + r0 * p.u_row_stride;
            const T* pz = kHasZ ? z + r0 * p.z_row_stride : nullptr;
#pragma unroll
            for (int k = 0; k < kStage; ++k) {
                const bool in = !kGuard || (s_active && k * kRowsPerPass < rows_left);
                xu[k] = in ? to_float(*pu) : 0.0f;  // again: L2-hot
                xz[k] = (kHasZ && in) ? to_float(*pz) : 0.0f;
                pu += step_u;
                if (kHasZ) pz += step_z;
            }
            T* po = out + r0 * p.out_row_stride;
            const int64_t step_o = kRowsPerPass * p.out_row_stride;
#pragma unroll
            for (int k = 0; k < kStage; ++k) {
                if (!kGuard || (s_active && k * kRowsPerPass < rows_left)) {
                    float v = sDtu[sc][srow(st0, k)] + Dd * xu[k];
                    if (kHasZ) v *= silu(xz[k]);
                    *po = from_float<T>(v);
                }
                po += step_o;
            }
        };
        if (full)
            emit(Guard<false>{});
        else
            emit(Guard<true>{});
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
    // MSV_SCAN_MIN_BLOCKS blocks of ~40 KB static shared memory each need more than the smallest carveout.
    static const bool carveout = (msv_prefer_shared_memory(selective_scan_kernel<T, kHasZ, true>),
                                  msv_prefer_shared_memory(selective_scan_kernel<T, kHasZ, false>), true);
    (void)carveout;
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
