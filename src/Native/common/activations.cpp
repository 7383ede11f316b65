#include "common/activations.h"

#include "common/math.h"

namespace msv::ref {

// Cloned for AVX-512 / AVX2 / baseline like the other hot loops: the conv's silu, per output, was a libm call
// (std::exp) before math.h's silu became plain arithmetic; in a loop of its own it also vectorises.
__attribute__((target_clones("avx512f", "avx2", "default")))
void silu_inplace(float* v, int n) {
#pragma omp simd
    for (int i = 0; i < n; ++i) v[i] = silu(v[i]);
}

}  // namespace msv::ref
