// y = x W^T + b for a few rows of x. Decode at batch 1..16 reads every weight once per token, so the kernel is
// built to stream W at memory bandwidth: blocks of 4 weight rows stay in L1 while every input row is dotted with
// them (4 independent accumulators per pass), and output blocks are split across threads. libtorch's BLAS reached
// about half the machine's read bandwidth on this shape of problem (docs/benchmarks.md), hence our own loop.
#include "linear/linear.h"

#include "common/math.h"

#include <algorithm>

namespace msv::ref {
namespace {

constexpr int kRowsPerBlock = 4;

// Compiled three times (AVX-512, AVX2+FMA, baseline x86-64-v2); the loader picks the best the CPU has.
__attribute__((target_clones("avx512f", "avx2,fma", "default")))
void linear_block(const msv_linear_params& p, int n0, int nb) {
    const int K = p.in_features;
    const float* w0 = p.weight + static_cast<int64_t>(n0) * K;
    for (int r = 0; r < p.rows; ++r) {
        const float* x = p.x + r * p.x_row_stride;
        float* out = p.out + r * p.out_row_stride + n0;
        if (nb == kRowsPerBlock) {
            const float *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
            float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
#pragma omp simd reduction(+ : a0, a1, a2, a3)
            for (int k = 0; k < K; ++k) {
                a0 += w0[k] * x[k];
                a1 += w1[k] * x[k];
                a2 += w2[k] * x[k];
                a3 += w3[k] * x[k];
            }
            out[0] = a0;
            out[1] = a1;
            out[2] = a2;
            out[3] = a3;
        } else {
            for (int j = 0; j < nb; ++j) {
                const float* w = w0 + static_cast<int64_t>(j) * K;
                float a = 0.0f;
#pragma omp simd reduction(+ : a)
                for (int k = 0; k < K; ++k) a += w[k] * x[k];
                out[j] = a;
            }
        }
        if (p.bias)
            for (int j = 0; j < nb; ++j) out[j] += p.bias[n0 + j];
    }
}

}  // namespace

void linear(const msv_linear_params& p) {
    const int64_t blocks = (p.out_features + kRowsPerBlock - 1) / kRowsPerBlock;
    const int64_t work = static_cast<int64_t>(p.rows) * p.in_features * p.out_features;
    // Below ~1M multiply-adds a thread wake-up costs more than it saves.
#pragma omp parallel for schedule(static) if (work >= 16 * kParallelMinWork)
    for (int64_t blk = 0; blk < blocks; ++blk) {
        const int n0 = static_cast<int>(blk * kRowsPerBlock);
        linear_block(p, n0, std::min(kRowsPerBlock, p.out_features - n0));
    }
}

}  // namespace msv::ref
