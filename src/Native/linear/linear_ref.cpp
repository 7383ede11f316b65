// y = x W^T + b for a few rows of x. Decode at batch 1..16 reads every weight once per token, so the kernel is
// built to stream W at memory bandwidth: weight rows are read in memory order, each dotted with every input row while
// it sits in L1, and blocks of rows are split across threads. libtorch's BLAS reached about a third of the machine's
// read bandwidth on this shape of problem (docs/benchmarks.md), hence our own loop.
#include "linear/linear.h"


#include "common/math.h"

#include <algorithm>

namespace msv::ref {
namespace {

constexpr int kRowsPerBlock = 16;  // weight rows per unit of work handed to a thread
constexpr int kLanes = 16;

// 16 floats; each clone below lowers it to one zmm, two ymm or four xmm registers. Rows need not be 64-byte aligned,
// so loads go through memcpy. Vectors never cross a function boundary (no vector parameters or returns): clang
// refuses such signatures in code built without AVX-512, and hipcc compiles this file for the GPU tests' reference.
typedef float lanes __attribute__((vector_size(kLanes * sizeof(float))));
#define MSV_LOAD(v, p) __builtin_memcpy(&(v), (p), sizeof(lanes))

// Dot product of one weight row with one input row: four vector accumulators (64 floats per step) so the adds never
// wait on each other, then whole vectors, then a scalar tail.
__attribute__((always_inline)) inline float dot(const float* w, const float* x, int K) {
    lanes a0 = {}, a1 = {}, a2 = {}, a3 = {}, wv, xv;
    int k = 0;
    for (; k + 4 * kLanes <= K; k += 4 * kLanes) {
        MSV_LOAD(wv, w + k); MSV_LOAD(xv, x + k); a0 += wv * xv;
        MSV_LOAD(wv, w + k + kLanes); MSV_LOAD(xv, x + k + kLanes); a1 += wv * xv;
        MSV_LOAD(wv, w + k + 2 * kLanes); MSV_LOAD(xv, x + k + 2 * kLanes); a2 += wv * xv;
        MSV_LOAD(wv, w + k + 3 * kLanes); MSV_LOAD(xv, x + k + 3 * kLanes); a3 += wv * xv;
    }
    for (; k + kLanes <= K; k += kLanes) {
        MSV_LOAD(wv, w + k);
        MSV_LOAD(xv, x + k);
        a0 += wv * xv;
    }
    a0 += a1 + a2 + a3;
    float acc = 0.0f;
    for (int i = 0; i < kLanes; ++i) acc += a0[i];
    for (; k < K; ++k) acc += w[k] * x[k];
    return acc;
}

// Compiled three times (AVX-512, AVX2, baseline x86-64-v2); the loader picks the best the CPU has.
// Weight rows are visited in memory order, each dotted with every input row while it sits in L1: one sequential
// stream per thread, which the hardware prefetcher follows at full speed (interleaving several rows' streams halved
// the bandwidth on a Zen 4 core).
__attribute__((target_clones("avx512f", "avx2", "default")))
void linear_block(const msv_linear_params& p, int n0, int nb) {
    const int K = p.in_features;
    for (int j = 0; j < nb; ++j) {
        const int n = n0 + j;
        const float* w = p.weight + static_cast<int64_t>(n) * K;
        const float bias = p.bias ? p.bias[n] : 0.0f;
        for (int r = 0; r < p.rows; ++r) p.out[r * p.out_row_stride + n] = dot(w, p.x + r * p.x_row_stride, K) + bias;
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
