// fp32 selective scan. Work is split into (batch entry, block of kBlock channels): one pass over the chunk per
// block, with the block's state and A rows copied to a small local array so the inner loop touches no memory that
// could alias the output, and reads of u/delta/z/out per token are kBlock contiguous floats rather than one.
#include "selective_scan/selective_scan.h"

#include "common/channel_blocks.h"
#include "common/math.h"
#include "common/ssm_step.h"

#include <algorithm>
#include <vector>

namespace msv::ref {
namespace {

constexpr int kBlock = 8;
constexpr int kLocalStates = 64;  // dstate up to this uses the stack; larger (unusual) falls back to the heap

void scan_block(const msv_scan_params& p, int64_t b, int d0, int nc) {
    const int N = p.dstate;
    const auto* u = static_cast<const float*>(p.u) + b * p.u_batch_stride;
    const auto* delta = static_cast<const float*>(p.delta) + b * p.delta_batch_stride;
    const auto* Bm = static_cast<const float*>(p.B) + b * p.B_batch_stride;
    const auto* Cm = static_cast<const float*>(p.C) + b * p.C_batch_stride;
    const auto* z = p.z ? static_cast<const float*>(p.z) + b * p.z_batch_stride : nullptr;
    auto* out = static_cast<float*>(p.out) + b * p.out_batch_stride;
    float* state = p.state + static_cast<int64_t>(p.slot_idx[b]) * p.state_slot_stride + static_cast<int64_t>(d0) * N;

    float stack[2 * kBlock * kLocalStates];
    std::vector<float> heap;
    float* h = stack;
    if (N > kLocalStates) {
        heap.resize(2 * static_cast<size_t>(kBlock) * N);
        h = heap.data();
    }
    float* a = h + kBlock * N;
    std::copy(state, state + static_cast<int64_t>(nc) * N, h);
    std::copy(p.A + static_cast<int64_t>(d0) * N, p.A + static_cast<int64_t>(d0 + nc) * N, a);

    for (int t = 0; t < p.seqlen; ++t) {
        const float* Bt = Bm + t * p.B_row_stride;
        const float* Ct = Cm + t * p.C_row_stride;
        for (int c = 0; c < nc; ++c) {
            const int d = d0 + c;
            const float dt = ssm_dt(delta[t * p.delta_row_stride + d], p.dt_bias, d, p.delta_softplus);
            const float x = u[t * p.u_row_stride + d];
            const float dtx = dt * x;
            float y = ssm_step(h + c * N, a + c * N, Bt, Ct, dt, dtx, N);
            if (p.D) y += p.D[d] * x;
            if (z) y *= silu(z[t * p.z_row_stride + d]);
            out[t * p.out_row_stride + d] = y;
        }
    }
    std::copy(h, h + static_cast<int64_t>(nc) * N, state);
}

}  // namespace

void selective_scan_fwd(const msv_scan_params& p) {
    const int64_t work = static_cast<int64_t>(p.batch) * p.dim * p.seqlen * p.dstate;
    for_each_channel_block(p.batch, p.dim, kBlock, work, [&](int64_t b, int d0, int nc) { scan_block(p, b, d0, nc); });
}

}  // namespace msv::ref
