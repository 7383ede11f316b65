// y = x W^T + b for a few rows of x. Decode at batch 1..16 reads every weight once per token, so the kernel is
// built to stream W at memory bandwidth: weight rows are read in memory order, each dotted with every input row while
// it sits in L1, and blocks of rows are split across threads. libtorch's BLAS reached about a third of the machine's
// read bandwidth on this shape of problem (docs/benchmarks.md), hence our own loop. Every output is summed in one
// order whatever the number of rows, so a row's result does not depend on its batch (dot_tile below).
#include "linear/linear.h"


#include "common/math.h"

#include <algorithm>
#include <cstdint>

namespace msv::ref {
namespace {

constexpr int kRowsPerBlock = 16;  // weight rows per unit of work handed to a thread
constexpr int kLanes = 16;

// 16 floats; each clone below lowers it to one zmm, two ymm or four xmm registers. Rows need not be 64-byte aligned,
// so loads go through memcpy. Vectors never cross a function boundary (no vector parameters or returns): clang
// refuses such signatures in code built without AVX-512, and hipcc compiles this file for the GPU tests' reference.
typedef float lanes __attribute__((vector_size(kLanes * sizeof(float))));
typedef uint16_t half_lanes __attribute__((vector_size(kLanes * sizeof(uint16_t))));
typedef uint32_t word_lanes __attribute__((vector_size(kLanes * sizeof(uint32_t))));
#define MSV_LOAD(v, p) __builtin_memcpy(&(v), (p), sizeof(lanes))

// 16 weights as fp32 lanes. A bf16 value is the top half of the fp32 with the same bits, so widening is a shift and
// exact: a bf16 weight's products and sums are those of its fp32 widening, in the same order (the engine's bf16-stored
// checkpoints give the same logits with half the bytes read). Inputs are always fp32.
__attribute__((always_inline)) inline void load_weights(lanes& v, const float* p) { MSV_LOAD(v, p); }
__attribute__((always_inline)) inline void load_weights(lanes& v, const uint16_t* p) {
    half_lanes h;
    __builtin_memcpy(&h, p, sizeof(h));
    const word_lanes bits = __builtin_convertvector(h, word_lanes) << 16;
    __builtin_memcpy(&v, &bits, sizeof(v));
}
__attribute__((always_inline)) inline float weight_at(const float* p) { return *p; }
__attribute__((always_inline)) inline float weight_at(const uint16_t* p) { return bf16_to_float(*p); }

// The 16 lanes' sum as a tree (halves, quarters, then pairs), the same order for every tile shape: a few shuffles and
// adds where 16 scalar adds in lane order were a large share of a tile's work when K is small (a demo-size in_proj has
// 16 vector multiply-adds an output): 16-row tiles of that shape ran 1.2-1.6x faster, one row from cache up to 1.3x
// (docs/benchmarks.md, "The native linear's lane sums").
__attribute__((always_inline)) inline float lane_sum(const lanes& v) {
    typedef float lanes8 __attribute__((vector_size(8 * sizeof(float))));
    typedef float lanes4 __attribute__((vector_size(4 * sizeof(float))));
    const lanes8 h = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
                     __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
    const lanes4 q = __builtin_shufflevector(h, h, 0, 1, 2, 3) + __builtin_shufflevector(h, h, 4, 5, 6, 7);
    return (q[0] + q[2]) + (q[1] + q[3]);
}

// The dot products of NW weight rows (ws elements apart) with R input rows (xs floats apart), into acc[j][r]. Each
// pair is summed in one fixed order whatever NW and R are: four vector accumulators (64 floats per step, so the adds
// never wait on each other), then whole vectors, then the four folded together, their lanes summed as a tree
// (lane_sum), then a scalar tail. So a row's outputs are bit-identical at every batch size (batch invariance; the engine's tests
// compare batched rows with rows decoded alone), and tiling only decides which pairs share loads: each weight vector
// serves R rows and each input vector NW weight rows, and the NW x R lane sums run as independent chains.
template <int NW, int R, typename W>
__attribute__((always_inline)) inline void dot_tile(const W* w, int64_t ws, const float* x, int64_t xs, int K,
                                                    float (&acc)[NW][R]) {
    lanes a[NW][R][4];
#pragma GCC unroll 8
    for (int j = 0; j < NW; ++j)
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) a[j][r][0] = a[j][r][1] = a[j][r][2] = a[j][r][3] = lanes{};
    int k = 0;
    for (; k + 4 * kLanes <= K; k += 4 * kLanes) {
#pragma GCC unroll 4
        for (int q = 0; q < 4; ++q) {
            lanes wv[NW], xv;
#pragma GCC unroll 8
            for (int j = 0; j < NW; ++j) load_weights(wv[j], w + j * ws + k + q * kLanes);
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r) {
                MSV_LOAD(xv, x + r * xs + k + q * kLanes);
#pragma GCC unroll 8
                for (int j = 0; j < NW; ++j) a[j][r][q] += wv[j] * xv;
            }
        }
    }
    for (; k + kLanes <= K; k += kLanes) {
        lanes wv[NW], xv;
#pragma GCC unroll 8
        for (int j = 0; j < NW; ++j) load_weights(wv[j], w + j * ws + k);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            MSV_LOAD(xv, x + r * xs + k);
#pragma GCC unroll 8
            for (int j = 0; j < NW; ++j) a[j][r][0] += wv[j] * xv;
        }
    }
