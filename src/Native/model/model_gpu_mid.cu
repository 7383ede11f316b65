// The middle of a pure decode step on the BLAS path in one kernel: each token's conv update, x_proj and dt_proj.
//
// Why: at 16-256 rows these were four or five kernels (the conv update, x_proj split along K and its slice sum, and
// dt_proj), each a short latency-bound launch on 2-5 MB, and together they cost 12-23 us a layer inside the
// replayed graph, ~0.8-1.4 ms of a step (docs/gpu-model.md, "Session 2026-12-03, eighth"). Here one grid of
// co-resident blocks runs them as phases separated by grid barriers:
//  1. conv: block (s, nt) of slices x tiles owns the channels of x_proj's K slice s (kSliceChunks chunks) for every
//     NT-th row; it updates their conv state and writes the conv output xc;
//  2. x_proj: after the slice's NT blocks arrive, block (s, nt) multiplies xc's slice (all rows, through L2) by its
//     kOutTile outputs of x_proj (weights loaded into registers before the PDL wait) on tensor cores, and writes
//     the slice's fp32 sums to `partial`;
//  3. after a grid barrier, every block adds the slices of its share of the outputs, in slice order, into xdbl;
//  4. after another, dt_proj: warps take (16 channels, 32 rows) items of delta = dt_proj . xdbl[:, :dt_rank].
// A row's bits depend only on the model's shape (the slices are fixed by K), not on the batch: batched rows equal
// rows alone. The grid never exceeds what the device holds at once (Model checks the occupancy at create), so the
// barriers cannot wait on a block that has not started. The kernel does not let its successor launch early: the
// state update reads xc, B and C before its own PDL wait, and they are written here.
// CUDA sm_80+ only (mma.sync); on HIP the launcher answers unsupported and the model keeps the kernel chain.
// Result on the H200: slower than the chain at 32-256 rows (each phase costs what its kernel did, and the barriers
// what the kernel boundaries did), so it is off unless MSV_MID_ROWS is set; the commit after this one removes it.
#include "gpu/check.h"
#include "gpu/dtype.cuh"
#include "gpu/launch_kernel.cuh"
#include "model/model_gpu_chunk.cuh"
#include "model/model_gpu_conv_epilogue.cuh"
#include "model/model_gpu_kernels.h"
#include "model/model_gpu_mma_instr.cuh"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace msv::gpu::model {
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / MSV_GROUP;
constexpr int kOutTile = 64;        // x_proj outputs of a block: kWarps / 2 MMA tiles of 16

#if !defined(MSV_HIP)

constexpr int kRowTilesInFlight = 4;  // 8-row tiles whose loads and MMAs a warp interleaves
constexpr int kConvRowsInFlight = 16; // conv rows a thread loads before it updates any
constexpr int kMaxSlices = 64;        // x_proj K slices summed with every load in flight (d_inner <= 8192)
static_assert(kOutTile == (kWarps / 2) * 16, "two warps per 16-output tile, one for each row parity");

// Arrival at a barrier of `n` blocks on a counter that only grows (zeroed at create, never reset): arrivals k n ..
// (k + 1) n - 1 form one generation, so the counter serves every launch and every graph replay. The fence before
// the arrival publishes the block's writes; readers load them through L2 (__ldcg), never a stale L1 line.
__device__ __forceinline__ void arrive_and_wait(unsigned long long* counter, unsigned long long n) {
    __syncthreads();
    if (n > 1 && threadIdx.x == 0) {
        __threadfence();
        const unsigned long long target = (atomicAdd(counter, 1ull) / n + 1) * n;
        unsigned long long seen;
        while (true) {
            asm volatile("ld.acquire.gpu.global.u64 %0, [%1];" : "=l"(seen) : "l"(counter) : "memory");
            if (seen >= target) break;
            __nanosleep(32);  // fewer polls of the line the arrivals add to
        }
    }
    __syncthreads();
}

// MSV_MID_SKIP bit kMidTimes: each block's thread 0 stamps clock64() at the phase boundaries of every launch (the
// last launch's stamps are printed when the model is destroyed; docs/gpu-model.md).
constexpr int kTimedBlocks = 256, kStamps = 8;
__device__ unsigned long long g_mid_clock[kTimedBlocks][kStamps];
__device__ __forceinline__ void stamp(const MidArgs& a, int k) {
    if ((a.skip & kMidTimes) && threadIdx.x == 0 && blockIdx.x < kTimedBlocks) g_mid_clock[blockIdx.x][k] = clock64();
}

