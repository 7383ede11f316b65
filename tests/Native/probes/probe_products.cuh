// Shared by the product-timing probes (wgmma_probe.cu, batch_gemm_probe.cu): kLayers copies of the weights, so that
// a product's weights come from memory and not from the 50 MB L2, timed as layers in turn, and a plain fp32
// reference product.
#pragma once

#include "probe_async.cuh"

constexpr int kLayers = 16;

// Microseconds a launch, over 20 rounds of the kLayers weight copies (the second of two timings).
template <typename F> static double time_layers(F&& launch) {
    cudaEvent_t e0, e1;
    CK(cudaEventCreate(&e0));
    CK(cudaEventCreate(&e1));
    const int reps = 20;
    float ms = 0.0f;
    for (int round = 0; round < 2; ++round) {
        CK(cudaEventRecord(e0));
        for (int r = 0; r < reps; ++r)
            for (int l = 0; l < kLayers; ++l) launch(l);
        CK(cudaEventRecord(e1));
        CK(cudaEventSynchronize(e1));
        CK(cudaGetLastError());
        CK(cudaEventElapsedTime(&ms, e0, e1));
    }
    CK(cudaEventDestroy(e0));
    CK(cudaEventDestroy(e1));
    return ms * 1e3 / (reps * kLayers);
}

// y[m, n] = sum_k w[n, k] x[m, k] in fp32, one thread an output.
__global__ void ref_kernel(const __nv_bfloat16* w, const __nv_bfloat16* x, float* y, int M, int N, int K) {
    const int n = blockIdx.x * blockDim.x + threadIdx.x, m = blockIdx.y;
    if (n >= N) return;
    float s = 0.0f;
    for (int k = 0; k < K; ++k) s += __bfloat162float(w[static_cast<size_t>(n) * K + k]) * __bfloat162float(x[static_cast<size_t>(m) * K + k]);
    y[static_cast<size_t>(m) * N + n] = s;
}
