// fp32 selective state update: one token per batch entry, in place on the slot's state (fp32 or bf16).
// The state rows of a block of channels are read once into a local block, updated, and written back once.
#include "selective_state_update/selective_state_update.h"

#include "common/math.h"
#include "common/channel_blocks.h"
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

// Channels [d0, d0 + nc) of batch entry b, a channel a vector lane (ssm_step.h).
template <typename S>
void update_block(const msv_state_update_params& p, int64_t b, int d0, int nc) {
    const int N = p.dstate;
    const float* Bb = static_cast<const float*>(p.B) + b * p.B_batch_stride;
    const float* Cb = static_cast<const float*>(p.C) + b * p.C_batch_stride;
    const float* x = static_cast<const float*>(p.x) + b * p.x_batch_stride;
    const int64_t base = static_cast<int64_t>(p.slot_idx[b]) * p.state_slot_stride + static_cast<int64_t>(d0) * N;
    const float* A = p.A + static_cast<int64_t>(d0) * N;

    // The state rows go through a local fp32 block: bf16 storage is widened and rounded back. y uses the fp32 h
    // before rounding, as mamba_ssm's state update does.
    float stack[2 * kSsmLanes * kMaxLocalStates];
    std::vector<float> heap;
    float* h = stack;
    if (N > kMaxLocalStates) {
        heap.resize(2 * static_cast<size_t>(kSsmLanes) * N);
        h = heap.data();
    }
    float* a = h + kSsmLanes * N;
    ssm_rows_to_lanes(h, nc, N, [&](int64_t i) { return S::load(p.state, base + i); });
    ssm_rows_to_lanes(a, nc, N, [&](int64_t i) { return A[i]; });

    const auto* delta = static_cast<const float*>(p.delta) + b * p.delta_batch_stride;
    const auto* z = p.z ? static_cast<const float*>(p.z) + b * p.z_batch_stride : nullptr;
    float bias[kSsmLanes], skip[kSsmLanes], dlt[kSsmLanes], xs[kSsmLanes], gate[kSsmLanes], y[kSsmLanes];
    if (p.dt_bias) ssm_fill_lanes(bias, nc, [&](int c) { return p.dt_bias[d0 + c]; });
    if (p.D) ssm_fill_lanes(skip, nc, [&](int c) { return p.D[d0 + c]; });
    ssm_fill_lanes(dlt, nc, [&](int c) { return delta[d0 + c]; });
    ssm_fill_lanes(xs, nc, [&](int c) { return x[d0 + c]; });
    if (z) ssm_fill_lanes(gate, nc, [&](int c) { return z[d0 + c]; });
    ssm_step_lanes(h, a, Bb, Cb, dlt, p.dt_bias ? bias : nullptr, p.delta_softplus, xs, p.D ? skip : nullptr,
                   z ? gate : nullptr, y, N);
    ssm_lanes_to_rows(h, nc, N, [&](int64_t i, float v) { S::store(p.state, base + i, v); });
    auto* out = static_cast<float*>(p.out) + b * p.out_batch_stride;
    for (int c = 0; c < nc; ++c) out[d0 + c] = y[c];
}

template <typename S>
void update_all(const msv_state_update_params& p) {
    // Each state element costs an exp, several times a multiply-add, so a quarter of the usual work already pays
    // for waking the team (mamba-130m decode at batch 1: 1536 x 16 states per layer).
    const int64_t work = static_cast<int64_t>(p.batch) * p.dim * p.dstate;
    for_each_channel_block(p.batch, p.dim, kSsmLanes, 4 * work,
                           [&](int64_t b, int d0, int nc) { update_block<S>(p, b, d0, nc); });
}

}  // namespace

void selective_state_update(const msv_state_update_params& p) {
    if (p.state_dtype == MSV_BF16)
        update_all<Bf16State>(p);
    else
        update_all<F32State>(p);
}

}  // namespace msv::ref
