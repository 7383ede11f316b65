// One token of the selective-scan recurrence for one channel, over its d_state lanes: the inner loop of both the
// chunk scan and the decode state update, in one place so both run the same (vectorised) arithmetic.
#pragma once

#include "common/math.h"

namespace msv::ref {

// d_state up to this fits a kernel's on-stack state row (Mamba uses 16); larger rows go to the heap.
constexpr int kMaxLocalStates = 256;

// A channel's dt as the scan and the state update take it: raw delta plus the optional dt_bias[d], through softplus
// when asked.
inline float ssm_dt(float delta, const float* dt_bias, int d, bool delta_softplus) {
    const float dt = delta + (dt_bias ? dt_bias[d] : 0.0f);
    return delta_softplus ? softplus(dt) : dt;
}

// h[n] = exp(dt * A[n]) * h[n] + dtx * B[n] for n < N, in place; returns sum_n C[n] * h[n] (the new h).
// The arrays must not overlap h.
float ssm_step(float* __restrict h, const float* __restrict A, const float* __restrict B, const float* __restrict C,
               float dt, float dtx, int N);

}  // namespace msv::ref
