// GPU fused residual add + RMSNorm (msv_rmsnorm_params). One block per row: the first pass adds x into the fp32
// residual and sums squares, a block reduction gives the scale, the second pass re-reads the residual this same
// thread just wrote (so no barrier is needed for it) and writes the normalised row.
#pragma once

#include "gpu/check.h"
#include "gpu/dtype.cuh"
#include "gpu/launch.h"

namespace msv::gpu {
namespace norm {

constexpr int kThreads = 256;

template <typename T, bool kHasX>
__global__ void __launch_bounds__(kThreads) rmsnorm_kernel(const msv_rmsnorm_params p) {
    __shared__ float partial[kThreads / MSV_GROUP];
    const int64_t r = blockIdx.x;
    float* res = p.residual + r * p.residual_row_stride;
    const T* x = kHasX ? static_cast<const T*>(p.x) + r * p.x_row_stride : nullptr;
    T* out = static_cast<T*>(p.out) + r * p.out_row_stride;

    float sumsq = 0.0f;
    for (int i = threadIdx.x; i < p.dim; i += kThreads) {
        float v = res[i];
        if (kHasX) {
            v += load(x, i);
            res[i] = v;
        }
        sumsq += v * v;
    }
    for (int off = MSV_GROUP / 2; off > 0; off /= 2) sumsq += __shfl_xor_sync(MSV_GROUP_MASK, sumsq, off, MSV_GROUP);
    if (threadIdx.x % MSV_GROUP == 0) partial[threadIdx.x / MSV_GROUP] = sumsq;
    __syncthreads();
    float total = 0.0f;
#pragma unroll
    for (int k = 0; k < kThreads / MSV_GROUP; ++k) total += partial[k];
    const float scale = rsqrtf(total / static_cast<float>(p.dim) + p.eps);

    for (int i = threadIdx.x; i < p.dim; i += kThreads) out[i] = from_float<T>(res[i] * scale * p.weight[i]);
}

}  // namespace norm

template <msv_dtype DT>
msv_status launch_rmsnorm_residual(const msv_rmsnorm_params& p, void* stream) {
    using T = typename storage<DT>::type;
    const auto s = static_cast<cudaStream_t>(stream);
    if (p.x)
        norm::rmsnorm_kernel<T, true><<<p.rows, norm::kThreads, 0, s>>>(p);
    else
        norm::rmsnorm_kernel<T, false><<<p.rows, norm::kThreads, 0, s>>>(p);
    return check_launch("msv_rmsnorm_residual");
}

}  // namespace msv::gpu
