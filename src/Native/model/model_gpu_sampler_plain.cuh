// The device sampler's kernel for plain greedy targets (model_gpu_sampler.cu launches it before the chunked ones):
// greedy, with no logit bias, ban mask or penalty, and no top-N asked (the chosen token's logprob alone). Such a
// target needs its raw row's argmax and log-softmax norm and nothing else, so one block takes the whole row with
// many loads in flight. The chunked kernels spread a row over ~50 blocks of 1,024 ids, each with its own reductions
// and ticket: 113 us for 256 greedy rows (ncu, H200), as 12,800 short blocks, where the rows' 51 MB take ~12 us.
// Which targets are plain is decided on the host from each target's own parameters (SampleTarget::plain), so a plain
// target takes this kernel whatever else the step holds, and its sums, in this kernel's order, never depend on the
// batch.
#pragma once

#include "gpu/timeline.cuh"
#include "model/model_gpu_sampler_rows.cuh"

namespace msv::gpu::model::sampler_block {

// float4 loads a thread issues together: a 50k-id row is four rounds of them for one block.
constexpr int kPlainVecs = 16;

// A thread's argmax and log-sum-exp over the values it has seen, in increasing id order: m its largest value,
// s = sum of exp(x - m). The exps are fp32 and summed in fp32 within a round of 64 values, each round's sum then added
// in double (the chunked kernels sum double exps: the two paths agree to rounding, not bit for bit).
struct PlainRun {
    Best best = kNone;
    float m = -INFINITY;
    double s = 0.0;
    // One round: its max first, so that at most one rescale of s happens a round, then every value's exp against it
    // (one exp a value; a running max would take two). Ids increase with j, so a strict > keeps the lowest id of
    // equal values, as better() does across threads. -inf values (and the padding past the row) add nothing.
    template <int N, typename Id> __device__ __forceinline__ void add(const float (&v)[N], const Id& id) {
        float rm = -INFINITY;
#pragma unroll
        for (int j = 0; j < N; ++j) {
            rm = fmaxf(rm, v[j]);
            if (v[j] > best.v) best = Best{v[j], id(j)};
        }
        if (!(rm > -INFINITY)) return;
        if (rm > m) s *= exp(static_cast<double>(m - rm)), m = rm;
        float part = 0.0f;
#pragma unroll
        for (int j = 0; j < N; ++j) part += expf(v[j] - m);
        s += static_cast<double>(part);
    }
};

// Ids [0, vs) of the raw row: kPlainVecs float4 loads in flight a thread where rows start on 16 bytes, as many
// scalar loads a round otherwise (vocabularies not a multiple of 4: test shapes; four times as many would double the
// kernel's registers and halve its blocks an SM).
__device__ inline PlainRun plain_scan(const float* raw, int64_t ld, int vs) {
    PlainRun run;
    const int tid = static_cast<int>(threadIdx.x);
    if (ld % 4 == 0) {
        const float4* raw4 = reinterpret_cast<const float4*>(raw);
        const int n4 = vs / 4;
        for (int base = 0; base < n4; base += kThreads * kPlainVecs) {
            float v[4 * kPlainVecs];
#pragma unroll
            for (int k = 0; k < kPlainVecs; ++k) {
                const int q = base + k * kThreads + tid;
                const float4 f = q < n4 ? raw4[q] : make_float4(-INFINITY, -INFINITY, -INFINITY, -INFINITY);
                v[4 * k] = f.x, v[4 * k + 1] = f.y, v[4 * k + 2] = f.z, v[4 * k + 3] = f.w;
            }
            run.add(v, [&](int j) { return 4 * (base + (j / 4) * kThreads + tid) + j % 4; });
        }
        // The last vs % 4 ids.
        float tail[1] = {-INFINITY};
        const int i = 4 * n4 + tid;
        if (i < vs) tail[0] = raw[i];
        run.add(tail, [&](int) { return i; });
        return run;
    }
    for (int base = 0; base < vs; base += kThreads * kPlainVecs) {
        float v[kPlainVecs];
#pragma unroll
        for (int k = 0; k < kPlainVecs; ++k) {
            const int i = base + k * kThreads + tid;
            v[k] = i < vs ? raw[i] : -INFINITY;
        }
        run.add(v, [&](int j) { return base + j * kThreads + tid; });
    }
    return run;
}

// One block a target: grid (1, rows of targets), each row of blocks looping over the launch's targets as the chunked
// kernels' rows do; the targets that are not plain are left to them.
__global__ void __launch_bounds__(kThreads) plain_greedy_kernel(const SamplerArgs a) {
    __shared__ Scratch sc;
    BlockTimeline tl;
    if (threadIdx.x == 0) tl.start();
    // The block's first target before the wait (the step's upload): its row's address is then known when the LM
    // head's logits are.
    const int n = targets_in_launch(a);
    SampleTarget first{};
    if (static_cast<int>(blockIdx.y) < n) first = a.targets[a.first + blockIdx.y];
    msv_pdl_wait();
    msv_pdl_launch_dependents();
    if (threadIdx.x == 0) tl.waited();
    for (int lt = blockIdx.y; lt < n; lt += gridDim.y) {
        const SampleTarget t = lt == static_cast<int>(blockIdx.y) ? first : a.targets[a.first + lt];
        if (!t.plain) continue;
        // A plain target never reads its slot's counts and seen set, but a later sample there may not reset them.
        const int64_t at = static_cast<int64_t>(t.slot) * a.vs;
        if (t.reset) reset_sampler_state(t, a.counts + at, a.seen + at, 0, a.vs);
        const PlainRun run = plain_scan(a.logits + static_cast<int64_t>(t.row) * a.ld, a.ld, a.vs);
        // The argmax's value is the row's max (a plain target's s is its raw row).
        const Best top = block_best(run.best, sc);
        const double z = block_sum(run.m > -INFINITY ? run.s * exp(static_cast<double>(run.m - top.v)) : 0.0, sc.dsum);
        finish(a, lt, t, top.id, top.v, top.v > -INFINITY ? sm::log_norm(top.v, z) : top.v, sc);
    }
    if (threadIdx.x == 0) tl.end(a.timeline, kTagSamplePlain);
}

}  // namespace msv::gpu::model::sampler_block
