// LtProduct (model_gpu_lt.h): cuBLASLt plans per shape, each with its algorithm picked by rank.
#include "model/model_gpu_lt.h"

#include "common/error.h"

#include <string>
#include <vector>

#if !defined(MSV_HIP)
#include <cublasLt.h>
#endif

namespace msv::gpu::model {

#if !defined(MSV_HIP)

struct LtProduct::State {
    cublasLtHandle_t handle = nullptr;
    struct Plan {
        int M, N, K, rank;
        int64_t ldw, ldx, ldy;
        msv_dtype wt;
        size_t workspace;
        cublasLtMatmulDesc_t op = nullptr;
        cublasLtMatrixLayout_t w = nullptr, x = nullptr, y = nullptr;
        cublasLtMatmulAlgo_t algo{};
    };
    std::vector<Plan> plans;

    ~State() {
        for (Plan& p : plans) release(p);
        if (handle) (void)cublasLtDestroy(handle);
    }
    static void release(Plan& p) {
        if (p.w) (void)cublasLtMatrixLayoutDestroy(p.w);
        if (p.x) (void)cublasLtMatrixLayoutDestroy(p.x);
        if (p.y) (void)cublasLtMatrixLayoutDestroy(p.y);
        if (p.op) (void)cublasLtMatmulDescDestroy(p.op);
    }
    // Column-major as in common/blas.h: Y^T[N, M] = W . X^T is (T, N) with m = N, n = M, k = K.
    cublasStatus_t make(Plan& p) {
        const cudaDataType_t t = p.wt == MSV_F16 ? CUDA_R_16F : CUDA_R_16BF;
        const cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
        cublasStatus_t s = cublasLtMatmulDescCreate(&p.op, CUBLAS_COMPUTE_32F, CUDA_R_32F);
        if (s == CUBLAS_STATUS_SUCCESS) s = cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta);
        if (s == CUBLAS_STATUS_SUCCESS) s = cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb);
        if (s == CUBLAS_STATUS_SUCCESS) s = cublasLtMatrixLayoutCreate(&p.w, t, p.K, p.N, p.ldw);
        if (s == CUBLAS_STATUS_SUCCESS) s = cublasLtMatrixLayoutCreate(&p.x, t, p.K, p.M, p.ldx);
        if (s == CUBLAS_STATUS_SUCCESS) s = cublasLtMatrixLayoutCreate(&p.y, t, p.N, p.M, p.ldy);
        if (s != CUBLAS_STATUS_SUCCESS) return s;
        cublasLtMatmulPreference_t pref = nullptr;
        s = cublasLtMatmulPreferenceCreate(&pref);
        if (s == CUBLAS_STATUS_SUCCESS)
            s = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &p.workspace,
                                                     sizeof p.workspace);
        constexpr int kMax = 16;
        cublasLtMatmulHeuristicResult_t found[kMax];
        int n = 0;
        if (s == CUBLAS_STATUS_SUCCESS) s = cublasLtMatmulAlgoGetHeuristic(handle, p.op, p.w, p.x, p.y, p.y, pref, kMax, found, &n);
        if (pref) (void)cublasLtMatmulPreferenceDestroy(pref);
        if (s != CUBLAS_STATUS_SUCCESS) return s;
        if (n <= 0) return CUBLAS_STATUS_NOT_SUPPORTED;
        p.algo = found[p.rank < n ? p.rank : n - 1].algo;
        return CUBLAS_STATUS_SUCCESS;
    }
};

LtProduct::LtProduct() : st_(std::make_unique<State>()) {}
LtProduct::~LtProduct() = default;

msv_status LtProduct::run(cudaStream_t s, void* workspace, size_t workspace_bytes, msv_dtype wt, const void* W,
                          int64_t ldw, const void* X, int64_t ldx, void* Y, int64_t ldy, int M, int N, int K, int rank) {
    const auto failed = [&](cublasStatus_t e, const char* what) {
        return set_error(MSV_ERR_DEVICE, std::string("cuBLASLt ") + what + " " + std::to_string(M) + "x" +
                                             std::to_string(N) + "x" + std::to_string(K) + ": " +
                                             cublasGetStatusString(e));
    };
    if (wt == MSV_F32) return set_error(MSV_ERR_INVALID_ARGUMENT, "cuBLASLt product: bf16 or fp16 weights only");
    if (!st_->handle)
        if (cublasStatus_t e = cublasLtCreate(&st_->handle); e != CUBLAS_STATUS_SUCCESS) return failed(e, "handle");
    State::Plan* plan = nullptr;
    for (State::Plan& p : st_->plans)
        if (p.M == M && p.N == N && p.K == K && p.rank == rank && p.ldw == ldw && p.ldx == ldx && p.ldy == ldy &&
            p.wt == wt && p.workspace == workspace_bytes)
            plan = &p;
    if (!plan) {
        State::Plan p{M, N, K, rank, ldw, ldx, ldy, wt, workspace_bytes};
        if (cublasStatus_t e = st_->make(p); e != CUBLAS_STATUS_SUCCESS) {
            State::release(p);
            return failed(e, "plan");
        }
        st_->plans.push_back(p);
        plan = &st_->plans.back();
    }
    const float alpha = 1.0f, beta = 0.0f;
    const cublasStatus_t e = cublasLtMatmul(st_->handle, plan->op, &alpha, W, plan->w, X, plan->x, &beta, Y, plan->y, Y,
                                            plan->y, &plan->algo, workspace, workspace_bytes, s);
    return e == CUBLAS_STATUS_SUCCESS ? MSV_OK : failed(e, "matmul");
}

#else

struct LtProduct::State {};
LtProduct::LtProduct() : st_(std::make_unique<State>()) {}
LtProduct::~LtProduct() = default;
msv_status LtProduct::run(cudaStream_t, void*, size_t, msv_dtype, const void*, int64_t, const void*, int64_t, void*,
                          int64_t, int, int, int, int) {
    return set_error(MSV_ERR_UNSUPPORTED, "cuBLASLt product: CUDA only");
}

#endif

}  // namespace msv::gpu::model
