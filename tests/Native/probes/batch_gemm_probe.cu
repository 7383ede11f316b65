// Probe (docs/gpu-model.md, "Session 2026-12-03, sixth"): can a TMA + wgmma GEMM of our own beat cuBLAS on the
// decode step's two large products at 64-256 batch rows on the H200? ncu found cuBLAS running in_proj at 256 rows as
// 122 blocks of 168x128 tiles (0.92 waves, 23.6 us where the FLOPs take 13.6 at peak) and out_proj as 112 blocks.
//
//   Y[m, n] = sum_k X[m, k] W[n, k]    W: [N, K] bf16 row-major (the model's weights), X: [M, K] bf16 (the batch).
//
// The batch is wgmma's M side (m64 tiles; rows past M zero-filled by the TMA) and the weight rows its N side, so
// that a tile's N can be any multiple of 8: in_proj's 10240 rows as 128 tiles of 80, out_proj's 2560 as 64 tiles
// of 40 times two halves of the batch, one wave on 132 SMs. Per block: WGS consumer warpgroups, each MT m64 tiles of
// the batch (BM = WGS MT 64 rows), and a producer warp that streams 64-wide K boxes of X and W into a ring with
// 128-byte swizzle; split-K over grid.z writes fp32 partials that a second kernel adds in split order. With
// clusters of C > 1 neighbouring weight tiles, each block loads 1 / C of the X box and multicasts it to the others.
// Epilogues as the model calls the products: in_proj stores bf16, out_proj adds to an fp32 residual.
// Checked against a plain fp32 kernel; timed against cuBLAS on 16 copies of the weights (as 16 layers).
// Not part of the test build; on the device:
//   nvcc -O3 -std=c++17 -gencode arch=compute_90a,code=sm_90a tests/Native/probes/batch_gemm_probe.cu -o /tmp/bgp -lcuda -lcublas && /tmp/bgp
#include "probe_products.cuh"
#include "probe_wgmma_wide.cuh"

#include <cublas_v2.h>

#include <cmath>
#include <cstring>
#include <vector>

enum Epi { kStoreBf16 = 0, kAddF32 = 1, kPartial = 2 };

template <int BM, int BN> __host__ __device__ constexpr int stage_bytes() { return BM * 128 + align1k(BN * 128); }

// Cluster pieces (C > 1): the C blocks of a cluster hold the same batch rows and neighbouring weight tiles, so each
// loads 1 / C of the X box and multicasts it to all C (X is re-read by every weight tile: at 256 rows it is most
// of the traffic from L2).
__device__ __forceinline__ unsigned cluster_rank() {
    unsigned r;
    asm volatile("mov.u32 %0, %%cluster_ctarank;" : "=r"(r));
    return r;
}
__device__ __forceinline__ void cluster_sync() {
    asm volatile("barrier.cluster.arrive.release;\nbarrier.cluster.wait.acquire;" ::: "memory");
}
// Arrive on the mbarrier at the same shared offset as `b` in cluster block `rank`.
__device__ __forceinline__ void mbar_arrive_cluster(uint64_t* b, unsigned rank) {
    unsigned remote;
    asm volatile("mapa.shared::cluster.u32 %0, %1, %2;" : "=r"(remote) : "r"(saddr(b)), "r"(rank));
    asm volatile("mbarrier.arrive.shared::cluster.b64 _, [%0];" ::"r"(remote) : "memory");
}
__device__ __forceinline__ void tma_load_multicast(void* dst, const CUtensorMap* map, uint64_t* bar, int x, int y,
                                                   uint16_t mask) {
    asm volatile(
        "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes.multicast::cluster [%0], [%1, {%2, "
        "%3}], [%4], %5;" ::"r"(saddr(dst)),
        "l"(map), "r"(x), "r"(y), "r"(saddr(bar)), "h"(mask)
        : "memory");
}

