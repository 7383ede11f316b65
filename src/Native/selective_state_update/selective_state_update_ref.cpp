// fp32 selective state update: one token per batch entry, in place on the slot's state (fp32 or bf16).
// The state row of a channel is read once into registers/L1, updated, and written back once.
#include "selective_state_update/selective_state_update.h"

#include "common/math.h"
#include "common/ssm_step.h"

#include <vector>

namespace msv::ref {
namespace {

// Loads/stores one state element in the slot's storage type; fp32 math either way.
struct F32State {
    static float load(const void* s, int64_t i) { return static_cast<const float*>(s)[i]; }
    static void store(void* s, int64_t i, float v) { static_cast<float*>(s)[i] = v; }
};
struct Bf16State {
    static float load(const void* s, int64_t i) { return bf16_to_float(static_cast<const uint16_t*>(s)[i]); }
    static void store(void* s, int64_t i, float v) { static_cast<uint16_t*>(s)[i] = float_to_bf16(v); }
};

template <typename S>
void update_channel(const msv_state_update_params& p, int64_t b, int d) {
    const int N = p.dstate;
    const float* Bb = static_cast<const float*>(p.B) + b * p.B_batch_stride;
    const float* Cb = static_cast<const float*>(p.C) + b * p.C_batch_stride;
    const int64_t base = static_cast<int64_t>(p.slot_idx[b]) * p.state_slot_stride + static_cast<int64_t>(d) * N;
    const float* A = p.A + static_cast<int64_t>(d) * N;

    const float dt = ssm_dt(static_cast<const float*>(p.delta)[b * p.delta_batch_stride + d], p.dt_bias, d,
                            p.delta_softplus);
    const float x = static_cast<const float*>(p.x)[b * p.x_batch_stride + d];
    const float dtx = dt * x;
    // The state row goes through a local fp32 copy: bf16 storage is widened and rounded back, and the recurrence
    // itself is one shared vectorised loop. y uses the fp32 h before rounding, as mamba_ssm's state update does.
    float local[kMaxLocalStates];
    std::vector<float> heap;
    if (N > kMaxLocalStates) heap.resize(N);
    float* h = N > kMaxLocalStates ? heap.data() : local;
    for (int n = 0; n < N; ++n) h[n] = S::load(p.state, base + n);
    float y = ssm_step(h, A, Bb, Cb, dt, dtx, N);
    for (int n = 0; n < N; ++n) S::store(p.state, base + n, h[n]);
    if (p.D) y += p.D[d] * x;
    if (p.z) y *= silu(static_cast<const float*>(p.z)[b * p.z_batch_stride + d]);
    static_cast<float*>(p.out)[b * p.out_batch_stride + d] = y;
}

template <typename S>
void update_all(const msv_state_update_params& p) {
    const int64_t total = static_cast<int64_t>(p.batch) * p.dim;
    // Each state element costs an exp, several times a multiply-add, so a quarter of the usual work already pays
    // for waking the team (mamba-130m decode at batch 1: 1536 x 16 states per layer).
#pragma omp parallel for schedule(static) if (total * p.dstate >= kParallelMinWork / 4)
    for (int64_t i = 0; i < total; ++i) update_channel<S>(p, i / p.dim, static_cast<int>(i % p.dim));
}

}  // namespace

void selective_state_update(const msv_state_update_params& p) {
    if (p.state_dtype == MSV_BF16)
        update_all<Bf16State>(p);
    else
        update_all<F32State>(p);
}

}  // namespace msv::ref
