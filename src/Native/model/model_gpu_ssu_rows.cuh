// The state update of a pure decode step on the BLAS path, with dt_proj folded in (DtSsuArgs::xdbl: x_proj's
// output [rows, ld_xdbl] = [dt | B | C] per row): per channel dt = softplus(dt_proj . xdbl[:dt_rank] + dt_bias),
// the selective state update in place on each row's slot, + D x, * silu(z).
//
// Why: as a product of its own, dt_proj (1.6 MB at the mamba-2.8b shape) cost 7-9 us a layer through the vendor
// BLAS at 16-256 rows (docs/gpu-model.md, `--bench-blas`), a launch and a tail for what its bytes take in well under
// a microsecond, and its output went through memory only for the state update to read it back. Here a block owns
// kRowsTile rows and the channels of the state-update layout (dstate / V adjacent threads per channel, V = 4 fp32
// or 8 bf16 states: one 16-byte vector each); it reads its channels' dt_proj rows once for the whole tile.
//
// The product runs on tensor cores for bf16 / fp16 weights on CUDA: the tile's 16 rows are the MMA's M side and
// 8 channels its N side (warp w takes the block's 8-channel tiles w, w + 8, ...). Elsewhere (fp32 weights, HIP)
// each thread sums its share of dt_rank by FMAs and a shuffle adds the shares. Either way the sums go to shared
// memory, where the threads that own the channels read them, and the sum of a row never depends on the other rows,
// so batched rows equal rows alone.
//
// Latency is what such a kernel loses to (a first version read its operands from global memory inside its loops:
// each row's x, z, B and C after the previous row's state store, and each MMA step's operands, one round trip at a
// time, and took 1.7x the two kernels it replaced). So every operand is staged in shared memory by loads that are
// all in flight together: the dt_proj rows of the block's channels before the PDL wait (weights), the tile's
// x_proj rows and its x and z after it; and the states go in batches of 64 bytes of rows per thread, the next batch loading
// while the current one is updated (the first before the wait: this layer's state is written only here).
#pragma once

#include "model/model_gpu_mma_instr.cuh"
#include "model/model_gpu_ssu.cuh"

