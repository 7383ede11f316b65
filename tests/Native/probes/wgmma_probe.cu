// Probe (docs/gpu-model.md, "Session 2026-12-03, fourth"): can a projection of 8-64 batch rows read its bf16 weights
// near the copy rate on the H200 if a producer warp streams weight tiles into a shared-memory ring with the tensor
// memory accelerator (TMA) and one or two consumer warpgroups multiply them straight from shared memory with wgmma?
// The probe "stream_probe.cu" found the ring itself fast (0.92x the copy floor) and consumers that unpack tiles into
// registers slow; wgmma reads both operands from shared memory, so the consumers issue a few instructions a tile.
//
//   Y[m, n] = sum_k X[m, k] W[n, k]    W: [N, K] bf16 row-major (the model's weights), X: [M, K] bf16.
//
// wgmma's M side (64) is 64 weight rows, its N side the batch (NB = 8..64 columns, rows past M read as zeros by the
// TMA); both operands K-major with the 128-byte swizzle, a 64-element K tile a stage. Split-K over grid.y writes fp32
// partials summed by a second kernel in split order. Checked against a plain fp32 kernel; timed against cuBLAS on
// 16 copies of the weights (as 16 layers: the 26 MB of out_proj would otherwise sit in the 50 MB L2).
// Not part of the test build; on the device:
//   nvcc -O3 -std=c++17 -gencode arch=compute_90a,code=sm_90a tests/Native/probes/wgmma_probe.cu -o /tmp/wgmma_probe -lcuda -lcublas && /tmp/wgmma_probe
#include "probe_products.cuh"
#include "probe_wgmma.cuh"

#include <cublas_v2.h>

#include <algorithm>
#include <cmath>
#include <vector>

constexpr int kWRows = 64;               // weight rows a consumer warpgroup
constexpr int kWTileBytes = kWRows * 128;

template <int WG, int NB> __host__ __device__ constexpr int stage_bytes() { return WG * kWTileBytes + align1k(NB * 128); }

// Stage i's MMAs once its data is in: D += A B over the stage's 64 K (A at byte `a_off` of the stage, B at `b_off`),
// then one group left in flight: when this returns, stage i - 1's MMAs are done and it can go back to the producer.
template <int NB, int STAGES>
__device__ __forceinline__ void stage_mma(float (&d)[NB / 2], uint64_t* full, const unsigned char* ring, int stage_bytes,
                                          int i, int a_off, int b_off) {
    const int s = i % STAGES;
    mbar_wait(&full[s], (i / STAGES) & 1);
    const unsigned char* st = ring + s * stage_bytes;
    wgmma_fence();
#pragma unroll
    for (int kk = 0; kk < kKTile / 16; ++kk) Wgmma<NB>::run(d, sw128_desc(st + a_off + kk * 32), sw128_desc(st + b_off + kk * 32));
    wgmma_commit();
    wgmma_wait<1>();
}

