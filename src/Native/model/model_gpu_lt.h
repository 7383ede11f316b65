// One projection through cuBLASLt with a fixed rank in its heuristic's list of algorithms (CUDA; HIP: unsupported).
//
// Why: x_proj (192 outputs, K 5120 at mamba-2.8b) takes cuBLAS's first pick at 33-256 rows, a split-K kernel plus a
// reduction, where the second algorithm of cuBLASLt's list ran it 1.3-3.6 us faster alone on the H200
// (`--bench-blas`, docs/gpu-model.md "Session 2026-12-03, eighth"). The rank is fixed, not timed, so the same shape
// always gets the same algorithm and so the same bits, run after run.
#pragma once

#include "common/vendor.h"
#include "mambaserve.h"

#include <cstdint>
#include <memory>

namespace msv::gpu::model {

class LtProduct {
public:
    LtProduct();
    ~LtProduct();
    LtProduct(const LtProduct&) = delete;
    LtProduct& operator=(const LtProduct&) = delete;

    // Y[M, N] = X[M, K] . W[N, K]^T, bf16 / fp16 in and out, fp32 accumulation; the algorithm of rank `rank` (0 =
    // the heuristic's first) in cuBLASLt's list for this shape, or its last when the list is shorter. Plans are made
    // on the first call for a shape (host work only, so also inside a graph capture) and kept.
    msv_status run(cudaStream_t s, void* workspace, size_t workspace_bytes, msv_dtype wt, const void* W, int64_t ldw,
                   const void* X, int64_t ldx, void* Y, int64_t ldy, int M, int N, int K, int rank);

private:
    struct State;
    std::unique_ptr<State> st_;
};

}  // namespace msv::gpu::model
