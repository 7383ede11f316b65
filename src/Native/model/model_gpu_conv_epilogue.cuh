// The conv update of one decode token fused into in_proj's epilogue, shared by the GEMV (model_gpu_gemv.cuh) and
// the tensor-core GEMM (model_gpu_mma.cu): each kernel finishes in_proj's x channel n of row r and hands it here.
#pragma once

#include "gpu/dtype.cuh"
#include "model/model_gpu_kernels.h"

namespace msv::gpu::model {

// Before a kernel's PDL wait: the lines that the conv update of channel n of row r reads (its state, weights and
// bias; none written by the kernel before in_proj in a step) into L2, where the model's weight stream of the step
// before has evicted them: read in the epilogue, after the slot index, they were two round trips to memory at the
// end of in_proj. Used by the tensor-core GEMM (3-8 rows: 0.9-1.3% a step on the H200). In the GEMV's in_proj (1-2
// rows) the same prefetch, or loading the values themselves before the wait, made a 2-row step 17-20% slower and a
// 1-row step no faster (docs/gpu-model.md, "Session 2026-12-04, third").
__device__ __forceinline__ void prefetch_conv_inputs(const ConvArgs& cv, int r, int n, size_t state_elem) {
    const int S = cv.dc - 1;
    const char* st = static_cast<const char*>(cv.state) +
                     (static_cast<int64_t>(cv.slot[r]) * cv.slot_stride + static_cast<int64_t>(n) * S) * state_elem;
    msv_prefetch_line_l2(st);
    msv_prefetch_line_l2(cv.weight + static_cast<int64_t>(n) * cv.dc);
    if (cv.bias) msv_prefetch_line_l2(cv.bias + n);
}

// The conv update of one token for channel n of row r: window = [state[0 .. S-1], xv] (S = dc - 1 <= 3, checked on
// the host), state shifted by one in place, in the storage type T (xv is of it). Each (row, channel) belongs to one
// thread of the grid.
template <typename T> __device__ __forceinline__ float conv_epilogue(const ConvArgs& cv, int r, int n, float xv) {
    const int S = cv.dc - 1;
    T* st = static_cast<T*>(cv.state) + static_cast<int64_t>(cv.slot[r]) * cv.slot_stride + static_cast<int64_t>(n) * S;
    const float* w = cv.weight + static_cast<int64_t>(n) * cv.dc;
    float win[4];
#pragma unroll
    for (int k = 0; k < 4; ++k) win[k] = k < S ? to_float(st[k]) : (k == S ? xv : 0.0f);
    float acc = cv.bias ? cv.bias[n] : 0.0f;
#pragma unroll
    for (int k = 0; k < 4; ++k)
        if (k <= S) acc += w[k] * win[k];
#pragma unroll
    for (int k = 0; k < 3; ++k)
        if (k < S) st[k] = from_float<T>(win[k + 1]);
    return silu(acc);
}

}  // namespace msv::gpu::model
