// The vendor BLAS, mapped once (beside vendor.h, which maps the runtime): cuBLAS on CUDA, hipBLAS on ROCm. The
// model calls only these few wrappers, so one source serves both and no other file includes a BLAS header.
//
// Layout: our matrices are row-major, PyTorch's Linear layout: Y[M, N] = X[M, K] . W[N, K]^T. Column-major BLAS
// reads a row-major [rows, cols] matrix as its transpose, so Y^T[N, M] = W . X^T is gemm(T, N, m = N, n = M, k = K)
// with the row strides as leading dimensions.
#pragma once

#include "common/vendor.h"
#include "mambaserve.h"

#include <stdint.h>

#if defined(MSV_HIP)
#if __has_include(<hipblas/hipblas.h>)
#include <hipblas/hipblas.h>
#else
#include <hipblas.h>
#endif
#else
#include <cublas_v2.h>
#endif

namespace msv::blas {

#if defined(MSV_HIP)
using Handle = hipblasHandle_t;
using Status = hipblasStatus_t;
constexpr Status kOk = HIPBLAS_STATUS_SUCCESS;
#else
using Handle = cublasHandle_t;
using Status = cublasStatus_t;
constexpr Status kOk = CUBLAS_STATUS_SUCCESS;
#endif

inline const char* status_name(Status s) {
#if defined(MSV_HIP)
    return hipblasStatusToString(s);
#else
#if CUDART_VERSION >= 11040
    return cublasGetStatusString(s);
#else
    return s == CUBLAS_STATUS_SUCCESS ? "CUBLAS_STATUS_SUCCESS" : "cuBLAS error";
#endif
#endif
}

inline Status create(Handle* h) {
#if defined(MSV_HIP)
    return hipblasCreate(h);
#else
    return cublasCreate(h);
#endif
}

inline void destroy(Handle h) {
    if (h == nullptr) return;
#if defined(MSV_HIP)
    (void)hipblasDestroy(h);
#else
    (void)cublasDestroy(h);
#endif
}

// Binds the handle to the model's stream, and (CUDA) to a workspace we own, so that a graph capture never
// makes cuBLAS allocate.
inline Status bind(Handle h, cudaStream_t stream, void* workspace, size_t workspace_bytes) {
#if defined(MSV_HIP)
    (void)workspace, (void)workspace_bytes;
    return hipblasSetStream(h, stream);
#else
    Status s = cublasSetStream(h, stream);
#if CUDART_VERSION >= 11000
    if (s == kOk && workspace != nullptr) s = cublasSetWorkspace(h, workspace, workspace_bytes);
#else
    (void)workspace, (void)workspace_bytes;
#endif
    return s;
#endif
}

// The vendor's names of our storage types and of the accumulation: fp32 weights compute in plain fp32 (no TF32 and
// no reduced-precision reductions, whatever the environment: the exactness mode); fp16 / bf16 accumulate in fp32.
#if defined(MSV_HIP)
#if defined(HIPBLAS_V2)
inline hipDataType data_type(msv_dtype d) { return d == MSV_F32 ? HIP_R_32F : d == MSV_F16 ? HIP_R_16F : HIP_R_16BF; }
inline hipblasComputeType_t compute_type(msv_dtype) { return HIPBLAS_COMPUTE_32F; }
#else
inline hipblasDatatype_t data_type(msv_dtype d) {
    return d == MSV_F32 ? HIPBLAS_R_32F : d == MSV_F16 ? HIPBLAS_R_16F : HIPBLAS_R_16B;
}
inline hipblasDatatype_t compute_type(msv_dtype) { return HIPBLAS_R_32F; }
#endif
#define MSV_BLAS_OPS HIPBLAS_OP_T, HIPBLAS_OP_N
#define MSV_BLAS_ALGO HIPBLAS_GEMM_DEFAULT
#else
inline cudaDataType_t data_type(msv_dtype d) {
    return d == MSV_F32 ? CUDA_R_32F : d == MSV_F16 ? CUDA_R_16F : CUDA_R_16BF;
}
inline cublasComputeType_t compute_type(msv_dtype w) {
    return w == MSV_F32 ? CUBLAS_COMPUTE_32F_PEDANTIC : CUBLAS_COMPUTE_32F;
}
#define MSV_BLAS_OPS CUBLAS_OP_T, CUBLAS_OP_N
#define MSV_BLAS_ALGO CUBLAS_GEMM_DEFAULT
#endif

// Y[M, N] (row stride ldy, dtype y_dtype: the weights' dtype or fp32) = alpha X[M, K] . W[N, K]^T + beta Y.
// X has the weights' dtype.
inline Status gemm(Handle h, msv_dtype w_dtype, const void* W, int64_t ldw, const void* X, int64_t ldx,
                   msv_dtype y_dtype, void* Y, int64_t ldy, int M, int N, int K, float beta) {
    const float alpha = 1.0f;
    const auto wt = data_type(w_dtype);
#if defined(MSV_HIP)
    return hipblasGemmEx(
#else
    return cublasGemmEx(
#endif
        h, MSV_BLAS_OPS, N, M, K, &alpha, W, wt, static_cast<int>(ldw), X, wt, static_cast<int>(ldx), &beta, Y,
        data_type(y_dtype), static_cast<int>(ldy), compute_type(w_dtype), MSV_BLAS_ALGO);
}

// The product above split along K into `slices` equal slices (K % slices == 0), one batch entry each: slice s, the
// sum over k in [s K / slices, (s + 1) K / slices) of X[m, k] W[n, k], to partial[s, m, n] (fp32, row stride ldp,
// slices M ldp apart; no beta). The caller adds the slices (out_proj: with the residual add and the next layer's
// norm, in one kernel).
inline Status gemm_k_slices(Handle h, msv_dtype w_dtype, const void* W, int64_t ldw, const void* X, int64_t ldx,
                            float* partial, int64_t ldp, int M, int N, int K, int slices) {
    const float alpha = 1.0f, beta = 0.0f;
    const int ks = K / slices;
    const int64_t slice = M * ldp;
    const auto wt = data_type(w_dtype);
#if defined(MSV_HIP)
    return hipblasGemmStridedBatchedEx(
#else
    return cublasGemmStridedBatchedEx(
#endif
        h, MSV_BLAS_OPS, N, M, ks, &alpha, W, wt, static_cast<int>(ldw), ks, X, wt, static_cast<int>(ldx), ks, &beta,
        partial, data_type(MSV_F32), static_cast<int>(ldp), slice, slices, compute_type(w_dtype), MSV_BLAS_ALGO);
}

#undef MSV_BLAS_OPS
#undef MSV_BLAS_ALGO

}  // namespace msv::blas
