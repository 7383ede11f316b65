// The conv update of one decode token fused into in_proj's epilogue, shared by the GEMV (model_gpu_gemv.cuh) and
// the tensor-core GEMM (model_gpu_mma.cu): each kernel finishes in_proj's x channel n of row r and hands it here.
#pragma once

#include "gpu/dtype.cuh"
#include "model/model_gpu_kernels.h"

namespace msv::gpu::model {

// Channel n's conv weights and bias (zero without one), and its output for the window [state[0 .. S-1], x] (win[k]
// for k <= S = dc - 1; silu of the sum, in a fixed order).
struct ConvTaps {
    float w[4], bias;
};
__device__ __forceinline__ ConvTaps conv_taps(const ConvArgs& cv, int n) {
    ConvTaps t;
    const float* w = cv.weight + static_cast<int64_t>(n) * cv.dc;
#pragma unroll
    for (int k = 0; k < 4; ++k) t.w[k] = k < cv.dc ? w[k] : 0.0f;
    t.bias = cv.bias ? cv.bias[n] : 0.0f;
    return t;
}
__device__ __forceinline__ float conv_window(const ConvTaps& t, int S, const float (&win)[4]) {
    float acc = t.bias;
#pragma unroll
    for (int k = 0; k < 4; ++k)
        if (k <= S) acc += t.w[k] * win[k];
    return silu(acc);
}

// The conv update of one token for channel n of row r: window = [state[0 .. S-1], xv] (S = dc - 1 <= 3, checked on
// the host), state shifted by one in place, in the storage type T (xv is of it). Each (row, channel) belongs to one
// thread of the grid.
template <typename T> __device__ __forceinline__ float conv_epilogue(const ConvArgs& cv, int r, int n, float xv) {
    const int S = cv.dc - 1;
    T* st = static_cast<T*>(cv.state) + static_cast<int64_t>(cv.slot[r]) * cv.slot_stride + static_cast<int64_t>(n) * S;
    float win[4];
#pragma unroll
    for (int k = 0; k < 4; ++k) win[k] = k < S ? to_float(st[k]) : (k == S ? xv : 0.0f);
    const float out = conv_window(conv_taps(cv, n), S, win);
#pragma unroll
    for (int k = 0; k < 3; ++k)
        if (k < S) st[k] = from_float<T>(win[k + 1]);
    return out;
}

}  // namespace msv::gpu::model