namespace msv::gpu::model {

constexpr int kRowsTile = 16;  // rows per block: the MMA's M

// Rows whose states a thread holds at once: 64 bytes of them, twice (the batch being updated and the next).
template <typename S> struct RowsBatch {
    static constexpr int value = 64 / (StateVec<S>::kVec * 4);
};

// The block's shared memory, in 16-byte units: dt_proj rows [per_block, ld_dr], the tile's x_proj rows
// [kRowsTile, ld_xdbl], x and z [kRowsTile, per_block] each (all in T), dt [kRowsTile, per_block] (fp32).
struct RowsSmem {
    int w, xd, x, z, dt, total;  // offsets and total, in uint4
};
template <typename T> __host__ __device__ inline RowsSmem rows_smem(const DtSsuArgs& a, int per_block) {
    const auto units = [](int64_t elems, int size) { return static_cast<int>((elems * size + 15) / 16); };
    RowsSmem m{};
    m.w = 0;
    m.xd = m.w + units(int64_t(per_block) * a.ld_dr, sizeof(T));
    m.x = m.xd + units(int64_t(kRowsTile) * a.ld_xdbl, sizeof(T));
    m.z = m.x + units(int64_t(kRowsTile) * per_block, sizeof(T));
    m.dt = m.z + units(int64_t(kRowsTile) * per_block, sizeof(T));
    m.total = m.dt + units(int64_t(kRowsTile) * per_block, 4);
    return m;
}

// Copies `rows` rows of `cols` elements (16-byte chunks; row strides in elements, multiples of 16 bytes) from
// global to shared memory, 4 chunks per thread in flight; chunks at or past `valid` columns, and rows past `rows`
// up to `pad_rows`, become zeros.
template <typename T>
__device__ __forceinline__ void stage(uint4* dst, int ld_dst, const T* src, int64_t ld_src, int rows, int pad_rows,
                                      int cols, int valid) {
    constexpr int CE = 16 / sizeof(T);
    const int cpr = (cols + CE - 1) / CE, n = pad_rows * cpr;
    for (int i0 = threadIdx.x; i0 < n; i0 += 4 * kSsuThreads) {
        uint4 v[4];
#pragma unroll
        for (int u = 0; u < 4; ++u) {
            const int i = i0 + u * kSsuThreads, r = i / cpr, c = i - r * cpr;
            v[u] = i < n && r < rows && c * CE < valid
                       ? *reinterpret_cast<const uint4*>(src + r * ld_src + static_cast<int64_t>(c) * CE)
                       : make_uint4(0, 0, 0, 0);
        }
#pragma unroll
        for (int u = 0; u < 4; ++u) {
            const int i = i0 + u * kSsuThreads, r = i / cpr, c = i - r * cpr;
            if (i < n) dst[r * (ld_dst * static_cast<int>(sizeof(T)) / 16) + c] = v[u];
        }
    }
}

// dt[r][c] = dt_proj[c] . xd[r][:dt_rank] for the tile's rows and the block's channels, on tensor cores: the 16 rows
// are the MMA's M side, 8 channels its N side (warp w takes the block's 8-channel tiles w, w + 8, ...).
template <typename T>
__device__ __forceinline__ void dt_product_mma(const DtSsuArgs& a, int per_block, const T* w, const T* xd, float* dt) {
#if !defined(MSV_HIP)
    const int lane = threadIdx.x % MSV_GROUP, warp = threadIdx.x / MSV_GROUP;
    const int gq = lane >> 2, t = lane & 3;
    const T* x_lo = xd + gq * a.ld_xdbl;
    const T* x_hi = x_lo + 8 * a.ld_xdbl;
    const int steps = (a.dr + 15) / 16;
    for (int tile = warp; tile * 8 < per_block; tile += kSsuThreads / MSV_GROUP) {
        const T* wn = w + (tile * 8 + gq) * a.ld_dr;
        float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        for (int s = 0; s < steps; ++s) {
            const int k = s * 16 + 2 * t;
            MmaInstr<T>::run(acc, pair_word(x_lo, k, a.dr), pair_word(x_hi, k, a.dr), pair_word(x_lo, k + 8, a.dr),
                             pair_word(x_hi, k + 8, a.dr), pair_word(wn, k, a.dr), pair_word(wn, k + 8, a.dr));
        }
        const int c = tile * 8 + 2 * t;  // D[row gq (+ 8)][channel c, c + 1]
        dt[gq * per_block + c] = acc[0], dt[gq * per_block + c + 1] = acc[1];
        dt[(gq + 8) * per_block + c] = acc[2], dt[(gq + 8) * per_block + c + 1] = acc[3];
    }
#endif
}

// The same product by FMAs: a thread sums dt_rank elements g, g + group, ... of its channel for every row of the
// tile, and the channel's threads add their shares through shuffles.
template <typename T>
__device__ __forceinline__ void dt_product_fma(const DtSsuArgs& a, int per_block, int g, int lg, int c, const T* w,
                                               const T* xd, float* dt) {
    const int group = 1 << lg;
    float acc[kRowsTile];
#pragma unroll
    for (int r = 0; r < kRowsTile; ++r) acc[r] = 0.0f;
    for (int k = g; k < a.dr; k += group) {
        const float wk = to_float(w[c * a.ld_dr + k]);
#pragma unroll
        for (int r = 0; r < kRowsTile; ++r) acc[r] = fmaf(wk, to_float(xd[r * a.ld_xdbl + k]), acc[r]);
    }
#pragma unroll
    for (int r = 0; r < kRowsTile; ++r) {
        for (int off = group >> 1; off > 0; off >>= 1) acc[r] += __shfl_xor_sync(MSV_GROUP_MASK, acc[r], off, MSV_GROUP);
        if (g == 0) dt[r * per_block + c] = acc[r];
    }
}

// lg: log2 of the threads per channel (dstate / V, a power of two <= MSV_GROUP: dt_ssu_supported).
template <typename T, typename S, bool kMma>
__global__ void __launch_bounds__(kSsuThreads, 4) dt_ssu_rows_kernel(const DtSsuArgs a, int lg) {
    constexpr int V = StateVec<S>::kVec, RB = RowsBatch<S>::value;
    extern __shared__ uint4 smem[];
    const int group = 1 << lg;
    const int g = threadIdx.x & (group - 1), c = threadIdx.x >> lg;
    const int per_block = kSsuThreads >> lg;
    const int d0 = blockIdx.x * per_block, d = d0 + c;
    const bool act = d < a.di;
    const int r0 = blockIdx.y * kRowsTile, rows = min(kRowsTile, a.rows - r0);
    const int n0 = g * V;
    const RowsSmem m = rows_smem<T>(a, per_block);
    const T* sw = reinterpret_cast<const T*>(smem + m.w);
    const T* sxd = reinterpret_cast<const T*>(smem + m.xd);
    const T* sx = reinterpret_cast<const T*>(smem + m.x);
    const T* sz = reinterpret_cast<const T*>(smem + m.z);
    float* sdt = reinterpret_cast<float*>(smem + m.dt);

    // Before the wait: the weights and the first batch of states.
    stage<T>(smem + m.w, a.ld_dr, static_cast<const T*>(a.dt_proj) + int64_t(d0) * a.ld_dr, a.ld_dr,
             min(per_block, a.di - d0), per_block, a.ld_dr, a.ld_dr);
    float A[V];
    float bias = 0.0f, Dd = 0.0f;
    if (act) {
#pragma unroll
        for (int q = 0; q < V / 4; ++q) {
            const float4 v = reinterpret_cast<const float4*>(a.A + static_cast<int64_t>(d) * a.ds + n0)[q];
            A[4 * q] = v.x, A[4 * q + 1] = v.y, A[4 * q + 2] = v.z, A[4 * q + 3] = v.w;
        }
        bias = a.dt_bias[d];
        Dd = a.D ? a.D[d] : 0.0f;
    }
    const auto state_at = [&](int r) {
        return static_cast<S*>(a.state) + static_cast<int64_t>(a.slot[r0 + r]) * a.slot_stride +
               static_cast<int64_t>(d) * a.ds + n0;
    };
    float h[2][RB][V];
    const auto load_states = [&](int rb, float (&hb)[RB][V]) {
#pragma unroll
        for (int q = 0; q < RB; ++q)
            if (act && rb + q < rows) StateVec<S>::load(state_at(rb + q), hb[q]);
    };
    load_states(0, h[0]);
    msv_pdl_wait();
    msv_pdl_launch_dependents();

    // After it: the tile's x_proj rows, x and z of the block's channels.
    const int valid = a.di - d0;
    stage<T>(smem + m.xd, a.ld_xdbl, static_cast<const T*>(a.xdbl) + int64_t(r0) * a.ld_xdbl, a.ld_xdbl, rows,
             kRowsTile, a.ld_xdbl, a.ld_xdbl);
    stage<T>(smem + m.x, per_block, static_cast<const T*>(a.x) + int64_t(r0) * a.ld_x + d0, a.ld_x, rows, kRowsTile,
             per_block, valid);
    stage<T>(smem + m.z, per_block, static_cast<const T*>(a.z) + int64_t(r0) * a.ld_z + d0, a.ld_z, rows, kRowsTile,
             per_block, valid);
    __syncthreads();
    if constexpr (kMma)
        dt_product_mma<T>(a, per_block, sw, sxd, sdt);
    else
        dt_product_fma<T>(a, per_block, g, lg, c, sw, sxd, sdt);
    __syncthreads();

#pragma unroll
    for (int rb = 0; rb < kRowsTile; rb += RB) {
        if (rb >= rows) break;
        const int cur = (rb / RB) & 1;
        if (rb + RB < rows) load_states(rb + RB, h[cur ^ 1]);
#pragma unroll
        for (int q = 0; q < RB; ++q) {
            const int r = rb + q;
            if (r >= rows) break;
            const float x = to_float(sx[r * per_block + c]);
            float y = 0.0f;
            if (act) {
                // dt_proj's output rounds to the activation type, as the BLAS path's product is stored.
                const float dt = softplus(round_to<T>(sdt[r * per_block + c]) + bias);
                const float dtx = dt * x, vl = dt * kLog2e;
                const T* B = sxd + r * a.ld_xdbl + a.dr + n0;
                const T* C = B + a.ds;
#pragma unroll
                for (int k = 0; k < V; ++k) {
                    h[cur][q][k] = msv_exp2(vl * A[k]) * h[cur][q][k] + dtx * to_float(B[k]);
                    y += to_float(C[k]) * h[cur][q][k];  // the fp32 h, before rounding to the pool's type
                }
                StateVec<S>::store(state_at(r), h[cur][q]);
            }
            for (int off = group >> 1; off > 0; off >>= 1) y += __shfl_xor_sync(MSV_GROUP_MASK, y, off, MSV_GROUP);
            if (act && g == 0) {
                y += Dd * x;
                y *= silu(to_float(sz[r * per_block + c]));
                static_cast<T*>(a.y)[(r0 + r) * a.ld_y + d] = from_float<T>(y);
            }
        }
    }
}

template <typename S> int rows_lg(const DtSsuArgs& a) {
    int lg = 0;
    while ((1 << lg) < a.ds / StateVec<S>::kVec) ++lg;
    return lg;
}

// Whether the kernel's shared memory fits in `limit` bytes a block, and if it needs more than the default 48 KB,
// the attribute that allows it (set here, at model create: not during a graph capture).
template <typename T, typename S> msv_status dt_ssu_rows_prepare_typed(const DtSsuArgs& a, size_t limit) {
    const size_t smem = size_t(rows_smem<T>(a, kSsuThreads >> rows_lg<S>(a)).total) * 16;
    if (smem > limit) return MSV_ERR_INVALID_ARGUMENT;
    // HIP has no 48 KB default to lift (its limit is the block's LDS, 64 KB on the MI200 / MI300 series).
#if defined(MSV_HIP)
    return MSV_OK;
#else
    if (smem <= 48 * 1024) return MSV_OK;
    const auto allow = [&](const void* kernel) {
        return cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(limit)) ==
               cudaSuccess;
    };
    bool ok = allow(reinterpret_cast<const void*>(dt_ssu_rows_kernel<T, S, false>));
    if constexpr (sizeof(T) == 2) ok = ok && allow(reinterpret_cast<const void*>(dt_ssu_rows_kernel<T, S, true>));
    if (!ok) (void)cudaGetLastError();
    return ok ? MSV_OK : MSV_ERR_INVALID_ARGUMENT;
#endif
}

