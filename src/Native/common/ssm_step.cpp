#include "common/ssm_step.h"

#include "common/math.h"

namespace msv::ref {

// Cloned for AVX-512 / AVX2 / baseline and picked at load time. The lanes are channels, so the loop over them is one
// vector per n with no reduction across lanes: a channel a lane ran ~2.6x faster than a channel a call with its
// d_state across the lanes, whose horizontal sum and exp chain left the core waiting (docs/benchmarks.md, "CPU
// engine"). fast_exp instead of std::exp is what lets the exp vectorise at all.
__attribute__((target_clones("avx512f", "avx2", "default")))
void ssm_step_lanes(float* __restrict hT, const float* __restrict AT, const float* __restrict B,
                    const float* __restrict C, const float* __restrict delta, const float* __restrict dt_bias,
                    bool delta_softplus, const float* __restrict u, const float* __restrict D,
                    const float* __restrict z, float* __restrict y, int N) {
    // dt's softplus and the gate's silu are plain arithmetic (math.h), so these lane loops vectorise too; through
    // libm they were a fifth of the CPU's time serving the demo model at 64 requests.
    float dt[kSsmLanes], dtx[kSsmLanes], acc[kSsmLanes] = {};
#pragma omp simd
    for (int lane = 0; lane < kSsmLanes; ++lane) dt[lane] = dt_bias ? delta[lane] + dt_bias[lane] : delta[lane];
    if (delta_softplus) {
#pragma omp simd
        for (int lane = 0; lane < kSsmLanes; ++lane) dt[lane] = softplus(dt[lane]);
    }
#pragma omp simd
    for (int lane = 0; lane < kSsmLanes; ++lane) dtx[lane] = dt[lane] * u[lane];

    for (int n = 0; n < N; ++n) {
        float* h = hT + n * kSsmLanes;
        const float* a = AT + n * kSsmLanes;
        const float b = B[n], c = C[n];
#pragma omp simd
        for (int lane = 0; lane < kSsmLanes; ++lane) {
            const float v = fast_exp(dt[lane] * a[lane]) * h[lane] + dtx[lane] * b;
            h[lane] = v;
            acc[lane] += c * v;
        }
    }

    if (D) {
#pragma omp simd
        for (int lane = 0; lane < kSsmLanes; ++lane) acc[lane] += D[lane] * u[lane];
    }
    if (z) {
#pragma omp simd
        for (int lane = 0; lane < kSsmLanes; ++lane) acc[lane] *= silu(z[lane]);
    }
    for (int lane = 0; lane < kSsmLanes; ++lane) y[lane] = acc[lane];
}

// __builtin_shufflevector is clang's and GCC's from 12 on. GCC 11 (Ubuntu 22.04's) has only __builtin_shuffle, which
// it lowered to scalar moves and branches here, so older compilers take the plain element loop below.
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
#define MSV_HAVE_SHUFFLEVECTOR 1
#endif

// Four shuffle stages on whole rows in registers (pairs of floats, then of pairs, then 128-bit quarters twice) instead
// of 256 scalar moves: the decode state update transposes every block's state in and out each token, and as scalar
// copies the transposes took 2.5x the time of the recurrence itself (`perf`, demo model at 64 requests).
#ifdef MSV_HAVE_SHUFFLEVECTOR
// The index lists of the three stages (0-15 pick from the first operand, 16-31 from the second): within each 128-bit
// quarter, the low or high halves of a and b interleaved a float (32) or a pair (64) at a time; and the even or odd
// quarters of a, then of b (Q).
#define MSV_LO32 0, 16, 1, 17, 4, 20, 5, 21, 8, 24, 9, 25, 12, 28, 13, 29
#define MSV_HI32 2, 18, 3, 19, 6, 22, 7, 23, 10, 26, 11, 27, 14, 30, 15, 31
#define MSV_LO64 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29
#define MSV_HI64 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31
#define MSV_EVEN_Q 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27
#define MSV_ODD_Q 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31
__attribute__((target_clones("avx512f", "avx2", "default")))
void ssm_transpose16(const float* in, int64_t in_stride, float* out, int64_t out_stride) {
    typedef float row __attribute__((vector_size(kSsmLanes * sizeof(float))));
    row r[kSsmLanes], t[kSsmLanes];
    for (int i = 0; i < kSsmLanes; ++i) __builtin_memcpy(&r[i], in + i * in_stride, sizeof(row));
    // Rows 2k and 2k + 1 interleaved a float at a time within each quarter.
    for (int k = 0; k < kSsmLanes; k += 2) {
        t[k] = __builtin_shufflevector(r[k], r[k + 1], MSV_LO32);
        t[k + 1] = __builtin_shufflevector(r[k], r[k + 1], MSV_HI32);
    }
    // Then a pair of floats at a time: quarter b of r[4m + q] is column 4b + q, rows 4m .. 4m + 3.
    for (int m = 0; m < kSsmLanes; m += 4) {
        r[m] = __builtin_shufflevector(t[m], t[m + 2], MSV_LO64);
        r[m + 1] = __builtin_shufflevector(t[m], t[m + 2], MSV_HI64);
        r[m + 2] = __builtin_shufflevector(t[m + 1], t[m + 3], MSV_LO64);
        r[m + 3] = __builtin_shufflevector(t[m + 1], t[m + 3], MSV_HI64);
    }
    // Then the quarters, twice: column 4b + q gathers quarter b of r[q], r[4 + q], r[8 + q] and r[12 + q].
    for (int q = 0; q < 4; ++q) {
        const row lo01 = __builtin_shufflevector(r[q], r[4 + q], MSV_EVEN_Q);
        const row hi01 = __builtin_shufflevector(r[q], r[4 + q], MSV_ODD_Q);
        const row lo23 = __builtin_shufflevector(r[8 + q], r[12 + q], MSV_EVEN_Q);
        const row hi23 = __builtin_shufflevector(r[8 + q], r[12 + q], MSV_ODD_Q);
        t[q] = __builtin_shufflevector(lo01, lo23, MSV_EVEN_Q);
        t[8 + q] = __builtin_shufflevector(lo01, lo23, MSV_ODD_Q);
        t[4 + q] = __builtin_shufflevector(hi01, hi23, MSV_EVEN_Q);
        t[12 + q] = __builtin_shufflevector(hi01, hi23, MSV_ODD_Q);
    }
    for (int j = 0; j < kSsmLanes; ++j) __builtin_memcpy(out + j * out_stride, &t[j], sizeof(row));
}
#else
void ssm_transpose16(const float* in, int64_t in_stride, float* out, int64_t out_stride) {
    for (int i = 0; i < kSsmLanes; ++i)
        for (int j = 0; j < kSsmLanes; ++j) out[j * out_stride + i] = in[i * in_stride + j];
}
#endif

}  // namespace msv::ref
