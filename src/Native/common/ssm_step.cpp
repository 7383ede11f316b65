#include "common/ssm_step.h"

#include "common/math.h"

namespace msv::ref {

// Cloned for AVX-512 / AVX2 / baseline and picked at load time: with d_state 16 the loop is one AVX-512 vector.
// A separate function with restrict pointers is what lets GCC vectorise it (inlined into the kernels' loops it
// stayed scalar), and fast_exp instead of std::exp is what lets the exp vectorise at all.
__attribute__((target_clones("avx512f", "avx2", "default")))
float ssm_step(float* __restrict h, const float* __restrict A, const float* __restrict B, const float* __restrict C,
               float dt, float dtx, int N) {
    float y = 0.0f;
#pragma omp simd reduction(+ : y)
    for (int n = 0; n < N; ++n) {
        const float v = fast_exp(dt * A[n]) * h[n] + dtx * B[n];
        h[n] = v;
        y += C[n] * v;
    }
    return y;
}

}  // namespace msv::ref
