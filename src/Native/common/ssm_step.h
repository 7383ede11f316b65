// One token of the selective scan for a block of channels: the inner loop of both the chunk scan and the
// decode state update, in one place so both run the same (vectorised) arithmetic.
#pragma once

#include "common/math.h"

#include <cstdint>
#include <vector>

namespace msv::ref {

// Channels a block holds: one per vector lane (a zmm of floats; two ymm or four xmm in the narrower clones).
constexpr int kSsmLanes = 16;

// d_state up to this fits a kernel's on-stack block (Mamba uses 16); larger rows go to the heap.
constexpr int kMaxLocalStates = 64;

// One token for kSsmLanes channels at once, a channel a lane. hT and AT hold the channels' state and A rows
// transposed: element (n, lane) at [n * kSsmLanes + lane], n < N. Per lane, as mambaserve.h documents the scan:
// dt = delta + dt_bias (through softplus when asked), h = exp(dt * A) * h + dt * u * B[n] for every n, in place,
// y = sum over n, in n order, of C[n] * (new h), then y += D * u and y *= silu(z). B and C are the token's, shared by
// the channels; delta, u, z, dt_bias and D are lane arrays (dt_bias, D and z may be null: none). Lanes past a block's
// channels hold zeros and give zeros. Lanes never mix, so a channel's result does not depend on the block it is in.
void ssm_step_lanes(float* __restrict hT, const float* __restrict AT, const float* __restrict B,
                    const float* __restrict C, const float* __restrict delta, const float* __restrict dt_bias,
                    bool delta_softplus, const float* __restrict u, const float* __restrict D,
                    const float* __restrict z, float* __restrict y, int N);

// out[j * out_stride + i] = in[i * in_stride + j] for i, j < kSsmLanes: a full block's state or A rows into lanes and
// back, kSsmLanes states at a time.
void ssm_transpose16(const float* in, int64_t in_stride, float* out, int64_t out_stride);

// Lane arrays of a block: values[c] for c < nc from get(c), zeros after.
template <typename Get>
inline void ssm_fill_lanes(float* lanes, int nc, const Get& get) {
    for (int c = 0; c < kSsmLanes; ++c) lanes[c] = c < nc ? get(c) : 0.0f;
}

// Copies the rows of channels [0, nc) (row c at rows + c * N, N floats, read through load(i)) into the transposed
// block t, and zeros the lanes from nc on.
template <typename Load>
inline void ssm_rows_to_lanes(float* t, int nc, int N, const Load& load) {
    for (int n = 0; n < N; ++n)
        for (int c = 0; c < kSsmLanes; ++c) t[n * kSsmLanes + c] = c < nc ? load(static_cast<int64_t>(c) * N + n) : 0.0f;
}

// The reverse for the first nc lanes: store(i, value) with i = c * N + n.
template <typename Store>
inline void ssm_lanes_to_rows(const float* t, int nc, int N, const Store& store) {
    for (int c = 0; c < nc; ++c)
        for (int n = 0; n < N; ++n) store(static_cast<int64_t>(c) * N + n, t[n * kSsmLanes + c]);
}

// The working set of a block of channels [d0, d0 + nc) for ssm_step_lanes: its state rows and A rows transposed
// (on the stack up to kMaxLocalStates, else the heap), and its dt_bias and D as lane arrays (null when the call has
// none). An fp32 state with contiguous rows comes in and goes out with load_state_rows / store_state_rows (a full
// block through the shuffle transpose); any other storage through the caller's load(i) / store(i, value), i = c * N +
// n, element by element.
class SsmLaneBlock {
public:
    SsmLaneBlock(const float* A, const float* dt_bias, const float* D, int d0, int nc, int N) : nc_(nc), N_(N) {
        if (N > kMaxLocalStates) heap_.resize(2 * static_cast<size_t>(kSsmLanes) * N);
        h_ = N > kMaxLocalStates ? heap_.data() : stack_;
        a_ = h_ + kSsmLanes * N;
        load_rows(a_, A + static_cast<int64_t>(d0) * N);
        bias_ = lanes_of(dt_bias, d0, bias_lanes_);
        skip_ = lanes_of(D, d0, skip_lanes_);
    }
    SsmLaneBlock(const SsmLaneBlock&) = delete;
    SsmLaneBlock& operator=(const SsmLaneBlock&) = delete;