template <int WGS, int MT, int BN, int STAGES, int EPI, int C>
__global__ void __launch_bounds__(WGS * 128 + 32) batch_gemm(const __grid_constant__ CUtensorMap tx,
                                                             const __grid_constant__ CUtensorMap tw, void* y, int M,
                                                             int N, int ktiles, int kt_per_split) {
    constexpr int BM = WGS * MT * 64;
    constexpr int SB = stage_bytes<BM, BN>();
    extern __shared__ unsigned char smem_raw[];
    __shared__ __align__(8) uint64_t full[STAGES], empty[STAGES];
    unsigned char* smem = reinterpret_cast<unsigned char*>((reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~uintptr_t(1023));
    const int n0 = blockIdx.x * BN, m0 = blockIdx.y * BM;
    const int kt0 = blockIdx.z * kt_per_split, kt1 = min(ktiles, kt0 + kt_per_split);
    const unsigned rank = C > 1 ? cluster_rank() : 0;
    if (threadIdx.x == 0) {
        for (int s = 0; s < STAGES; ++s) mbar_init(&full[s], 1), mbar_init(&empty[s], WGS * 4 * C);
        mbar_init_fence();
    }
    if constexpr (C > 1) cluster_sync(); else __syncthreads();
    if (threadIdx.x >= WGS * 128) {  // producer
        if (threadIdx.x == WGS * 128) {
            for (int kt = kt0, i = 0; kt < kt1; ++kt, ++i) {
                const int s = i % STAGES;
                if (i >= STAGES) mbar_wait(&empty[s], ((i / STAGES) - 1) & 1);
                unsigned char* st = smem + s * SB;
                mbar_expect(&full[s], BM * 128 + BN * 128);
                if constexpr (C > 1)
                    tma_load_multicast(st + rank * (BM / C) * 128, &tx, &full[s], kt * kKTile, m0 + rank * (BM / C),
                                       static_cast<uint16_t>((1u << C) - 1));
                else
                    tma_load(st, &tx, &full[s], kt * kKTile, m0);
                tma_load(st + BM * 128, &tw, &full[s], kt * kKTile, n0);
            }
        }
        if constexpr (C > 1) cluster_sync();
        return;
    }
    const int g = threadIdx.x / 128, t = threadIdx.x % 128, warp = t / 32, lane = t % 32;
    float d[MT][BN / 2];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int j = 0; j < BN / 2; ++j) d[mt][j] = 0.0f;
    for (int kt = kt0, i = 0; kt < kt1; ++kt, ++i) {
        const int s = i % STAGES;
        mbar_wait(&full[s], (i / STAGES) & 1);
        const unsigned char* st = smem + s * SB;
        wgmma_fence();
#pragma unroll
        for (int kk = 0; kk < kKTile / 16; ++kk)
#pragma unroll
            for (int mt = 0; mt < MT; ++mt)
                Wgmma<BN>::run(d[mt], sw128_desc(st + (g * MT + mt) * 64 * 128 + kk * 32),
                               sw128_desc(st + BM * 128 + kk * 32));
        wgmma_commit();
        wgmma_wait<1>();
        // Each warp releases the stage in every block of the cluster: lane c signals block c.
        if (i > 0) {
            if constexpr (C > 1) {
                if (lane < C) mbar_arrive_cluster(&empty[(i - 1) % STAGES], lane);
            } else if (lane == 0) {
                mbar_arrive(&empty[(i - 1) % STAGES]);
            }
        }
    }
    wgmma_wait<0>();
    // d[mt][j]: batch row warp * 16 + lane / 4 + 8 * ((j / 2) % 2) of m64 tile mt, weight row (j / 4) * 8 +
    // (lane % 4) * 2 + j % 2: j and j + 1 are adjacent outputs of one row.
#pragma unroll
    for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int j = 0; j < BN / 2; j += 2) {
            const int m = m0 + (g * MT + mt) * 64 + warp * 16 + lane / 4 + 8 * ((j / 2) % 2);
            const int n = n0 + (j / 4) * 8 + (lane % 4) * 2;
            if (m >= M || n >= N) continue;  // N is even, so n + 1 < N as well
            const size_t o = static_cast<size_t>(m) * N + n;
            if constexpr (EPI == kStoreBf16) {
                *reinterpret_cast<__nv_bfloat162*>(static_cast<__nv_bfloat16*>(y) + o) =
                    __floats2bfloat162_rn(d[mt][j], d[mt][j + 1]);
            } else if constexpr (EPI == kAddF32) {
                float2* p = reinterpret_cast<float2*>(static_cast<float*>(y) + o);
                const float2 r = *p;
                *p = make_float2(r.x + d[mt][j], r.y + d[mt][j + 1]);
            } else {
                *reinterpret_cast<float2*>(static_cast<float*>(y) + blockIdx.z * static_cast<size_t>(M) * N + o) =
                    make_float2(d[mt][j], d[mt][j + 1]);
            }
        }
    if constexpr (C > 1) cluster_sync();  // no block leaves while a peer may still signal its barriers
}