__device__ __forceinline__ uint4 load_l2(const void* p) { return __ldcg(static_cast<const uint4*>(p)); }

// Two adjacent 2-byte values of one 32-bit word, and back.
template <typename T> __device__ __forceinline__ float half_of(uint32_t w, int hi);
template <> __device__ __forceinline__ float half_of<bf16>(uint32_t w, int hi) {
    return __uint_as_float(hi ? (w & 0xffff0000u) : (w << 16));
}
template <> __device__ __forceinline__ float half_of<__half>(uint32_t w, int hi) {
    return __half2float(__ushort_as_half(static_cast<unsigned short>(hi ? (w >> 16) : (w & 0xffffu))));
}
template <typename T> __device__ __forceinline__ uint32_t pack_pair(float lo, float hi);
template <> __device__ __forceinline__ uint32_t pack_pair<bf16>(float lo, float hi) { return msv_bf16x2_bits(lo, hi); }
template <> __device__ __forceinline__ uint32_t pack_pair<__half>(float lo, float hi) {
    return static_cast<uint32_t>(__half_as_ushort(__float2half_rn(lo))) |
           static_cast<uint32_t>(__half_as_ushort(__float2half_rn(hi))) << 16;
}

// Phase 1: the conv update of channels c0 and c0 + 1 (fixed per thread; c0 even) for rows m0, m0 + step, ...: a
// pair's S states a channel are 2 S adjacent values, S words, as are its two inputs and outputs one word each. Every
// row's loads of a batch are issued before any state is written (rows never share a state: a slot per decode row).
template <typename T, int S>
__device__ void conv_pairs(const MidArgs& a, const int32_t* slots, int c0, int m0, int step) {
    const ConvArgs& cv = a.conv;
    const ConvTaps t0 = conv_taps(cv, c0), t1 = conv_taps(cv, c0 + 1);
    const T* xz = static_cast<const T*>(a.xz);
    T* state = static_cast<T*>(cv.state);
    T* xc = static_cast<T*>(cv.xc);
    for (int base = m0; base < a.M; base += kConvRowsInFlight * step) {
        uint32_t xw[kConvRowsInFlight], sw[kConvRowsInFlight][3];
#pragma unroll
        for (int u = 0; u < kConvRowsInFlight; ++u) {
            const int m = base + u * step;
            if (m >= a.M) break;
            const uint32_t* st = reinterpret_cast<const uint32_t*>(state + slots[m] * cv.slot_stride + int64_t(c0) * S);
            xw[u] = *reinterpret_cast<const uint32_t*>(xz + int64_t(m) * a.ld_xz + c0);
#pragma unroll
            for (int k = 0; k < 3; ++k) sw[u][k] = k < S ? st[k] : 0u;
        }
#pragma unroll
        for (int u = 0; u < kConvRowsInFlight; ++u) {
            const int m = base + u * step;
            if (m >= a.M) break;
            // e: channel c0's states, then c0 + 1's; each channel's window is its states and its input.
            float e[6], w0[4], w1[4];
#pragma unroll
            for (int j = 0; j < 6; ++j) e[j] = j < 2 * S ? half_of<T>(sw[u][j >> 1], j & 1) : 0.0f;
            const float x0 = half_of<T>(xw[u], 0), x1 = half_of<T>(xw[u], 1);
#pragma unroll
            for (int k = 0; k < 4; ++k) {
                w0[k] = k < S ? e[k] : (k == S ? x0 : 0.0f);
                w1[k] = k < S ? e[S + k] : (k == S ? x1 : 0.0f);
            }
            // The shifted states, S a channel: window entries 1 .. S of each.
            float n[6];
#pragma unroll
            for (int j = 0; j < 2 * S; ++j) n[j] = j < S ? w0[j + 1] : w1[j - S + 1];
            uint32_t* st = reinterpret_cast<uint32_t*>(state + slots[m] * cv.slot_stride + int64_t(c0) * S);
#pragma unroll
            for (int k = 0; k < 3; ++k)
                if (k < S) st[k] = pack_pair<T>(n[2 * k], n[2 * k + 1]);
            *reinterpret_cast<uint32_t*>(xc + int64_t(m) * cv.ld_xc + c0) =
                pack_pair<T>(conv_window(t0, S, w0), conv_window(t1, S, w1));
        }
    }
}