#pragma GCC unroll 8
    for (int j = 0; j < NW; ++j)
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            a[j][r][0] += a[j][r][1] + a[j][r][2] + a[j][r][3];
            acc[j][r] = lane_sum(a[j][r][0]);
        }
    // The scalar tail's multiply-adds are explicit fmas: left to the compiler, `acc += w * x` was contracted into an
    // fma in some tile shapes and not in others, and rows differed in the last bit between batch sizes.
    for (; k < K; ++k)
#pragma GCC unroll 8
        for (int j = 0; j < NW; ++j)
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r) acc[j][r] = __builtin_fmaf(weight_at(w + j * ws + k), x[r * xs + k], acc[j][r]);
}

// Outputs n .. n + NW - 1 of input rows r0 .. r0 + R - 1, the weight's elements of type W.
template <int NW, int R, typename W>
__attribute__((always_inline)) inline void linear_tile(const msv_linear_params& p, int n, int r0) {
    float acc[NW][R];
    dot_tile<NW, R>(static_cast<const W*>(p.weight) + static_cast<int64_t>(n) * p.in_features, p.in_features,
                    p.x + r0 * p.x_row_stride, p.x_row_stride, p.in_features, acc);
    for (int j = 0; j < NW; ++j) {
        const float bias = p.bias ? p.bias[n + j] : 0.0f;
        for (int r = 0; r < R; ++r) p.out[(r0 + r) * p.out_row_stride + n + j] = acc[j][r] + bias;
    }
}

// Outputs n .. n + NW - 1 of every input row, two rows at a time.
template <int NW, typename W>
__attribute__((always_inline)) inline void linear_rows(const msv_linear_params& p, int n) {
    int r = 0;
    for (; r + 2 <= p.rows; r += 2) linear_tile<NW, 2, W>(p, n, r);
    if (r < p.rows) linear_tile<NW, 1, W>(p, n, r);
}

template <typename W>
__attribute__((always_inline)) inline void linear_block_of(const msv_linear_params& p, int n0, int nb) {
    int j = 0;
    if (p.rows == 1) {
        for (; j < nb; ++j) linear_tile<1, 1, W>(p, n0 + j, 0);
        return;
    }
    for (; j + 3 <= nb; j += 3) linear_rows<3, W>(p, n0 + j);
    for (; j < nb; ++j) linear_rows<1, W>(p, n0 + j);
}

// Compiled three times (AVX-512, AVX2, baseline x86-64-v2); the loader picks the best the CPU has.
// One row (batch-1 decode, bound by memory): weight rows are visited in memory order, each dotted while it sits in
// L1, one sequential stream per thread, which the hardware prefetcher follows at full speed (interleaving several
// rows' streams halved the bandwidth on a Zen 4 core). Two rows or more are bound by loads and the lane sums instead:
// three weight rows x two input rows a tile (24 vector accumulators) took a 16-row step's in_proj, x_proj and
// out_proj 1.4-1.6x faster than one pair at a time on a Zen 4 core (docs/benchmarks.md, "CPU engine").
__attribute__((target_clones("avx512f", "avx2", "default")))
void linear_block(const msv_linear_params& p, int n0, int nb) {
    if (p.weight_dtype == MSV_BF16)
        linear_block_of<uint16_t>(p, n0, nb);
    else
        linear_block_of<float>(p, n0, nb);
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
