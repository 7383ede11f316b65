// fp32 selective state update: one token per batch entry, in place on the slot's state (fp32 or bf16).
// The state rows of a block of channels are read once into a local block, updated, and written back once.
#include "selective_state_update/selective_state_update.h"

#include "common/channel_blocks.h"
#include "common/math.h"
#include "common/ssm_step.h"

namespace msv::ref {
namespace {

// Moves a block's state rows (count elements from base) in and out of the slot's storage type; fp32 math either
// way. Each storage type holds what its moves need: fp32 rows move straight, bf16 rows through fp32 scratch.
struct F32State {
    void load_block(SsmLaneBlock& block, const void* s, int64_t base, int64_t) {
        block.load_state_rows(static_cast<const float*>(s) + base);
    }
    void store_block(const SsmLaneBlock& block, void* s, int64_t base, int64_t) {
        block.store_state_rows(static_cast<float*>(s) + base);
    }
};
// bf16 rows are widened into the scratch and go through the same fp32 transposes, then are rounded back; a d_state
// past kMaxLocalStates (no scratch that large) goes element by element.
struct Bf16State {
    static constexpr int64_t kScratch = kSsmLanes * kMaxLocalStates;
    float scratch[kScratch];
    void load_block(SsmLaneBlock& block, const void* s, int64_t base, int64_t count) {
        const auto* rows = static_cast<const uint16_t*>(s) + base;
        if (count > kScratch) return block.load_state([&](int64_t i) { return bf16_to_float(rows[i]); });
        for (int64_t i = 0; i < count; ++i) scratch[i] = bf16_to_float(rows[i]);
        block.load_state_rows(scratch);
    }
    void store_block(const SsmLaneBlock& block, void* s, int64_t base, int64_t count) {
        auto* rows = static_cast<uint16_t*>(s) + base;
        if (count > kScratch) return block.store_state([&](int64_t i, float v) { rows[i] = float_to_bf16(v); });
        block.store_state_rows(scratch);
        for (int64_t i = 0; i < count; ++i) rows[i] = float_to_bf16(scratch[i]);
    }
};

// Channels [d0, d0 + nc) of batch entry b, a channel a vector lane (ssm_step.h).
template <typename S>
void update_block(const msv_state_update_params& p, int64_t b, int d0, int nc) {
    const int N = p.dstate;
    const float* Bb = static_cast<const float*>(p.B) + b * p.B_batch_stride;
    const float* Cb = static_cast<const float*>(p.C) + b * p.C_batch_stride;
    const float* x = static_cast<const float*>(p.x) + b * p.x_batch_stride;
    const int64_t base = static_cast<int64_t>(p.slot_idx[b]) * p.state_slot_stride + static_cast<int64_t>(d0) * N;
    const auto* delta = static_cast<const float*>(p.delta) + b * p.delta_batch_stride;
    const auto* z = p.z ? static_cast<const float*>(p.z) + b * p.z_batch_stride : nullptr;

    // The state rows go through the block's fp32 copy: bf16 storage is widened and rounded back. y uses the fp32 h
    // before rounding, as mamba_ssm's state update does.
    SsmLaneBlock block(p.A, p.dt_bias, p.D, d0, nc, N);
    const int64_t count = static_cast<int64_t>(nc) * N;
    S storage;
    storage.load_block(block, p.state, base, count);
    block.step(Bb, Cb, delta + d0, p.delta_softplus, x + d0, z ? z + d0 : nullptr,
               static_cast<float*>(p.out) + b * p.out_batch_stride + d0);
    storage.store_block(block, p.state, base, count);
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