// D (16 weight rows x 8 batch rows) += W X^T over `steps` steps of 32 K elements: w[st][0 / 1] are 16-byte chunks t of
// step st of weight rows g and g + 8, x[st] chunk t of X row g (model_gpu_mma.cu: the same permutation of K in both).
template <typename T, int kSteps>
__device__ __forceinline__ void mma_steps(float (&d)[4], const uint4 (&w)[kSteps][2], const uint4 (&x)[kSteps],
                                          int steps) {
#pragma unroll
    for (int st = 0; st < kSteps; ++st) {
        if (st >= steps) break;
        MmaInstr<T>::run(d, w[st][0].x, w[st][1].x, w[st][0].y, w[st][1].y, x[st].x, x[st].y);
        MmaInstr<T>::run(d, w[st][0].z, w[st][1].z, w[st][0].w, w[st][1].w, x[st].z, x[st].w);
    }
}

template <typename T>
__global__ void __launch_bounds__(kThreads, 1) mid_kernel(const MidArgs a) {
    constexpr int E = Chunk<T>::kElems;
    const int lane = threadIdx.x % MSV_GROUP, warp = threadIdx.x / MSV_GROUP;
    const int g = lane >> 2, t = lane & 3;
    const int NT = (a.nx + kOutTile - 1) / kOutTile;
    const int s = blockIdx.x / NT, nt = blockIdx.x % NT;
    const int slices = gridDim.x / NT;
    const T* wx = static_cast<const T*>(a.wx);
    const T* wdt = static_cast<const T*>(a.wdt);
    stamp(a, 0);

    // x_proj: this warp's 16 outputs and row parity; the weights of its slice (4 steps) before the wait.
    const int n_tile = nt * kOutTile + (warp >> 1) * 16;
    const int parity = warp & 1;
    const int n_lo = n_tile + g, n_hi = n_lo + 8;
    uint4 wq[kSliceSteps][2];
#pragma unroll
    for (int st = 0; st < kSliceSteps; ++st) {
        const int c = (s * kSliceSteps + st) * 4 + t;
        const bool ok = c < a.kc_x;
        wq[st][0] = ok && n_lo < a.nx ? load_weights(wx + static_cast<int64_t>(n_lo) * a.kc_x * E + c * E)
                                      : make_uint4(0, 0, 0, 0);
        wq[st][1] = ok && n_hi < a.nx ? load_weights(wx + static_cast<int64_t>(n_hi) * a.kc_x * E + c * E)
                                      : make_uint4(0, 0, 0, 0);
    }
    // dt_proj: the 16-channel rows of this warp's first item, pulled into L2.
    const int dt_rows = a.dt_tiles * 8;  // rows of a dt_proj item
    const int ch_tiles = (a.conv.di + 15) / 16, row_groups = (a.M + dt_rows - 1) / dt_rows;
    const int items = ch_tiles * row_groups, warps = gridDim.x * kWarps;
    const int first_item = blockIdx.x * kWarps + warp;
    if (lane == 0 && first_item < items && wdt != nullptr) {
        const int ct = first_item / row_groups;
        const int rows = min(16, a.conv.di - ct * 16);
        msv_prefetch_l2(wdt + static_cast<int64_t>(ct) * 16 * a.kc_dt * E,
                        static_cast<uint32_t>(rows * a.kc_dt * 16));
    }
    msv_pdl_wait();

    // 1. The conv update of the slice's channels (in pairs), every NT-th row.
    __shared__ int32_t slots[kMidMaxRows];
    for (int m = threadIdx.x; m < a.M; m += kThreads) slots[m] = a.conv.slot[m];
    __syncthreads();
    if (!(a.skip & kSkipConv)) {
        const int pairs = kSliceSteps * 4 * E / 2;  // channel pairs of a slice
        const int c0 = s * 2 * pairs + 2 * (threadIdx.x % pairs);
        const int m0 = nt + NT * (threadIdx.x / pairs), step = NT * (kThreads / pairs);
        if (c0 < a.conv.di) {
            if (a.conv.dc == 4) conv_pairs<T, 3>(a, slots, c0, m0, step);
            else if (a.conv.dc == 3) conv_pairs<T, 2>(a, slots, c0, m0, step);
            else conv_pairs<T, 1>(a, slots, c0, m0, step);
        }
    }
    stamp(a, 1);
    if (!(a.skip & kSkipBarriers)) arrive_and_wait(a.barrier + 1 + s, NT);
    stamp(a, 2);

    // 2. x_proj's slice s: rows in tiles of 8, kRowTilesInFlight at a time, X through L2 (written by phase 1).
    const T* xc = static_cast<const T*>(a.conv.xc);
    if (n_tile < a.nx && !(a.skip & kSkipXProj)) {
        for (int j0 = parity; j0 * 8 < a.M; j0 += 2 * kRowTilesInFlight) {
            uint4 xq[kRowTilesInFlight][kSliceSteps];
#pragma unroll
            for (int q = 0; q < kRowTilesInFlight; ++q) {
                const int m = (j0 + 2 * q) * 8 + g;
#pragma unroll
                for (int st = 0; st < kSliceSteps; ++st) {
                    const int c = (s * kSliceSteps + st) * 4 + t;
                    xq[q][st] = m < a.M && c < a.kc_x ? load_l2(xc + static_cast<int64_t>(m) * a.conv.ld_xc + c * E)
                                                      : make_uint4(0, 0, 0, 0);
                }
            }
            float d[kRowTilesInFlight][4] = {};
#pragma unroll
            for (int q = 0; q < kRowTilesInFlight; ++q) mma_steps<T, kSliceSteps>(d[q], wq, xq[q], kSliceSteps);
            // Lane (g, t) holds D[n_lo or n_hi][m = 8 tile + 2 t + (v & 1)].
#pragma unroll
            for (int q = 0; q < kRowTilesInFlight; ++q)
#pragma unroll
                for (int v = 0; v < 4; ++v) {
                    const int n = v < 2 ? n_lo : n_hi, m = (j0 + 2 * q) * 8 + 2 * t + (v & 1);
                    if (n < a.nx && m < a.M) a.partial[(static_cast<int64_t>(s) * a.M + m) * a.nx + n] = d[q][v];
                }
        }
    }
    stamp(a, 3);
    if (!(a.skip & kSkipBarriers)) arrive_and_wait(a.barrier, gridDim.x);
    stamp(a, 4);

    // 3. xdbl = the slices' sums, in slice order; each block a share of the M x nx outputs, each thread an output's
    // slices all at once.
    if (!(a.skip & kSkipReduce)) {
        const int total = a.M * a.nx;
        const int per_block = (total + gridDim.x - 1) / gridDim.x;
        const int e_end = min(total, (blockIdx.x + 1) * per_block);
        for (int e = blockIdx.x * per_block + threadIdx.x; e < e_end; e += kThreads) {
            float v[kMaxSlices];
#pragma unroll
            for (int z = 0; z < kMaxSlices; ++z)
                v[z] = z < slices ? __ldcg(a.partial + static_cast<int64_t>(z) * total + e) : 0.0f;
            float sum = 0.0f;
#pragma unroll
            for (int z = 0; z < kMaxSlices; ++z)
                if (z < slices) sum += v[z];
            const int m = e / a.nx, n = e % a.nx;
            static_cast<T*>(a.xdbl)[static_cast<int64_t>(m) * a.ld_nx + n] = from_float<T>(sum);
        }
    }
    stamp(a, 5);
    if (a.wdt == nullptr) return;  // dt_proj follows as a product of its own
    if (!(a.skip & kSkipBarriers)) arrive_and_wait(a.barrier, gridDim.x);
    stamp(a, 6);

    // 4. dt_proj: item (16 channels, dt_tiles x 8 rows) per warp at a time; xdbl's first kc_dt chunks of each row through L2.
    const T* xdbl = static_cast<const T*>(a.xdbl);
    const int steps = (a.kc_dt + 3) / 4;
    for (int item = first_item; item < items && !(a.skip & kSkipDtProj); item += warps) {
        const int ct = item / row_groups, rg = item % row_groups;
        const int ch_lo = ct * 16 + g, ch_hi = ch_lo + 8;
        uint4 wd[kDtMaxSteps][2];
        uint4 xq[kRowTilesInFlight][kDtMaxSteps];
#pragma unroll
        for (int st = 0; st < kDtMaxSteps; ++st) {
            const int c = st * 4 + t;
            const bool ok = st < steps && c < a.kc_dt;
            wd[st][0] = ok && ch_lo < a.conv.di ? load_weights(wdt + static_cast<int64_t>(ch_lo) * a.kc_dt * E + c * E)
                                               : make_uint4(0, 0, 0, 0);
            wd[st][1] = ok && ch_hi < a.conv.di ? load_weights(wdt + static_cast<int64_t>(ch_hi) * a.kc_dt * E + c * E)
                                               : make_uint4(0, 0, 0, 0);
#pragma unroll
            for (int q = 0; q < kRowTilesInFlight; ++q) {
                const int m = rg * dt_rows + q * 8 + g;
                xq[q][st] = ok && q < a.dt_tiles && m < a.M ? load_l2(xdbl + static_cast<int64_t>(m) * a.ld_nx + c * E)
                                          : make_uint4(0, 0, 0, 0);
            }
        }
        float d[kRowTilesInFlight][4] = {};
#pragma unroll
        for (int q = 0; q < kRowTilesInFlight; ++q)
            if (q < a.dt_tiles) mma_steps<T, kDtMaxSteps>(d[q], wd, xq[q], steps);
#pragma unroll
        for (int q = 0; q < kRowTilesInFlight; ++q)
#pragma unroll
            for (int v = 0; v < 4; ++v) {
                const int ch = v < 2 ? ch_lo : ch_hi, m = rg * dt_rows + q * 8 + 2 * t + (v & 1);
                if (ch < a.conv.di && m < a.M && q < a.dt_tiles)
                    static_cast<T*>(a.delta)[static_cast<int64_t>(m) * a.ld_delta + ch] = from_float<T>(d[q][v]);
            }
    }
    stamp(a, 7);
}

