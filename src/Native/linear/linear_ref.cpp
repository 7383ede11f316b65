// y = x W^T + b for a few rows of x. Decode at batch 1..16 reads every weight once per token, so the kernel is
// built to stream W at memory bandwidth: blocks of 4 weight rows stay in L1 while every input row is dotted with
// them (4 independent vector accumulators per pass), and output blocks are split across threads. A last block of
// fewer than 4 rows repeats its last row (read, never written) so the loop stays branch-free. libtorch's BLAS reached
// about half the machine's read bandwidth on this shape of problem (docs/benchmarks.md), hence our own loop.
#include "linear/linear.h"

// The 64-byte vector helpers below are always inlined into the cloned kernel, so no vector ever crosses a call
// boundary; GCC still warns about the ABI such a call would have.
#pragma GCC diagnostic ignored "-Wpsabi"

#include "common/math.h"

#include <algorithm>

namespace msv::ref {
namespace {

constexpr int kRowsPerBlock = 4;
constexpr int kLanes = 16;

// 16 floats; each clone below lowers it to one zmm, two ymm or four xmm registers. aligned(4): rows need not be
// 64-byte aligned, so loads go through memcpy into this type.
typedef float lanes __attribute__((vector_size(kLanes * sizeof(float)), aligned(4)));

// always_inline: these take and return 64-byte vectors, which only the cloned callers may pass in registers.
__attribute__((always_inline)) inline lanes load(const float* p) {
    lanes v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

__attribute__((always_inline)) inline float sum(lanes v) {
    float s = 0.0f;
    for (int i = 0; i < kLanes; ++i) s += v[i];
    return s;
}

// Compiled three times (AVX-512, AVX2, baseline x86-64-v2); the loader picks the best the CPU has.
__attribute__((target_clones("avx512f", "avx2", "default")))
void linear_block(const msv_linear_params& p, int n0, int nb) {
    const int K = p.in_features;
    const int body = K - K % kLanes;
    const float* w[kRowsPerBlock];
    for (int j = 0; j < kRowsPerBlock; ++j) w[j] = p.weight + static_cast<int64_t>(n0 + std::min(j, nb - 1)) * K;
    for (int r = 0; r < p.rows; ++r) {
        const float* x = p.x + r * p.x_row_stride;
        lanes a0 = {}, a1 = {}, a2 = {}, a3 = {};
        for (int k = 0; k < body; k += kLanes) {
            const lanes xv = load(x + k);
            a0 += load(w[0] + k) * xv;
            a1 += load(w[1] + k) * xv;
            a2 += load(w[2] + k) * xv;
            a3 += load(w[3] + k) * xv;
        }
        float acc[kRowsPerBlock] = {sum(a0), sum(a1), sum(a2), sum(a3)};
        for (int k = body; k < K; ++k)
            for (int j = 0; j < kRowsPerBlock; ++j) acc[j] += w[j][k] * x[k];
        float* out = p.out + r * p.out_row_stride + n0;
        for (int j = 0; j < nb; ++j) out[j] = acc[j] + (p.bias ? p.bias[n0 + j] : 0.0f);
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
