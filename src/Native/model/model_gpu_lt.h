// One projection through cuBLASLt with a fixed rank in its heuristic's list of algorithms (CUDA; HIP: unsupported).
//
// Why: an experiment (MSV_INPROJ_LT, MSV_XPROJ_LT, MSV_OUTPROJ_LT; off by default). x_proj took cuBLAS's first pick
// at 33-256 rows where the second algorithm of cuBLASLt's list ran it 1.3-3.6 us faster alone on the H200, but not
// inside the decode graph (docs/gpu-model.md, "Session 2026-12-03, eighth"); the same question for the two big
// products: at 256 rows cuBLAS runs out_proj as ~110 blocks of 96x64 tiles on 132 SMs, and in_proj in 0.92 waves.
// The rank is fixed, not timed, so the same shape always gets the same algorithm and so the same bits, run after run.
#pragma once

#include "common/vendor.h"
#include "mambaserve.h"

#include <cstdint>
#include <memory>

namespace msv::gpu::model {

// Whether this build has cuBLASLt: the model ignores the knobs where it has not (HIP).
#if defined(MSV_HIP)
constexpr bool kLtAvailable = false;
#else
constexpr bool kLtAvailable = true;
#endif

// The knobs act on products of more rows than this only: up to 32 rows x_proj and dt_proj run on our GEMM
// (kSmallProjDefaultRows), and the question is the BLAS's pick at 64-256 rows.
constexpr int kLtMinRows = 32;

class LtProduct {
public:
    LtProduct();
    ~LtProduct();
    LtProduct(const LtProduct&) = delete;
    LtProduct& operator=(const LtProduct&) = delete;

    // Y[M, N] = X[M, K] . W[N, K]^T + beta Y, as blas::gemm (common/blas.h): W and X bf16 / fp16 (wt), Y of type yt
    // (wt, or fp32: out_proj into the residual with beta 1), fp32 accumulation and scale. The algorithm of rank
    // `rank` (0 = the heuristic's first) in cuBLASLt's list for this shape, or its last when the list is shorter.
    // Plans are made on the first call for a shape (host work only, so also inside a graph capture) and kept.
    msv_status run(cudaStream_t s, void* workspace, size_t workspace_bytes, msv_dtype wt, const void* W, int64_t ldw,
                   const void* X, int64_t ldx, msv_dtype yt, void* Y, int64_t ldy, int M, int N, int K, float beta,
                   int rank);

private:
    struct State;
    std::unique_ptr<State> st_;
};

}  // namespace msv::gpu::model