// grid (weight-row tiles of WG * 64, splits); block WG consumer warpgroups + 1 producer warp.
template <int WG, int NB, int STAGES>
__global__ void __launch_bounds__(WG * 128 + 32) skinny_kernel(const __grid_constant__ CUtensorMap tw,
                                                               const __grid_constant__ CUtensorMap tx, float* y,
                                                               int M, int N, int ktiles, int kt_per_split) {
    extern __shared__ unsigned char smem_raw[];
    __shared__ __align__(8) uint64_t full[STAGES], empty[STAGES];
    unsigned char* smem = reinterpret_cast<unsigned char*>((reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~uintptr_t(1023));
    const int kt0 = blockIdx.y * kt_per_split, kt1 = min(ktiles, kt0 + kt_per_split);
    const int n0 = blockIdx.x * WG * kWRows;
    if (threadIdx.x == 0) {
        for (int s = 0; s < STAGES; ++s) mbar_init(&full[s], 1), mbar_init(&empty[s], WG * 4);
        mbar_init_fence();
    }
    __syncthreads();
    constexpr int SB = stage_bytes<WG, NB>();
    if (threadIdx.x >= WG * 128) {  // producer
        if (threadIdx.x == WG * 128) {
            for (int kt = kt0, i = 0; kt < kt1; ++kt, ++i) {
                const int s = i % STAGES;
                if (i >= STAGES) mbar_wait(&empty[s], ((i / STAGES) - 1) & 1);
                unsigned char* st = smem + s * SB;
                mbar_expect(&full[s], WG * kWTileBytes + NB * 128);
                for (int g = 0; g < WG; ++g) tma_load(st + g * kWTileBytes, &tw, &full[s], kt * kKTile, n0 + g * kWRows);
                tma_load(st + WG * kWTileBytes, &tx, &full[s], kt * kKTile, 0);
            }
        }
        return;
    }
    const int g = threadIdx.x / 128, t = threadIdx.x % 128, warp = t / 32, lane = t % 32;
    float d[NB / 2];
#pragma unroll
    for (int j = 0; j < NB / 2; ++j) d[j] = 0.0f;
    for (int kt = kt0, i = 0; kt < kt1; ++kt, ++i) {
        stage_mma<NB, STAGES>(d, full, smem, SB, i, g * kWTileBytes, WG * kWTileBytes);
        if (lane == 0 && i > 0) mbar_arrive(&empty[(i - 1) % STAGES]);
    }
    wgmma_wait<0>();
    // d[i]: weight row warp * 16 + lane / 4 + 8 * ((i / 2) % 2), batch column (i / 4) * 8 + (lane % 4) * 2 + i % 2.
    float* out = y + static_cast<size_t>(blockIdx.y) * M * N;
#pragma unroll
    for (int i = 0; i < NB / 2; ++i) {
        const int n = n0 + g * kWRows + warp * 16 + lane / 4 + 8 * ((i / 2) % 2);
        const int m = (i / 4) * 8 + (lane % 4) * 2 + i % 2;
        if (m < M && n < N) out[static_cast<size_t>(m) * N + n] = d[i];
    }
}


// Stream-K form: exactly `gridDim.x` blocks share the tiles x ktiles units of work evenly (block b takes units
// [b U / B, (b + 1) U / B), whole tiles and pieces of tiles), so no SM holds one tile more than another. A tile cut
// between blocks is finished by the last of its blocks to arrive (a ticket per tile), which adds the pieces in block
// order: the sums' order depends on N, K and B only, never on timing or on M.
__device__ __forceinline__ int unit_block(long long u, long long U, int B) {  // the block whose range holds unit u
    return static_cast<int>(((u + 1) * B + U - 1) / U) - 1;
}
template <int NB, int STAGES>
__global__ void __launch_bounds__(128 + 32) streamk_kernel(const __grid_constant__ CUtensorMap tw,
                                                           const __grid_constant__ CUtensorMap tx, float* y,
                                                           float* part, unsigned* tickets, int M, int N, int ktiles) {
    extern __shared__ unsigned char smem_raw[];
    __shared__ __align__(8) uint64_t full[STAGES], empty[STAGES];
    __shared__ unsigned ticket;
    unsigned char* smem = reinterpret_cast<unsigned char*>((reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~uintptr_t(1023));
    const int tiles = (N + kWRows - 1) / kWRows, B = gridDim.x, b = blockIdx.x;
    const long long U = static_cast<long long>(tiles) * ktiles;
    const long long u0 = b * U / B, u1 = (b + 1) * U / B;
    if (threadIdx.x == 0) {
        for (int s = 0; s < STAGES; ++s) mbar_init(&full[s], 1), mbar_init(&empty[s], 4);
        mbar_init_fence();
    }
    __syncthreads();
    constexpr int SB = stage_bytes<1, NB>();
    if (threadIdx.x >= 128) {
        if (threadIdx.x == 128) {
            int i = 0;
            for (long long u = u0; u < u1; ++u, ++i) {
                const int s = i % STAGES, tile = static_cast<int>(u / ktiles), kt = static_cast<int>(u % ktiles);
                if (i >= STAGES) mbar_wait(&empty[s], ((i / STAGES) - 1) & 1);
                unsigned char* st = smem + s * SB;
                mbar_expect(&full[s], kWTileBytes + NB * 128);
                tma_load(st, &tw, &full[s], kt * kKTile, tile * kWRows);
                tma_load(st + kWTileBytes, &tx, &full[s], kt * kKTile, 0);
            }
        }
        return;
    }
    const int t = threadIdx.x, warp = t / 32, lane = t % 32;
    float d[NB / 2];
    int i = 0;
    for (long long u = u0; u < u1;) {
        const int tile = static_cast<int>(u / ktiles);
        const long long tile_end = min(u1, static_cast<long long>(tile + 1) * ktiles);
        const long long tile_start = u;
        const bool whole = u == static_cast<long long>(tile) * ktiles && tile_end == static_cast<long long>(tile + 1) * ktiles;
#pragma unroll
        for (int j = 0; j < NB / 2; ++j) d[j] = 0.0f;
        for (; u < tile_end; ++u, ++i) {
            stage_mma<NB, STAGES>(d, full, smem, SB, i, 0, kWTileBytes);
            if (lane == 0 && u > tile_start) mbar_arrive(&empty[(i - 1) % STAGES]);
        }
        wgmma_wait<0>();
        if (lane == 0) mbar_arrive(&empty[(i - 1) % STAGES]);
        if (whole) {
#pragma unroll
            for (int j = 0; j < NB / 2; ++j) {
                const int n = tile * kWRows + warp * 16 + lane / 4 + 8 * ((j / 2) % 2), m = (j / 4) * 8 + (lane % 4) * 2 + j % 2;
                if (m < M && n < N) y[static_cast<size_t>(m) * N + n] = d[j];
            }
            continue;
        }
        // A piece: slot 0 if the tile is this block's first, else slot 1. Fragments stored in register order.
        const int slot = tile == static_cast<int>(u0 / ktiles) ? 0 : 1;
        float* mine = part + (static_cast<size_t>(b) * 2 + slot) * 128 * (NB / 2) + t;
#pragma unroll
        for (int j = 0; j < NB / 2; ++j) mine[j * 128] = d[j];
        __threadfence();
        asm volatile("bar.sync 1, 128;" ::: "memory");
        const int bf = unit_block(static_cast<long long>(tile) * ktiles, U, B);
        const int bl = unit_block(static_cast<long long>(tile + 1) * ktiles - 1, U, B);
        if (t == 0) ticket = atomicAdd(&tickets[tile], 1u);
        asm volatile("bar.sync 1, 128;" ::: "memory");
        if (ticket != static_cast<unsigned>(bl - bf)) continue;
        __threadfence();
        float sum[NB / 2];
#pragma unroll
        for (int j = 0; j < NB / 2; ++j) sum[j] = 0.0f;
        for (int q = bf; q <= bl; ++q) {
            const int qslot = tile == static_cast<int>((q * U / B) / ktiles) ? 0 : 1;
            const float* p = part + (static_cast<size_t>(q) * 2 + qslot) * 128 * (NB / 2) + t;
#pragma unroll
            for (int j = 0; j < NB / 2; ++j) sum[j] += q == b ? d[j] : __ldcg(p + j * 128);
        }
        if (t == 0) tickets[tile] = 0;
#pragma unroll
        for (int j = 0; j < NB / 2; ++j) {
            const int n = tile * kWRows + warp * 16 + lane / 4 + 8 * ((j / 2) % 2), m = (j / 4) * 8 + (lane % 4) * 2 + j % 2;
            if (m < M && n < N) y[static_cast<size_t>(m) * N + n] = sum[j];
        }
    }
}

__global__ void split_sum(const float* part, float* y, int MN, int splits) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < MN; i += gridDim.x * blockDim.x) {
        float s = 0.0f;
        for (int p = 0; p < splits; ++p) s += part[static_cast<size_t>(p) * MN + i];
        y[i] = s;
    }
}