// The split partials added in split order to y (fp32, += ) or stored as bf16.
__global__ void split_sum(const float* part, void* y, int MN, int splits, int add_f32) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < MN; i += gridDim.x * blockDim.x) {
        float s = 0.0f;
        for (int p = 0; p < splits; ++p) s += part[static_cast<size_t>(p) * MN + i];
        if (add_f32)
            static_cast<float*>(y)[i] += s;
        else
            static_cast<__nv_bfloat16*>(y)[i] = __float2bfloat16(s);
    }
}


struct Problem {
    const char* name;
    int N, K;
    bool add_f32;  // out_proj: fp32 residual += product; in_proj: bf16 store
};



// Largest |y - ref| / max |ref| of one launch's output (zeros before it), y in the problem's output type.
static double rel_error(const Problem& p, const void* y, const float* yref, size_t n) {
    std::vector<float> a(n), b(n);
    if (p.add_f32) {
        CK(cudaMemcpy(a.data(), y, n * 4, cudaMemcpyDeviceToHost));
    } else {
        std::vector<__nv_bfloat16> h(n);
        CK(cudaMemcpy(h.data(), y, n * 2, cudaMemcpyDeviceToHost));
        for (size_t i = 0; i < n; ++i) a[i] = __bfloat162float(h[i]);
    }
    CK(cudaMemcpy(b.data(), yref, n * 4, cudaMemcpyDeviceToHost));
    double err = 0.0, ref = 0.0;
    for (size_t i = 0; i < n; ++i) err = fmax(err, fabs(a[i] - b[i])), ref = fmax(ref, fabs(b[i]));
    return err / ref;
}

struct Bufs {
    std::vector<__nv_bfloat16*> w;
    __nv_bfloat16* x;
    void* y;
    float *yref, *part;
};

