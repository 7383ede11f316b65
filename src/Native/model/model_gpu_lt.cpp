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

namespace {

cudaDataType_t lt_type(msv_dtype t) { return t == MSV_F32 ? CUDA_R_32F : t == MSV_F16 ? CUDA_R_16F : CUDA_R_16BF; }

// The largest power of two up to 256 that divides the address: the heuristic assumes 256-byte aligned buffers
// unless told less, and an algorithm picked for more than a buffer has would fail (or read wrongly) at run time.
uint32_t alignment(const void* p) {
    const uintptr_t a = reinterpret_cast<uintptr_t>(p);
    uint32_t n = 256;
    while (n > 1 && a % n != 0) n /= 2;
    return n;
}

}  // namespace

struct LtProduct::State {
    cublasLtHandle_t handle = nullptr;
    struct Plan {
        int M, N, K, rank;
        int64_t ldw, ldx, ldy;
        msv_dtype wt, yt;
        size_t workspace;
        uint32_t align_w, align_x, align_y;
        cublasLtMatmulDesc_t op = nullptr;
        cublasLtMatrixLayout_t w = nullptr, x = nullptr, y = nullptr;
        cublasLtMatmulAlgo_t algo{};

        bool same(const Plan& o) const {
            return M == o.M && N == o.N && K == o.K && rank == o.rank && ldw == o.ldw && ldx == o.ldx &&
                   ldy == o.ldy && wt == o.wt && yt == o.yt && workspace == o.workspace && align_w == o.align_w &&
                   align_x == o.align_x && align_y == o.align_y;
        }
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
    // Column-major as in common/blas.h: Y^T[N, M] = W . X^T is (T, N) with m = N, n = M, k = K. C and D are both Y
    // (one layout: cuBLASLt's in-place form), so beta 1 adds the product to what Y holds. Compute and scale fp32 as
    // cublasGemmEx's CUBLAS_COMPUTE_32F in blas::gemm; bf16 / fp16 A and B with fp32 C / D is one of cuBLASLt's
    // regular combinations (the one `--bench-blas` times for out_proj).
    cublasStatus_t make(Plan& p) {
        const cudaDataType_t t = lt_type(p.wt);
        const cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
        cublasStatus_t s = cublasLtMatmulDescCreate(&p.op, CUBLAS_COMPUTE_32F, CUDA_R_32F);
        if (s == CUBLAS_STATUS_SUCCESS)
            s = cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta);
        if (s == CUBLAS_STATUS_SUCCESS)
            s = cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb);
        if (s == CUBLAS_STATUS_SUCCESS) s = cublasLtMatrixLayoutCreate(&p.w, t, p.K, p.N, p.ldw);
        if (s == CUBLAS_STATUS_SUCCESS) s = cublasLtMatrixLayoutCreate(&p.x, t, p.K, p.M, p.ldx);
        if (s == CUBLAS_STATUS_SUCCESS) s = cublasLtMatrixLayoutCreate(&p.y, lt_type(p.yt), p.N, p.M, p.ldy);
        if (s != CUBLAS_STATUS_SUCCESS) return s;
        cublasLtMatmulPreference_t pref = nullptr;
        s = cublasLtMatmulPreferenceCreate(&pref);
        const auto set = [&](cublasLtMatmulPreferenceAttributes_t a, const void* v, size_t n) {
            if (s == CUBLAS_STATUS_SUCCESS) s = cublasLtMatmulPreferenceSetAttribute(pref, a, v, n);
        };
        set(CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &p.workspace, sizeof p.workspace);
        set(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &p.align_w, sizeof p.align_w);
        set(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &p.align_x, sizeof p.align_x);
        set(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &p.align_y, sizeof p.align_y);
        set(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &p.align_y, sizeof p.align_y);
        constexpr int kMax = 16;
        cublasLtMatmulHeuristicResult_t found[kMax];
        int n = 0;
        if (s == CUBLAS_STATUS_SUCCESS)
            s = cublasLtMatmulAlgoGetHeuristic(handle, p.op, p.w, p.x, p.y, p.y, pref, kMax, found, &n);
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
                          int64_t ldw, const void* X, int64_t ldx, msv_dtype yt, void* Y, int64_t ldy, int M, int N,
                          int K, float beta, int rank) {
    const auto failed = [&](cublasStatus_t e, const char* what) {
        return set_error(MSV_ERR_DEVICE, std::string("cuBLASLt ") + what + " " + std::to_string(M) + "x" +
                                             std::to_string(N) + "x" + std::to_string(K) + ": " +
                                             cublasGetStatusString(e));
    };
    if (wt == MSV_F32) return set_error(MSV_ERR_INVALID_ARGUMENT, "cuBLASLt product: bf16 or fp16 weights only");
    if (yt != wt && yt != MSV_F32)
        return set_error(MSV_ERR_INVALID_ARGUMENT, "cuBLASLt product: output of the weights' type or fp32");
    if (!st_->handle)
        if (cublasStatus_t e = cublasLtCreate(&st_->handle); e != CUBLAS_STATUS_SUCCESS) return failed(e, "handle");
    State::Plan want{M, N, K, rank, ldw, ldx, ldy, wt, yt, workspace_bytes, alignment(W), alignment(X), alignment(Y)};
    State::Plan* plan = nullptr;
    for (State::Plan& p : st_->plans)
        if (p.same(want)) {
            plan = &p;
            break;
        }
    if (!plan) {
        if (cublasStatus_t e = st_->make(want); e != CUBLAS_STATUS_SUCCESS) {
            State::release(want);
            return failed(e, "plan");
        }
        st_->plans.push_back(want);
        plan = &st_->plans.back();
    }
    const float alpha = 1.0f;
    const cublasStatus_t e = cublasLtMatmul(st_->handle, plan->op, &alpha, W, plan->w, X, plan->x, &beta, Y, plan->y, Y,
                                            plan->y, &plan->algo, workspace, workspace_bytes, s);
    return e == CUBLAS_STATUS_SUCCESS ? MSV_OK : failed(e, "matmul");
}

#else

struct LtProduct::State {};
LtProduct::LtProduct() : st_(std::make_unique<State>()) {}
LtProduct::~LtProduct() = default;
msv_status LtProduct::run(cudaStream_t, void*, size_t, msv_dtype, const void*, int64_t, const void*, int64_t, msv_dtype,
                          void*, int64_t, int, int, int, float, int) {
    return set_error(MSV_ERR_UNSUPPORTED, "cuBLASLt product: CUDA only");
}

#endif

}  // namespace msv::gpu::model
