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

// Y[M, N] (row stride ldy, dtype y_dtype: the weights' dtype or fp32) = alpha X[M, K] . W[N, K]^T + beta Y.
// X has the weights' dtype. fp32 weights compute in plain fp32 (no TF32: the exactness mode); fp16 / bf16 weights
// accumulate in fp32.
inline Status gemm(Handle h, msv_dtype w_dtype, const void* W, int64_t ldw, const void* X, int64_t ldx,
                   msv_dtype y_dtype, void* Y, int64_t ldy, int M, int N, int K, float beta) {
    const float alpha = 1.0f;
#if defined(MSV_HIP)
    auto type = [](msv_dtype d) {
        return d == MSV_F32 ? HIPBLAS_R_32F : d == MSV_F16 ? HIPBLAS_R_16F : HIPBLAS_R_16B;
    };
#if defined(HIPBLAS_V2)
    auto vtype = [](msv_dtype d) { return d == MSV_F32 ? HIP_R_32F : d == MSV_F16 ? HIP_R_16F : HIP_R_16BF; };
    return hipblasGemmEx(h, HIPBLAS_OP_T, HIPBLAS_OP_N, N, M, K, &alpha, W, vtype(w_dtype), static_cast<int>(ldw), X,
                         vtype(w_dtype), static_cast<int>(ldx), &beta, Y, vtype(y_dtype), static_cast<int>(ldy),
                         HIPBLAS_COMPUTE_32F, HIPBLAS_GEMM_DEFAULT);
#else
    return hipblasGemmEx(h, HIPBLAS_OP_T, HIPBLAS_OP_N, N, M, K, &alpha, W, type(w_dtype), static_cast<int>(ldw), X,
                         type(w_dtype), static_cast<int>(ldx), &beta, Y, type(y_dtype), static_cast<int>(ldy),
                         HIPBLAS_R_32F, HIPBLAS_GEMM_DEFAULT);
#endif
#else
    auto type = [](msv_dtype d) { return d == MSV_F32 ? CUDA_R_32F : d == MSV_F16 ? CUDA_R_16F : CUDA_R_16BF; };
    // Pedantic fp32 for the exactness mode: no TF32 and no reduced-precision reductions, whatever the environment.
    const cublasComputeType_t compute = w_dtype == MSV_F32 ? CUBLAS_COMPUTE_32F_PEDANTIC : CUBLAS_COMPUTE_32F;
    return cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, N, M, K, &alpha, W, type(w_dtype), static_cast<int>(ldw), X,
                        type(w_dtype), static_cast<int>(ldx), &beta, Y, type(y_dtype), static_cast<int>(ldy), compute,
                        CUBLAS_GEMM_DEFAULT);
#endif
}

}  // namespace msv::blas
