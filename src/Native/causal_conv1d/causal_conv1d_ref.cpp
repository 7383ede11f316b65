// fp32 causal depthwise conv1d with conv state. Work is split into (batch entry, block of channels); per token the
// inner loop runs over contiguous channels of one row. The window of token t is virtual: tap k reads input
// position j = t - (width-1) + k, which is x[j] when j >= 0 and conv_state[t + k] otherwise, so nothing is shifted.
// x and out must not alias (later tokens and the new state read earlier inputs).
#include "causal_conv1d/causal_conv1d.h"

#include "common/activations.h"
#include "common/channel_blocks.h"
#include "common/math.h"

#include <vector>

namespace msv::ref {
namespace {

constexpr int kBlock = 64;
constexpr int kMaxLocalWidth = 8;  // Mamba's conv is 4 wide; wider ones keep their block's copies on the heap

// A block's taps and past inputs with channels innermost, so every loop over channels is one contiguous vector loop:
// tap k of channel c at taps[k * kBlock + c], past input i (oldest first) at past[i * kBlock + c]. The rows of
// weight and conv_state are per channel (width and width - 1 floats apart), so read directly they were strided
// loads, a branch per tap, and the conv took ~10% of the CPU serving the demo model at 64 requests.
struct ConvBlock {
    ConvBlock(int W) {
        if (W > kMaxLocalWidth) heap.resize(2 * static_cast<size_t>(W) * kBlock);
        taps = W > kMaxLocalWidth ? heap.data() : stack;
        past = taps + static_cast<int64_t>(W) * kBlock;
    }
    float stack[2 * kMaxLocalWidth * kBlock];
    std::vector<float> heap;
    float* taps;
    float* past;
};

// One token (decode): the channel rows read as they lie, since a block's copies would cost more moves than the one
// output a channel they serve. The same sum order as the chunk path below: bias, then tap 0, 1, ...
inline void conv_token(const msv_conv1d_params& p, const float* x, float* out, float* st, int d0, int nc) {
    const int W = p.width;
    const int S = W - 1;
    for (int c = 0; c < nc; ++c) {
        const float* w = p.weight + static_cast<int64_t>(d0 + c) * W;
        float* sc = st + static_cast<int64_t>(c) * S;
        float acc = p.bias ? p.bias[d0 + c] : 0.0f;
        for (int k = 0; k < S; ++k) acc += w[k] * sc[k];
        acc += w[S] * x[c];
        out[c] = acc;
        for (int i = 0; i + 1 < S; ++i) sc[i] = sc[i + 1];
        if (S > 0) sc[S - 1] = x[c];
    }
    if (p.silu) silu_inplace(out, nc);
}

// Cloned for AVX-512 / AVX2 / baseline like the other per-channel kernels. Each output still sums bias, then tap 0,
// 1, ... in order, so a token's value does not depend on how the prompt was chunked or the batch it came in.
__attribute__((target_clones("avx512f", "avx2", "default")))
void conv_block(const msv_conv1d_params& p, int64_t b, int d0, int nc) {
    const int W = p.width;
    const int S = W - 1;
    const auto* x = static_cast<const float*>(p.x) + b * p.x_batch_stride + d0;
    auto* out = static_cast<float*>(p.out) + b * p.out_batch_stride + d0;
    float* st = static_cast<float*>(p.conv_state) + static_cast<int64_t>(p.slot_idx[b]) * p.state_slot_stride +
                static_cast<int64_t>(d0) * S;

    if (p.seqlen == 1) return conv_token(p, x, out, st, d0, nc);

    ConvBlock blk(W);
    for (int c = 0; c < nc; ++c)
        for (int k = 0; k < W; ++k) blk.taps[k * kBlock + c] = p.weight[static_cast<int64_t>(d0 + c) * W + k];
    for (int c = 0; c < nc; ++c)
        for (int i = 0; i < S; ++i) blk.past[i * kBlock + c] = st[static_cast<int64_t>(c) * S + i];

    for (int64_t t = 0; t < p.seqlen; ++t) {
        float* o = out + t * p.out_row_stride;
#pragma omp simd
        for (int c = 0; c < nc; ++c) o[c] = p.bias ? p.bias[d0 + c] : 0.0f;
        for (int k = 0; k < W; ++k) {
            // Tap k reads input position j = t - S + k: x's row j, or the past input t + k for j < 0.
            const int64_t j = t - S + k;
            const float* in = j >= 0 ? x + j * p.x_row_stride : blk.past + (t + k) * kBlock;
            const float* w = blk.taps + k * kBlock;
#pragma omp simd
            for (int c = 0; c < nc; ++c) o[c] += w[c] * in[c];
        }
        if (p.silu) silu_inplace(o, nc);
    }
    // New state = last S values of [state, x]: position q = seqlen + i of that sequence.
    for (int c = 0; c < nc; ++c) {
        float* sd = st + static_cast<int64_t>(c) * S;
        for (int i = 0; i < S; ++i) {
            const int64_t q = p.seqlen + i;
            sd[i] = q < S ? blk.past[q * kBlock + c] : x[(q - S) * p.x_row_stride + c];
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