// EPI: kStoreBf16 or kAddF32 (the product's own epilogue, one split) or kPartial (splits > 1).
template <int WGS, int MT, int BN, int STAGES, int EPI, int C = 1>
static void run_config(const Problem& p, int M, int splits, const Bufs& b, double copy_gbps, double cublas_us) {
    constexpr int BM = WGS * MT * 64;
    auto kern = batch_gemm<WGS, MT, BN, STAGES, EPI, C>;
    const int smem = STAGES * stage_bytes<BM, BN>() + 1024;
    CK(cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
    const int ktiles = (p.K + kKTile - 1) / kKTile, per = (ktiles + splits - 1) / splits;
    const dim3 grid((p.N + BN - 1) / BN, (M + BM - 1) / BM, splits);
    const CUtensorMap mx = make_map(b.x, p.K, M, BM / C);
    std::vector<CUtensorMap> mw(kLayers);
    for (int l = 0; l < kLayers; ++l) mw[l] = make_map(b.w[l], p.K, p.N, BN);
    const auto launch = [&](int l) {
        cudaLaunchConfig_t cfg = {};
        cfg.gridDim = grid;
        cfg.blockDim = dim3(WGS * 128 + 32);
        cfg.dynamicSmemBytes = smem;
        cudaLaunchAttribute attr[1];
        attr[0].id = cudaLaunchAttributeClusterDimension;
        attr[0].val.clusterDim.x = C, attr[0].val.clusterDim.y = 1, attr[0].val.clusterDim.z = 1;
        cfg.attrs = attr;
        cfg.numAttrs = 1;
        CK(cudaLaunchKernelEx(&cfg, kern, mx, mw[l], splits > 1 ? static_cast<void*>(b.part) : b.y, M, p.N, ktiles, per));
        if (splits > 1) split_sum<<<264, 256>>>(b.part, b.y, M * p.N, splits, p.add_f32);
    };
    CK(cudaMemset(b.y, 0, size_t{4} * M * p.N));
    launch(0);
    CK(cudaDeviceSynchronize());
    CK(cudaGetLastError());
    const double err = rel_error(p, b.y, b.yref, static_cast<size_t>(M) * p.N);
    const double us = time_layers(launch), bytes = 2.0 * p.N * p.K, tflops = 2.0 * M * p.N * p.K / (us * 1e6);
    printf("{\"what\":\"ours\",\"product\":\"%s\",\"M\":%d,\"C\":%d,\"WGS\":%d,\"MT\":%d,\"BN\":%d,\"stages\":%d,\"splits\":%d,"
           "\"blocks\":%d,\"smem\":%d,\"us\":%.2f,\"vs_cublas\":%.3f,\"TFLOPs\":%.0f,\"of_copy\":%.3f,\"rel_err\":%.2g}\n",
           p.name, M, C, WGS, MT, BN, STAGES, splits, grid.x * grid.y * grid.z, smem, us, cublas_us / us, tflops,
           bytes / (us * 1e3) / copy_gbps, err);
}

static double run_cublas(cublasHandle_t h, const Problem& p, int M, const Bufs& b, double copy_gbps) {
    const float alpha = 1.0f, beta = p.add_f32 ? 1.0f : 0.0f;
    auto launch = [&](int l) {
        cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, p.N, M, p.K, &alpha, b.w[l], CUDA_R_16BF, p.K, b.x, CUDA_R_16BF, p.K,
                     &beta, b.y, p.add_f32 ? CUDA_R_32F : CUDA_R_16BF, p.N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    };
    CK(cudaMemset(b.y, 0, size_t{4} * M * p.N));
    launch(0);
    CK(cudaDeviceSynchronize());
    const double err = rel_error(p, b.y, b.yref, static_cast<size_t>(M) * p.N);
    const double us = time_layers(launch), bytes = 2.0 * p.N * p.K, tflops = 2.0 * M * p.N * p.K / (us * 1e6);
    printf("{\"what\":\"cublas\",\"product\":\"%s\",\"M\":%d,\"us\":%.2f,\"TFLOPs\":%.0f,\"of_copy\":%.3f,\"rel_err\":%.2g}\n",
           p.name, M, us, tflops, bytes / (us * 1e3) / copy_gbps, err);
    return us;
}

// The configurations measured (docs/gpu-model.md, "Session 2026-12-03, sixth"); C > 1: clusters of C weight tiles
// sharing X by multicast. PROBE_ONLY=<product> limits the run to one product.
static void run_in_proj(const Problem& p, int M, const Bufs& b, double c, double cu) {
    if (M == 64) {
        run_config<1, 1, 80, 8, kStoreBf16>(p, M, 1, b, c, cu);
        run_config<1, 1, 80, 12, kStoreBf16>(p, M, 1, b, c, cu);
        run_config<1, 1, 40, 12, kStoreBf16>(p, M, 1, b, c, cu);
        run_config<1, 1, 160, 6, kStoreBf16>(p, M, 1, b, c, cu);
        run_config<1, 1, 160, 8, kStoreBf16>(p, M, 1, b, c, cu);
        run_config<1, 1, 80, 8, kStoreBf16, 2>(p, M, 1, b, c, cu);
        run_config<1, 1, 80, 8, kStoreBf16, 4>(p, M, 1, b, c, cu);
    } else if (M == 128) {
        run_config<2, 1, 80, 8, kStoreBf16>(p, M, 1, b, c, cu);
        run_config<1, 2, 80, 8, kStoreBf16>(p, M, 1, b, c, cu);
        run_config<2, 1, 40, 8, kStoreBf16>(p, M, 1, b, c, cu);
        run_config<1, 1, 80, 8, kStoreBf16>(p, M, 1, b, c, cu);
        run_config<1, 1, 160, 7, kStoreBf16>(p, M, 1, b, c, cu);
        run_config<2, 1, 160, 6, kStoreBf16>(p, M, 1, b, c, cu);
        run_config<2, 1, 80, 8, kStoreBf16, 2>(p, M, 1, b, c, cu);
        run_config<2, 1, 80, 8, kStoreBf16, 4>(p, M, 1, b, c, cu);
    } else {
        run_config<2, 2, 80, 5, kStoreBf16>(p, M, 1, b, c, cu);
        run_config<4, 1, 80, 5, kStoreBf16>(p, M, 1, b, c, cu);
        run_config<2, 1, 80, 8, kStoreBf16>(p, M, 1, b, c, cu);
        run_config<2, 2, 40, 6, kStoreBf16>(p, M, 1, b, c, cu);
        run_config<2, 1, 160, 6, kStoreBf16>(p, M, 1, b, c, cu);
        run_config<2, 1, 168, 6, kStoreBf16>(p, M, 1, b, c, cu);
        run_config<1, 2, 160, 6, kStoreBf16>(p, M, 1, b, c, cu);
        run_config<2, 1, 160, 4, kStoreBf16>(p, M, 1, b, c, cu);
        run_config<2, 2, 80, 5, kStoreBf16, 2>(p, M, 1, b, c, cu);
        run_config<2, 2, 80, 5, kStoreBf16, 4>(p, M, 1, b, c, cu);
        run_config<4, 1, 80, 5, kStoreBf16, 4>(p, M, 1, b, c, cu);
    }
}
static void run_out_proj(const Problem& p, int M, const Bufs& b, double c, double cu) {
    if (M == 64) {
        run_config<1, 1, 40, 12, kAddF32>(p, M, 1, b, c, cu);
        run_config<1, 1, 40, 12, kPartial>(p, M, 2, b, c, cu);
        run_config<1, 1, 80, 8, kPartial>(p, M, 4, b, c, cu);
        run_config<1, 1, 24, 12, kAddF32>(p, M, 1, b, c, cu);
        run_config<1, 1, 16, 12, kAddF32>(p, M, 1, b, c, cu);
        run_config<1, 1, 40, 12, kPartial, 4>(p, M, 2, b, c, cu);
        run_config<1, 1, 40, 12, kAddF32, 4>(p, M, 1, b, c, cu);
    } else if (M == 128) {
        run_config<1, 1, 40, 12, kAddF32>(p, M, 1, b, c, cu);
        run_config<2, 1, 40, 8, kPartial>(p, M, 2, b, c, cu);
        run_config<2, 1, 80, 8, kPartial>(p, M, 4, b, c, cu);
        run_config<2, 1, 160, 6, kPartial>(p, M, 8, b, c, cu);
        run_config<2, 1, 24, 8, kAddF32>(p, M, 1, b, c, cu);
        run_config<1, 1, 40, 12, kAddF32, 4>(p, M, 1, b, c, cu);
        run_config<2, 1, 40, 8, kAddF32, 4>(p, M, 1, b, c, cu);
    } else {
        run_config<2, 1, 40, 8, kAddF32>(p, M, 1, b, c, cu);
        run_config<1, 2, 40, 8, kAddF32>(p, M, 1, b, c, cu);
        run_config<2, 1, 80, 8, kPartial>(p, M, 2, b, c, cu);
        run_config<2, 2, 80, 5, kPartial>(p, M, 4, b, c, cu);
        run_config<2, 1, 160, 6, kPartial>(p, M, 4, b, c, cu);
        run_config<2, 1, 128, 6, kPartial>(p, M, 3, b, c, cu);
        run_config<2, 1, 40, 8, kAddF32, 2>(p, M, 1, b, c, cu);
        run_config<2, 1, 40, 8, kAddF32, 4>(p, M, 1, b, c, cu);
    }
}

int main() {
    const double copy_gbps = copy_rate_gbps();
    printf("{\"what\":\"copy\",\"GBps\":%.1f}\n", copy_gbps);
    const char* only = getenv("PROBE_ONLY");
    cublasHandle_t h;
    cublasCreate(&h);
    const Problem problems[] = {{"in_proj", 10240, 2560, false}, {"out_proj", 2560, 5120, true}};
    for (const Problem& p : problems) {
        if (only && strcmp(only, p.name) != 0) continue;
        Bufs b;
        b.w.resize(kLayers);
        for (int l = 0; l < kLayers; ++l) {
            CK(cudaMalloc(&b.w[l], size_t{2} * p.N * p.K));
            fill_kernel<<<1024, 256>>>(b.w[l], size_t{1} * p.N * p.K, 1.0f, 17u + l);
        }
        CK(cudaMalloc(&b.x, size_t{2} * 256 * p.K));
        CK(cudaMalloc(&b.y, size_t{4} * 256 * p.N));
        CK(cudaMalloc(&b.yref, size_t{4} * 256 * p.N));
        CK(cudaMalloc(&b.part, size_t{4} * 8 * 256 * p.N));
        fill_kernel<<<256, 256>>>(b.x, size_t{256} * p.K, 1.0f, 99u);
        for (int M : {64, 128, 256}) {
            ref_kernel<<<dim3((p.N + 127) / 128, M), 128>>>(b.w[0], b.x, b.yref, M, p.N, p.K);
            CK(cudaDeviceSynchronize());
            const double cu = run_cublas(h, p, M, b, copy_gbps);
            if (p.add_f32)
                run_out_proj(p, M, b, copy_gbps, cu);
            else
                run_in_proj(p, M, b, copy_gbps, cu);
        }
        for (auto* q : b.w) CK(cudaFree(q));
        CK(cudaFree(b.x));
        CK(cudaFree(b.y));
        CK(cudaFree(b.yref));
        CK(cudaFree(b.part));
    }
    return 0;
}
