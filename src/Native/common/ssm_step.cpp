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

}  // namespace msv::ref
