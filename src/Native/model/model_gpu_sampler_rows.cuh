// Shared pieces of the device sampler's kernels (model_gpu_sampler.cu): the per-chunk partial results, the
// histogram's bins, and finishing a target from its chunks' results.
#pragma once

#include "model/model_gpu_kernels.h"
#include "model/model_gpu_sampler_block.cuh"

namespace msv::gpu::model::sampler_block {

constexpr int kPer = kSamplerChunk / kThreads;  // ids per thread in a chunk
static_assert(kPer == 4, "the draw gives each thread the 4 ids of one Philox call");
constexpr int kBinsPer = kSamplerBins / kThreads;  // histogram bins per thread in the threshold search
static_assert(kBinsPer * kThreads == kSamplerBins, "bins split evenly over the block");
// The bins span s in [max - 64, max] (exp(-64) ~ 1.6e-28 of the top token); everything below is in the last bin.
constexpr float kBinRange = 64.0f;
// Fixed-point unit of the histogram's masses (each exp(s - max) <= 1, so a bin of 2^17 tokens still fits).
constexpr double kMassUnit = 70368744177664.0;  // 2^46
// Top-N entries of the chunks' lists that the finishing block stages in shared memory (50 chunks x 20 at most here).
constexpr int kTopStaged = 2048;

struct ChunkPartial {
    float best_v;  // argmax of the processed row (greedy) or of the scaled row s (sampling)
    int32_t best_id;
    float min_s;    // smallest s (sampling)
    float raw_max;  // the raw row's max over the chunk, and sum exp((double)(raw - raw_max))
    double raw_sum;
    float draw_v;  // the chunk's best Gumbel-perturbed survivor
    int32_t draw_id;
    int32_t survivors;  // whether the chunk has any
    int32_t members;    // tokens of the chunk that the collect kernel gathered
};

// The histogram's bins: d = max - s, rounded once, scaled to kSamplerBins over [0, range). Monotone in s (a larger
// s never gets a later bin), so each bin is one range of order keys.
struct Bins {
    float m, range, scale;
    __device__ inline int of(float v) const {
        const float d = sm::add_rn(m, -v);
        if (!(d < range)) return kSamplerBins - 1;
        return min(static_cast<int>(sm::mul_rn(d, scale)), kSamplerBins - 1);
    }
};
// A sampling target's threshold search: the threshold kernel plans it from the histogram, the collect kernel gathers
// the planned bins' tokens and finds tau (or, with more than kPairMax of them, searches the whole row).
struct Plan {
    Bins bins;           // the target's bins (set by the prepare kernel's last block for every sampling target)
    int32_t done;        // tau is final
    int32_t b_lo, b_hi;  // the bins whose tokens the collect kernel gathers
    int32_t count;       // how many tokens they hold
    double m_above;      // top-p without top-k: the mass of the bins before b_lo, and the mass to reach
    double target;
    float tau;           // the survivor threshold, min_p included
    float lnorm;         // log of the raw row's softmax sum (the prepare kernel's last block: the draw's finish reads it)
};

enum Ticket { kPrepareTicket = 0, kThresholdTicket = 1, kCollectTicket = 2, kDrawTicket = 3 };
constexpr int kTickets = 4;

// sm::is_greedy_temperature's rule, spelled out: calling it reordered the prepare kernel's sm_90 code (nvcc 11.8,
// same arithmetic), which no device run has measured.
__device__ inline bool is_greedy(const SampleTarget& t) { return t.temperature < sm::kGreedyTemperature; }
__device__ inline bool has_top_k(const SampleTarget& t, int vs) { return t.top_k > 0 && t.top_k < vs; }
__device__ inline bool has_top_p(const SampleTarget& t) { return t.top_p < 1.0f; }
__device__ inline bool searches(const SampleTarget& t, int vs) {
    return !is_greedy(t) && (has_top_k(t, vs) || has_top_p(t));
}
__device__ inline int top_n_of(const SampleTarget& t, int max_logprobs, int vs) {
    return max(0, min(t.logprobs, min(max_logprobs, vs)));
}

__device__ inline ChunkPartial* partials_of(const SamplerArgs& a, int lt) {
    return static_cast<ChunkPartial*>(a.scratch.partials) + static_cast<int64_t>(lt) * a.scratch.chunks;
}
__device__ inline int64_t top_index(const SamplerArgs& a, int lt, int chunk) {
    return (static_cast<int64_t>(lt) * a.scratch.chunks + chunk) * a.max_logprobs;
}
__device__ inline Plan* plan_of(const SamplerArgs& a, int lt) { return static_cast<Plan*>(a.scratch.plans) + lt; }
__device__ inline uint32_t* ticket(const SamplerArgs& a, Ticket k, int lt) {
    return a.scratch.tickets + k * kSamplerTargets + lt;
}
// At most this many targets in a launch, the threshold, collect and draw kernels load their chunk of s before they
// read the target and its plan (the addresses depend on neither): at a few targets the step waits on these round
// trips one after the other. At more, a greedy target's blocks would read 4 KB each for nothing.
constexpr int kEarlyLoadTargets = 8;

// The launch's target count. The count and the targets come from the step's upload, complete before the step's first
// kernel started (a kernel that PDL releases early overlaps only kernels of its own step), so they may be read before
// the wait: the load then overlaps the predecessor instead of following it.
__device__ inline int targets_in_launch(const SamplerArgs& a) {
    return min(*a.n_targets - a.first, kSamplerTargets);
}
// What every sampler kernel starts with: wait for its predecessor (PDL; nothing of its outputs is touched before
// this), let the next kernel launch, and take this block's chunk, ids [i0, i0 + len) of the row, and the launch's n
// targets (graphs: the count is on the device; rows of blocks loop over it).
struct BlockJob {
    int vs, c, i0, len, n;
};
__device__ inline BlockJob start_block(const SamplerArgs& a, int n) {
    msv_pdl_wait();
    msv_pdl_launch_dependents();
    const int c = static_cast<int>(blockIdx.x), i0 = c * kSamplerChunk;
    return BlockJob{a.vs, c, i0, min(kSamplerChunk, a.vs - i0), n};
}
__device__ inline BlockJob start_block(const SamplerArgs& a) { return start_block(a, targets_in_launch(a)); }

// What the prepare kernel's last block makes of a target's chunks: the bins of s (its largest and smallest value; a
// sampling target's later kernels read them from the plan) and the raw row's log-softmax norm (combined in chunk
// order; a greedy target's finish uses it at once, a sampling target's draw reads it from the plan).
struct RowSummary {
    Bins bins;
    float lnorm;
};
__device__ inline RowSummary row_summary(const SamplerArgs& a, int lt, Scratch& sc) {
    const ChunkPartial* pp = partials_of(a, lt);
    const int chunks = a.scratch.chunks;
    // Every chunk's four numbers in one round of loads (a thread keeps its first chunk's raw max and sum).
    float m = -INFINITY, mn = INFINITY, rm = -INFINITY, mine_max = -INFINITY;
    double mine_sum = 0.0;
    for (int c = threadIdx.x; c < chunks; c += kThreads) {
        const float mc = load_l2(&pp[c].raw_max);
        const double sc_sum = load_l2(&pp[c].raw_sum);
        m = fmaxf(m, load_l2(&pp[c].best_v)), mn = fminf(mn, load_l2(&pp[c].min_s)), rm = fmaxf(rm, mc);
        if (c == threadIdx.x) mine_max = mc, mine_sum = sc_sum;
    }
    Best bm{m, 0}, bmn{-mn, 0}, brm{rm, 0};
    block_best3(bm, bmn, brm, sc);
    m = bm.v, mn = -bmn.v, rm = brm.v;
    double z = 0.0;
    for (int c = threadIdx.x; c < chunks; c += kThreads) {
        const float mc = c == threadIdx.x ? mine_max : load_l2(&pp[c].raw_max);
        if (mc > -INFINITY) z += (c == threadIdx.x ? mine_sum : load_l2(&pp[c].raw_sum)) * exp(static_cast<double>(mc - rm));
    }
    z = block_sum(z, sc.dsum);
    const float range = fminf(sm::add_rn(m, -mn), kBinRange);
    return RowSummary{Bins{m, range, range > 0.0f ? kSamplerBins / range : 0.0f},
                      isinf(rm) && rm < 0 ? rm : sm::log_norm(rm, z)};
}

// The slot's sampler state restarts (SampleTarget::reset) over ids [i0, i0 + len) of its counts and seen flags: no
// outputs counted, the seen set = the prompt's ids there. The whole block calls it: the prepare kernel's blocks for
// their chunks, the plain greedy kernel for the whole row.
__device__ inline void reset_sampler_state(const SampleTarget& t, int32_t* counts, uint8_t* seen, int i0, int len) {
    for (int j = threadIdx.x; j < len; j += kThreads) counts[i0 + j] = 0, seen[i0 + j] = 0;
    __syncthreads();
    for (int j = threadIdx.x; j < t.n_prompt; j += kThreads) {
        const int32_t id = t.prompt_ids[j];
        if (id >= i0 && id < i0 + len) seen[id] = 1;
    }
    __syncthreads();
}

// Finish a target: the token's logprob (raw_tok - lnorm) and the top-N over the raw row (from the chunks' partial
// results, combined in chunk order), the output record, and the slot's count and seen flag of the token. The whole
// block calls it.
__device__ inline void finish(const SamplerArgs& a, int lt, const SampleTarget& t, int32_t tok, float raw_tok,
                              float lnorm, Scratch& sc) {
    const int chunks = a.scratch.chunks;
    const int N = a.max_logprobs;
    char* rec = static_cast<char*>(a.out) + static_cast<int64_t>(a.first + lt) * (8 + 8 * int64_t(N));
    int32_t* ids = reinterpret_cast<int32_t*>(rec + 8);
    float* lps = reinterpret_cast<float*>(rec + 8 + 4 * int64_t(N));
    if (threadIdx.x == 0) {
        *reinterpret_cast<int32_t*>(rec) = tok;
        *reinterpret_cast<float*>(rec + 4) = raw_tok - lnorm;
    }
    for (int j = threadIdx.x; j < N; j += kThreads) ids[j] = -1, lps[j] = -INFINITY;
    __syncthreads();
    // Top-N: repeated argmax over the chunks' lists (each the chunk's top L), among entries ranking after the last
    // pick; the lists are copied to shared memory first when they fit (each pick then reads no global memory).
    const int L = top_n_of(t, N, a.vs);
    __shared__ Best staged[kTopStaged];
    const bool fits = chunks * L <= kTopStaged;
    if (fits) {
        for (int e = threadIdx.x; e < chunks * L; e += kThreads) {
            const int64_t at = top_index(a, lt, e / L) + e % L;
            staged[e] = Best{load_l2(a.scratch.top_values + at), load_l2(a.scratch.top_ids + at)};
        }
        __syncthreads();
    }
    Best prev{INFINITY, -1};
    for (int j = 0; j < L; ++j) {
        Best b = kNone;
        for (int e = threadIdx.x; e < chunks * L; e += kThreads) {
            const int64_t at = top_index(a, lt, e / L) + e % L;
            const Best c = fits ? staged[e] : Best{load_l2(a.scratch.top_values + at), load_l2(a.scratch.top_ids + at)};
            if (c.id >= 0 && sm::ranks_before(prev.v, prev.id, c.v, c.id)) b = better(b, c);
        }
        prev = block_best(b, sc);
        if (threadIdx.x == 0 && prev.id != kNone.id) ids[j] = prev.id, lps[j] = prev.v - lnorm;
    }
    if (threadIdx.x == 0) {
        // A reduction, not a load and a store: the kernel's end need not wait for the count's round trip.
        atomicAdd(&a.counts[static_cast<int64_t>(t.slot) * a.vs + tok], 1);
        a.seen[static_cast<int64_t>(t.slot) * a.vs + tok] = 1;
    }
    __syncthreads();
}

}  // namespace msv::gpu::model::sampler_block
