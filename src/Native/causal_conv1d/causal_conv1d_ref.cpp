// fp32 causal depthwise conv1d with conv state. Work is split into (batch entry, block of channels); per token the
// inner loop runs over contiguous channels of one row. The window of token t is virtual: tap k reads input
// position j = t - (width-1) + k, which is x[j] when j >= 0 and conv_state[t + k] otherwise, so nothing is shifted.
// x and out must not alias (later tokens and the new state read earlier inputs).
#include "causal_conv1d/causal_conv1d.h"

#include "common/activations.h"
#include "common/channel_blocks.h"
#include "common/math.h"

namespace msv::ref {
namespace {

constexpr int kBlock = 64;

void conv_block(const msv_conv1d_params& p, int64_t b, int d0, int nc) {
    const int W = p.width;
    const int S = W - 1;
    const auto* x = static_cast<const float*>(p.x) + b * p.x_batch_stride;
    auto* out = static_cast<float*>(p.out) + b * p.out_batch_stride;
    float* st = static_cast<float*>(p.conv_state) + static_cast<int64_t>(p.slot_idx[b]) * p.state_slot_stride;

    for (int64_t t = 0; t < p.seqlen; ++t) {
        for (int d = d0; d < d0 + nc; ++d) {
            const float* w = p.weight + static_cast<int64_t>(d) * W;
            float acc = p.bias ? p.bias[d] : 0.0f;
            for (int k = 0; k < W; ++k) {
                const int64_t j = t - S + k;
                const float v = j >= 0 ? x[j * p.x_row_stride + d] : st[static_cast<int64_t>(d) * S + t + k];
                acc += w[k] * v;
            }
            out[t * p.out_row_stride + d] = acc;
        }
        if (p.silu) silu_inplace(out + t * p.out_row_stride + d0, nc);
    }
    // New state = last S values of [state, x]. Position q = seqlen + i of that sequence is >= i, so writing
    // index i in increasing order never overwrites a state value still to be read.
    for (int d = d0; d < d0 + nc; ++d) {
        float* sd = st + static_cast<int64_t>(d) * S;
        for (int i = 0; i < S; ++i) {
            const int64_t q = p.seqlen + i;
            sd[i] = q < S ? sd[q] : x[(q - S) * p.x_row_stride + d];
        }
    }
}

}  // namespace

void causal_conv1d_fwd(const msv_conv1d_params& p) {
    const int64_t work = static_cast<int64_t>(p.batch) * p.dim * p.seqlen * p.width;
    for_each_channel_block(p.batch, p.dim, kBlock, work, [&](int64_t b, int d0, int nc) { conv_block(p, b, d0, nc); });
}

void causal_conv1d_update(const msv_conv1d_params& p) { causal_conv1d_fwd(p); }

}  // namespace msv::ref