    template <typename Load>
    void load_state(const Load& load) { ssm_rows_to_lanes(h_, nc_, N_, load); }
    template <typename Store>
    void store_state(const Store& store) const { ssm_lanes_to_rows(h_, nc_, N_, store); }
    // The same for an fp32 state whose rows are contiguous (N floats a channel from rows).
    void load_state_rows(const float* rows) { load_rows(h_, rows); }
    void store_state_rows(float* rows) const {
        if (!full_tiles()) return store_state([&](int64_t i, float v) { rows[i] = v; });
        for (int n = 0; n < N_; n += kSsmLanes) ssm_transpose16(h_ + n * kSsmLanes, kSsmLanes, rows + n, N_);
    }

    // One token: delta, u and z (null: no gate) point at the block's first channel in the token's rows, and the
    // block's nc outputs go to out onwards.
    void step(const float* B, const float* C, const float* delta, bool delta_softplus, const float* u, const float* z,
              float* out) {
        // A full block reads and writes the token's rows in place (see lanes_of).
        if (nc_ == kSsmLanes) return ssm_step_lanes(h_, a_, B, C, delta, bias_, delta_softplus, u, skip_, z, out, N_);
        float dlt[kSsmLanes], x[kSsmLanes], gate[kSsmLanes], y[kSsmLanes];
        ssm_fill_lanes(dlt, nc_, [&](int c) { return delta[c]; });
        ssm_fill_lanes(x, nc_, [&](int c) { return u[c]; });
        if (z) ssm_fill_lanes(gate, nc_, [&](int c) { return z[c]; });
        ssm_step_lanes(h_, a_, B, C, dlt, bias_, delta_softplus, x, skip_, z ? gate : nullptr, y, N_);
        for (int c = 0; c < nc_; ++c) out[c] = y[c];
    }

private:
    // A block of kSsmLanes channels and whole kSsmLanes-state tiles goes through the shuffle transpose; a partial block
    // (the last of a dim that is no multiple of kSsmLanes) or an odd d_state element by element.
    bool full_tiles() const { return nc_ == kSsmLanes && N_ % kSsmLanes == 0; }
    void load_rows(float* t, const float* rows) {
        if (!full_tiles()) return ssm_rows_to_lanes(t, nc_, N_, [&](int64_t i) { return rows[i]; });
        for (int n = 0; n < N_; n += kSsmLanes) ssm_transpose16(rows + n, N_, t + n * kSsmLanes, kSsmLanes);
    }

    // The block's lanes of a per-channel parameter (null when the call has none): a full block reads them where they
    // lie; a partial one copies them with zeros after its channels. Copied lane by lane into a local array, a full
    // block's row was written as 16 scalar stores and read back as one vector load, which the core cannot forward
    // from its store buffer: that stall was a fifth of ssm_step_lanes' time (`perf`, demo model at 64 requests).
    const float* lanes_of(const float* values, int d0, float* local) const {
        if (!values) return nullptr;
        if (nc_ == kSsmLanes) return values + d0;
        ssm_fill_lanes(local, nc_, [&](int c) { return values[d0 + c]; });
        return local;
    }

    int nc_, N_;
    alignas(64) float stack_[2 * kSsmLanes * kMaxLocalStates];
    std::vector<float> heap_;
    float* h_;
    float* a_;
    float bias_lanes_[kSsmLanes], skip_lanes_[kSsmLanes];
    const float* bias_;
    const float* skip_;
};

}  // namespace msv::ref
