// fp32 selective scan. Work is split into (batch entry, block of kSsmLanes channels): one pass over the chunk per
// block, with the block's state and A rows transposed into a small local array (a channel a vector lane, see
// ssm_step.h) for the whole chunk, and reads of u/delta/z/out per token are kSsmLanes contiguous floats, not one.
#include "selective_scan/selective_scan.h"

#include "common/channel_blocks.h"
#include "common/math.h"
#include "common/ssm_step.h"

namespace msv::ref {
namespace {

void scan_block(const msv_scan_params& p, int64_t b, int d0, int nc) {
    const int N = p.dstate;
    const auto* u = static_cast<const float*>(p.u) + b * p.u_batch_stride;
    const auto* delta = static_cast<const float*>(p.delta) + b * p.delta_batch_stride;
    const auto* Bm = static_cast<const float*>(p.B) + b * p.B_batch_stride;
    const auto* Cm = static_cast<const float*>(p.C) + b * p.C_batch_stride;
    const auto* z = p.z ? static_cast<const float*>(p.z) + b * p.z_batch_stride : nullptr;
    auto* out = static_cast<float*>(p.out) + b * p.out_batch_stride;
    float* state = p.state + static_cast<int64_t>(p.slot_idx[b]) * p.state_slot_stride + static_cast<int64_t>(d0) * N;

    SsmLaneBlock block(p.A, p.dt_bias, p.D, d0, nc, N);
    block.load_state_rows(state);
    for (int t = 0; t < p.seqlen; ++t) {
        block.step(Bm + t * p.B_row_stride, Cm + t * p.C_row_stride, delta + t * p.delta_row_stride + d0,
                   p.delta_softplus, u + t * p.u_row_stride + d0, z ? z + t * p.z_row_stride + d0 : nullptr,
                   out + t * p.out_row_stride + d0);
    }
    block.store_state_rows(state);
}

}  // namespace

void selective_scan_fwd(const msv_scan_params& p) {
    const int64_t work = static_cast<int64_t>(p.batch) * p.dim * p.seqlen * p.dstate;
    for_each_channel_block(p.batch, p.dim, kSsmLanes, work, [&](int64_t b, int d0, int nc) { scan_block(p, b, d0, nc); });
}

}  // namespace msv::ref
