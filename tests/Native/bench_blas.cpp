// `mambaserve_gpu_tests --bench-blas` (CUDA): the BLAS path's products at the mamba-2.8b shape, as the model calls
// them (cublasGemmEx, CUBLAS_GEMM_DEFAULT), against every algorithm cuBLASLt's heuristic offers for the same
// problem. It answers whether choosing the algorithm per shape (instead of the default heuristic's first pick) would
// pay at the batch sizes the BLAS path serves (9-256 decode rows, prefill chunks); docs/gpu-model.md has the result.
// Weights rotate over copies larger than L2 together, so every product reads them from memory, as in a step.
#if !defined(MSV_HIP)
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace msv::test {
namespace {

struct Product {
    const char* name;
    int N, K;
    bool y_f32;
    float beta;
};

#define BENCH_CHECK(x)                                                                       \
    do {                                                                                     \
        if ((x) != 0) {                                                                      \
            std::fprintf(stderr, "bench-blas: %s failed at line %d\n", #x, __LINE__);        \
            return 1;                                                                        \
        }                                                                                    \
    } while (0)

// Mean microseconds per call of `run(copy)` over `reps` calls, each on the next weight copy.
template <typename F> float time_us(cudaStream_t s, int copies, int reps, F&& run) {
    for (int i = 0; i < 3; ++i) run(i % copies);
    cudaEvent_t a, b;
    cudaEventCreate(&a), cudaEventCreate(&b);
    cudaEventRecord(a, s);
    for (int i = 0; i < reps; ++i) run(i % copies);
    cudaEventRecord(b, s);
    cudaEventSynchronize(b);
    float ms = 0;
    cudaEventElapsedTime(&ms, a, b);
    cudaEventDestroy(a), cudaEventDestroy(b);
    return ms * 1e3f / reps;
}

}  // namespace

int run_blas_bench() {
    const Product products[] = {{"in_proj", 10240, 2560, false, 0.0f},
                                {"x_proj", 192, 5120, false, 0.0f},
                                {"dt_proj", 5120, 160, false, 0.0f},
                                {"out_proj", 2560, 5120, true, 1.0f},
                                {"lm_head", 50280, 2560, true, 0.0f}};
    const int batches[] = {16, 32, 64, 128, 256, 1024};
    constexpr size_t kWorkspace = size_t(32) << 20;
    constexpr int kReps = 40;
    cudaStream_t s;
    cublasHandle_t h;
    cublasLtHandle_t lt;
    void* ws = nullptr;
    BENCH_CHECK(cudaStreamCreate(&s));
    BENCH_CHECK(cublasCreate(&h));
    BENCH_CHECK(cublasLtCreate(&lt));
    BENCH_CHECK(cudaMalloc(&ws, kWorkspace));
    BENCH_CHECK(cublasSetStream(h, s));
    BENCH_CHECK(cublasSetWorkspace(h, ws, kWorkspace));
    std::printf("%-9s %5s %10s %10s %6s %5s %9s %9s\n", "product", "M", "default_us", "best_us", "algos", "best",
                "best_TBps", "TFLOPS");
    for (const Product& p : products) {
        const size_t wbytes = size_t(p.N) * p.K * 2;
        const int copies = static_cast<int>(std::max<size_t>(2, (size_t(200) << 20) / wbytes + 1));
        std::vector<void*> W(copies);
        for (void*& w : W) {
            BENCH_CHECK(cudaMalloc(&w, wbytes));
            BENCH_CHECK(cudaMemset(w, 0x3c, wbytes));
        }
        for (int M : batches) {
            void *X = nullptr, *Y = nullptr;
            BENCH_CHECK(cudaMalloc(&X, size_t(M) * p.K * 2));
            BENCH_CHECK(cudaMemset(X, 0x3c, size_t(M) * p.K * 2));
            BENCH_CHECK(cudaMalloc(&Y, size_t(M) * p.N * 4));
            BENCH_CHECK(cudaMemset(Y, 0, size_t(M) * p.N * 4));
            const float alpha = 1.0f;
            const cudaDataType_t yt = p.y_f32 ? CUDA_R_32F : CUDA_R_16BF;
            const float base = time_us(s, copies, kReps, [&](int c) {
                cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, p.N, M, p.K, &alpha, W[c], CUDA_R_16BF, p.K, X, CUDA_R_16BF,
                             p.K, &p.beta, Y, yt, p.N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
            });
            cublasLtMatmulDesc_t op;
            cublasLtMatrixLayout_t la, lb, lc;
            cublasLtMatmulPreference_t pref;
            const cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
            BENCH_CHECK(cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32F, CUDA_R_32F));
            BENCH_CHECK(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta));
            BENCH_CHECK(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb));
            BENCH_CHECK(cublasLtMatrixLayoutCreate(&la, CUDA_R_16BF, p.K, p.N, p.K));
            BENCH_CHECK(cublasLtMatrixLayoutCreate(&lb, CUDA_R_16BF, p.K, M, p.K));
            BENCH_CHECK(cublasLtMatrixLayoutCreate(&lc, yt, p.N, M, p.N));
            BENCH_CHECK(cublasLtMatmulPreferenceCreate(&pref));
            BENCH_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                             &kWorkspace, sizeof kWorkspace));
            cublasLtMatmulHeuristicResult_t found[32];
            int n = 0;
            BENCH_CHECK(cublasLtMatmulAlgoGetHeuristic(lt, op, la, lb, lc, lc, pref, 32, found, &n));
            float best = 1e30f;
            int best_i = -1;
            for (int i = 0; i < n; ++i) {
                const float us = time_us(s, copies, kReps, [&](int c) {
                    cublasLtMatmul(lt, op, &alpha, W[c], la, X, lb, &p.beta, Y, lc, Y, lc, &found[i].algo, ws,
                                   kWorkspace, s);
                });
                if (cudaGetLastError() == cudaSuccess && us < best) best = us, best_i = i;
            }
            const double flops = 2.0 * M * p.N * p.K;
            std::printf("%-9s %5d %10.2f %10.2f %6d %5d %9.2f %9.1f\n", p.name, M, base, best, n, best_i,
                        wbytes / (best * 1e-6) / 1e12, flops / (best * 1e-6) / 1e12);
            std::fflush(stdout);
            cublasLtMatmulPreferenceDestroy(pref);
            cublasLtMatrixLayoutDestroy(la), cublasLtMatrixLayoutDestroy(lb), cublasLtMatrixLayoutDestroy(lc);
            cublasLtMatmulDescDestroy(op);
            cudaFree(X), cudaFree(Y);
        }
        for (void* w : W) cudaFree(w);
    }
    cudaFree(ws);
    cublasLtDestroy(lt);
    cublasDestroy(h);
    cudaStreamDestroy(s);
    return 0;
}

}  // namespace msv::test
#else
#include <cstdio>
namespace msv::test {
int run_blas_bench() {
    std::fprintf(stderr, "bench-blas: CUDA only\n");
    return 1;
}
}  // namespace msv::test
#endif