#endif  // !MSV_HIP

}  // namespace

int mid_slices(int kc_x) { return (kc_x + kSliceSteps * 4 - 1) / (kSliceSteps * 4); }
int mid_blocks(int nx, int kc_x) { return mid_slices(kc_x) * ((nx + kOutTile - 1) / kOutTile); }

msv_status mid_capacity(msv_dtype wt, int* blocks) {
    *blocks = 0;
#if defined(MSV_HIP)
    (void)wt;
    return MSV_OK;
#else
    int per_sm = 0, device = 0, sms = 0;
    const cudaError_t e1 = cudaOccupancyMaxActiveBlocksPerMultiprocessor(
        &per_sm, wt == MSV_BF16 ? mid_kernel<bf16> : mid_kernel<__half>, kThreads, 0);
    const cudaError_t e2 = cudaGetDevice(&device);
    const cudaError_t e3 = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
    if (e1 != cudaSuccess || e2 != cudaSuccess || e3 != cudaSuccess)
        return set_error(MSV_ERR_DEVICE, "decode middle: occupancy query failed");
    *blocks = per_sm * sms;
    return MSV_OK;
#endif
}

void mid_print_times(int blocks) {
#if !defined(MSV_HIP)
    unsigned long long t[kTimedBlocks][kStamps];
    int khz = 0, device = 0;
    if (cudaMemcpyFromSymbol(t, g_mid_clock, sizeof t) != cudaSuccess || cudaGetDevice(&device) != cudaSuccess ||
        cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, device) != cudaSuccess || khz <= 0)
        return;
    blocks = std::min(blocks, kTimedBlocks);
    static const char* names[kStamps - 1] = {"conv", "slice_barrier", "x_proj", "barrier", "reduce", "barrier2", "dt_proj"};
    for (int k = 0; k + 1 < kStamps; ++k) {
        std::vector<double> us;
        for (int b = 0; b < blocks; ++b) us.push_back(double(t[b][k + 1] - t[b][k]) / khz * 1e3);
        std::sort(us.begin(), us.end());
        std::fprintf(stderr, "{\"what\":\"mid_phase\",\"phase\":\"%s\",\"median_us\":%.2f,\"max_us\":%.2f}\n",
                     names[k], us[us.size() / 2], us.back());
    }