// mma: the product on tensor cores (the caller's mma_supported; 2-byte weights on CUDA only).
template <typename T, typename S>
msv_status launch_dt_ssu_rows_typed(const DtSsuArgs& a, bool mma, cudaStream_t s, bool pdl) {
    const int lg = rows_lg<S>(a), per_block = kSsuThreads >> lg;
    const dim3 grid((a.di + per_block - 1) / per_block, (a.rows + kRowsTile - 1) / kRowsTile);
    const size_t smem = size_t(rows_smem<T>(a, per_block).total) * 16;
    cudaError_t err = cudaSuccess;
    bool done = false;
#if !defined(MSV_HIP)
    if constexpr (sizeof(T) == 2)
        if (mma)
            err = launch_kernel(dt_ssu_rows_kernel<T, S, true>, grid, dim3(kSsuThreads), smem, s, pdl, a, lg),
            done = true;
#endif
    if (!done) err = launch_kernel(dt_ssu_rows_kernel<T, S, false>, grid, dim3(kSsuThreads), smem, s, pdl, a, lg);
    if (err != cudaSuccess)
        return set_error(MSV_ERR_DEVICE, std::string("dt_ssu_rows launch: ") + cudaGetErrorString(err));
    return MSV_OK;
}

template <typename T>
msv_status launch_dt_ssu_rows_t(msv_dtype state, const DtSsuArgs& a, bool mma, cudaStream_t s, bool pdl) {
    return state == MSV_BF16 ? launch_dt_ssu_rows_typed<T, bf16>(a, mma, s, pdl)
                             : launch_dt_ssu_rows_typed<T, float>(a, mma, s, pdl);
}

template <typename T> msv_status dt_ssu_rows_prepare_t(msv_dtype state, const DtSsuArgs& a, size_t limit) {
    return state == MSV_BF16 ? dt_ssu_rows_prepare_typed<T, bf16>(a, limit)
                             : dt_ssu_rows_prepare_typed<T, float>(a, limit);
}

}  // namespace msv::gpu::model