struct Problem {
    const char* name;
    int N, K;
};

// The largest |y - yref| over n outputs, and the largest |yref|.
static void max_error(const float* y, const float* yref, size_t n, double& err, double& ref) {
    std::vector<float> a(n), b(n);
    CK(cudaMemcpy(a.data(), y, n * 4, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(b.data(), yref, n * 4, cudaMemcpyDeviceToHost));
    err = 0.0, ref = 0.0;
    for (size_t i = 0; i < n; ++i) err = fmax(err, fabs(a[i] - b[i])), ref = fmax(ref, fabs(b[i]));
}

// The tensor maps of the kLayers weight copies (64-row boxes) and of X (NB-row boxes, rows past M zero-filled).
struct Maps {
    std::vector<CUtensorMap> w;
    CUtensorMap x;
};
static Maps make_maps(const Problem& p, int M, int NB, const std::vector<__nv_bfloat16*>& w, const __nv_bfloat16* x) {
    Maps m{std::vector<CUtensorMap>(kLayers), make_map(x, p.K, M, NB)};
    for (int l = 0; l < kLayers; ++l) m.w[l] = make_map(w[l], p.K, p.N, kWRows);
    return m;
}

// One launch checked against the reference (max error, max |reference|), then microseconds a launch.
struct Measured {
    double err, ref, us;
};
template <typename F> static Measured measure(F&& launch, int M, int N, float* y, const float* yref) {
    CK(cudaMemset(y, 0, size_t{4} * M * N));
    launch(0);
    CK(cudaDeviceSynchronize());
    CK(cudaGetLastError());
    Measured r{};
    max_error(y, yref, static_cast<size_t>(M) * N, r.err, r.ref);
    r.us = time_layers(launch);
    return r;
}

template <int WG, int NB, int STAGES>
static void run_config(const Problem& p, int M, int splits, const std::vector<__nv_bfloat16*>& w, __nv_bfloat16* x,
                       float* part, float* y, const float* yref, double copy_gbps) {
    auto kern = skinny_kernel<WG, NB, STAGES>;
    const int smem = STAGES * stage_bytes<WG, NB>() + 1024;
    CK(cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
    const int ktiles = (p.K + kKTile - 1) / kKTile, per = (ktiles + splits - 1) / splits;
    dim3 grid((p.N + WG * kWRows - 1) / (WG * kWRows), splits);
    const Maps maps = make_maps(p, M, NB, w, x);
    const auto launch = [&](int l) {
        kern<<<grid, WG * 128 + 32, smem>>>(maps.w[l], maps.x, splits > 1 ? part : y, M, p.N, ktiles, per);
        if (splits > 1) split_sum<<<264, 256>>>(part, y, M * p.N, splits);
    };
    const Measured r = measure(launch, M, p.N, y, yref);
    const double us = r.us, bytes = 2.0 * p.N * p.K;
    printf("{\"what\":\"wgmma\",\"product\":\"%s\",\"M\":%d,\"WG\":%d,\"NB\":%d,\"stages\":%d,\"splits\":%d,\"blocks\":%d,"
           "\"smem\":%d,\"us\":%.2f,\"GBps\":%.0f,\"of_copy\":%.3f,\"max_err\":%.3g,\"max_ref\":%.3g}\n",
           p.name, M, WG, NB, STAGES, splits, grid.x * grid.y, smem, us, bytes / (us * 1e3), bytes / (us * 1e3) / copy_gbps,
           r.err, r.ref);
}

template <int NB, int STAGES>
static void run_streamk(const Problem& p, int M, int per_sm, const std::vector<__nv_bfloat16*>& w, __nv_bfloat16* x,
                        float* part, unsigned* tickets, float* y, const float* yref, double copy_gbps) {
    auto kern = streamk_kernel<NB, STAGES>;
    const int smem = STAGES * stage_bytes<1, NB>() + 1024;
    CK(cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
    int sms = 0;
    CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
    const int ktiles = (p.K + kKTile - 1) / kKTile, blocks = sms * per_sm;
    const Maps maps = make_maps(p, M, NB, w, x);
    const auto launch = [&](int l) { kern<<<blocks, 160, smem>>>(maps.w[l], maps.x, y, part, tickets, M, p.N, ktiles); };
    const Measured r = measure(launch, M, p.N, y, yref);
    const double us = r.us, bytes = 2.0 * p.N * p.K;
    printf("{\"what\":\"streamk\",\"product\":\"%s\",\"M\":%d,\"NB\":%d,\"stages\":%d,\"blocks\":%d,\"smem\":%d,"
           "\"us\":%.2f,\"GBps\":%.0f,\"of_copy\":%.3f,\"max_err\":%.3g,\"max_ref\":%.3g}\n",
           p.name, M, NB, STAGES, blocks, smem, us, bytes / (us * 1e3), bytes / (us * 1e3) / copy_gbps, r.err, r.ref);
}

static void run_cublas(cublasHandle_t h, const Problem& p, int M, const std::vector<__nv_bfloat16*>& w,
                       __nv_bfloat16* x, float* y, double copy_gbps) {
    const float alpha = 1.0f, beta = 0.0f;
    auto launch = [&](int l) {
        cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, p.N, M, p.K, &alpha, w[l], CUDA_R_16BF, p.K, x, CUDA_R_16BF, p.K, &beta,
                     y, CUDA_R_32F, p.N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    };
    launch(0);
    CK(cudaDeviceSynchronize());
    const double us = time_layers(launch), bytes = 2.0 * p.N * p.K;
    printf("{\"what\":\"cublas\",\"product\":\"%s\",\"M\":%d,\"us\":%.2f,\"GBps\":%.0f,\"of_copy\":%.3f}\n", p.name, M, us,
           bytes / (us * 1e3), bytes / (us * 1e3) / copy_gbps);
}

template <int NB>
static void run_shapes(const Problem& p, int M, const std::vector<__nv_bfloat16*>& w, __nv_bfloat16* x, float* part,
                       unsigned* tickets, float* y, const float* yref, double copy_gbps) {
    run_config<1, NB, 4>(p, M, 1, w, x, part, y, yref, copy_gbps);
    run_config<1, NB, 8>(p, M, 1, w, x, part, y, yref, copy_gbps);
    run_config<1, NB, 4>(p, M, 4, w, x, part, y, yref, copy_gbps);  // split-K + a summing kernel (calls 2-4)
    run_config<2, NB, 4>(p, M, 1, w, x, part, y, yref, copy_gbps);
    run_streamk<NB, 4>(p, M, 1, w, x, part, tickets, y, yref, copy_gbps);
    run_streamk<NB, 8>(p, M, 1, w, x, part, tickets, y, yref, copy_gbps);
    run_streamk<NB, 4>(p, M, 2, w, x, part, tickets, y, yref, copy_gbps);
    run_streamk<NB, 6>(p, M, 2, w, x, part, tickets, y, yref, copy_gbps);
    run_streamk<NB, 4>(p, M, 3, w, x, part, tickets, y, yref, copy_gbps);
}

int main() {
    const double copy_gbps = copy_rate_gbps();
    printf("{\"what\":\"copy\",\"GBps\":%.1f}\n", copy_gbps);

    cublasHandle_t h;
    cublasCreate(&h);
    const Problem problems[] = {{"in_proj", 10240, 2560}, {"out_proj", 2560, 5120}, {"lm_head", 50280, 2560}};
    for (const Problem& p : problems) {
        std::vector<__nv_bfloat16*> w(kLayers);
        for (int l = 0; l < kLayers; ++l) {
            CK(cudaMalloc(&w[l], size_t{2} * p.N * p.K));
            fill_kernel<<<1024, 256>>>(w[l], size_t{1} * p.N * p.K, 1.0f, 17u + l);
        }
        __nv_bfloat16* x;
        float *y, *yref, *part;
        CK(cudaMalloc(&x, size_t{2} * 64 * p.K));
        CK(cudaMalloc(&y, size_t{4} * 64 * p.N));
        CK(cudaMalloc(&yref, size_t{4} * 64 * p.N));
        CK(cudaMalloc(&part, size_t{4} * std::max(size_t{64} * p.N * 4, size_t{4} * 132 * 2 * 128 * 32)));
        unsigned* tickets;
        CK(cudaMalloc(&tickets, 4 * 4096));
        CK(cudaMemset(tickets, 0, 4 * 4096));
        fill_kernel<<<256, 256>>>(x, size_t{64} * p.K, 1.0f, 99u);
        for (int M : {1, 8, 32, 64}) {
            ref_kernel<<<dim3((p.N + 127) / 128, M), 128>>>(w[0], x, yref, M, p.N, p.K);
            CK(cudaDeviceSynchronize());
            if (M <= 8)
                run_shapes<8>(p, M, w, x, part, tickets, y, yref, copy_gbps);
            else if (M <= 16)
                run_shapes<16>(p, M, w, x, part, tickets, y, yref, copy_gbps);
            else if (M <= 32)
                run_shapes<32>(p, M, w, x, part, tickets, y, yref, copy_gbps);
            else
                run_shapes<64>(p, M, w, x, part, tickets, y, yref, copy_gbps);
            run_cublas(h, p, M, w, x, y, copy_gbps);
        }
        for (auto* q : w) CK(cudaFree(q));
        CK(cudaFree(x));
        CK(cudaFree(y));
        CK(cudaFree(yref));
        CK(cudaFree(part));
        CK(cudaFree(tickets));
    }
    return 0;
}