#else
    (void)blocks;
#endif
}

msv_status launch_mid(msv_dtype wt, const MidArgs& a, cudaStream_t s, bool pdl) {
#if defined(MSV_HIP)
    (void)wt, (void)a, (void)s, (void)pdl;
    return set_error(MSV_ERR_UNSUPPORTED, "decode middle: not built for HIP");
#else
    if (a.M <= 0 || a.M > kMidMaxRows || wt == MSV_F32 || a.kc_dt > kDtMaxSteps * 4 || a.conv.dc > 4 ||
        mid_slices(a.kc_x) > kMaxSlices || a.conv.di % 2 != 0)
        return set_error(MSV_ERR_INVALID_ARGUMENT, "decode middle: " + std::to_string(a.M) + " rows, d_inner " +
                                                       std::to_string(a.conv.di) + ", dt_proj of " +
                                                       std::to_string(a.kc_dt) + " chunks, or fp32 weights");
    const dim3 grid(mid_blocks(a.nx, a.kc_x));
    const cudaError_t err = wt == MSV_BF16 ? launch_kernel(mid_kernel<bf16>, grid, dim3(kThreads), 0, s, pdl, a)
                                           : launch_kernel(mid_kernel<__half>, grid, dim3(kThreads), 0, s, pdl, a);
    return launch_status(err, "decode middle launch");
#endif
}

}  // namespace msv::gpu::model
