// The sampler on the device (docs/gpu-engine.md "Sampler on the device"; the arithmetic is model/sampler_math.h,
// shared with the reference sampler, so both draw the same tokens from the same logits).
//
// Every row is cut into chunks of kSamplerChunk ids, and each (chunk, target) pair is one block, so a batch-1 step
// spreads its row over ~50 SMs instead of one (the one-block-per-target sampler took ~57 us for a greedy row and
// ~0.25 ms for top-p at batch 1). The chunks are the same whatever the batch, so a row's sums never depend on it.
// Four kernels; a target's work is finished by the last of its blocks (last_block):
//  1. prepare: bias, bans, penalties and temperature over the chunk (the scaled row s goes to `work`); per chunk the
//     argmax, the smallest s, the raw row's max and sum of exp, and its top-N. A greedy target is finished here.
//  2. threshold (targets with top-k or top-p): a histogram of s over 1024 bins of max(s) - s, with counts and masses
//     exp(s - max) in fixed point (integer sums: the same bits in any order); the last block plans which bins hold
//     the thresholds (make_plan).
//  3. collect: the planned bins' tokens, gathered by every block from its chunk; the last block finds tau among
//     them (model_gpu_sampler_search.cuh), or, when they are more than it takes (kPairMax), searches the whole row
//     (find_threshold: one block, slow, rare). The threshold is sampler_math.h's: the largest key whose count / mass of
//     tokens at or above it reaches the target; only the order and the precision of the mass sums differ from the
//     reference (fixed point of 2^-46 for the bins above, double among the gathered tokens), which matters only at
//     the top_p boundary.
//  4. draw: Gumbel-max among the survivors of each chunk (one Philox call per 4 adjacent ids), and the last block
//     picks the best and finishes the target.
// Finishing: the chosen token's log-softmax and the top-N over the raw row, from the chunks' partial results; then
// the slot's output count and seen flag of the token (the next step's penalties see it).
// Plain greedy targets (no bias, bans, penalties or top-N) are the plain greedy kernel's alone, launched before these
// four (model_gpu_sampler_plain.cuh): one block reads a row, which the chunked kernels' short blocks were slow at.
#include "common/error.h"
#include "gpu/check.h"
#include "gpu/dtype.cuh"
#include "gpu/launch_kernel.cuh"
#include "gpu/timeline.cuh"
#include "model/model_gpu_kernels.h"
#include "model/model_gpu_sampler_bins.cuh"
#include "model/model_gpu_sampler_plain.cuh"

#include <algorithm>
#include <string>

namespace msv::gpu::model {
namespace {

using namespace sampler_block;

// A block's timeline (-DMSV_TIMELINE=1 builds; nothing otherwise): start, the predecessor's wait, and marks around
// the ticket (a: the chunk's work done; b, the last block only: its finishing work starts).
struct SamplerTimeline {
    BlockTimeline tl;
    __device__ SamplerTimeline() {
        if (threadIdx.x == 0) tl.start();
    }
    __device__ void waited() {
        if (threadIdx.x == 0) tl.waited();
    }
    __device__ bool last_block(uint32_t* counter, uint32_t blocks, bool& flag) {
        if (threadIdx.x == 0) tl.mark_a();
        const bool last = sampler_block::last_block(counter, blocks, flag);
        if (last && threadIdx.x == 0) tl.mark_b();
        return last;
    }
    __device__ void end(const SamplerArgs& a, TimelineTag tag) {
        if (threadIdx.x == 0) tl.end(a.timeline, tag);
    }
};

// A chunk's s values of this thread (ids i0 + threadIdx.x + k kThreads), 0 past the chunk.
__device__ __forceinline__ void load_chunk(const float* s, int i0, int len, float (&v)[kPer]) {
#pragma unroll
    for (int k = 0; k < kPer; ++k) {
        const int j = threadIdx.x + k * kThreads;
        v[k] = j < len ? s[i0 + j] : 0.0f;
    }
}
// The 4 adjacent s values g .. g + 3 below i1 (one 16-byte load where all four are; rows of s start on 16 bytes).
__device__ __forceinline__ void load_adjacent(const float* s, int g, int i1, float (&v)[kPer]) {
    if (g + kPer <= i1) {
        const float4 q = *reinterpret_cast<const float4*>(s + g);
        v[0] = q.x, v[1] = q.y, v[2] = q.z, v[3] = q.w;
    } else {
#pragma unroll
        for (int q = 0; q < kPer; ++q) v[q] = g + q < i1 ? s[g + q] : 0.0f;
    }
}

// ---- 1. prepare -------------------------------------------------------------------------------------------------
__global__ void __launch_bounds__(kThreads) prepare_kernel(const SamplerArgs a) {
    __shared__ float sw[kSamplerChunk];
    __shared__ Scratch sc;
    __shared__ bool last;
    SamplerTimeline tl;
    // The block's first target before the wait (the step's upload, as the count): its row's address is then known
    // when the LM head's logits are.
    const int targets = targets_in_launch(a);
    SampleTarget first{};
    if (static_cast<int>(blockIdx.y) < targets) first = a.targets[a.first + blockIdx.y];
    const auto [vs, c, i0, len, n] = start_block(a, targets);
    tl.waited();
    const SamplerScratch& x = a.scratch;
    for (int lt = blockIdx.y; lt < n; lt += gridDim.y) {
        const SampleTarget t = lt == static_cast<int>(blockIdx.y) ? first : a.targets[a.first + lt];
        if (t.plain) continue;  // the plain greedy kernel's (greedy: the later kernels leave it too)
        const float* raw = a.logits + static_cast<int64_t>(t.row) * a.ld;
        int32_t* counts = a.counts + static_cast<int64_t>(t.slot) * vs;
        uint8_t* seen = a.seen + static_cast<int64_t>(t.slot) * vs;
        // The threshold kernel's histogram of this target starts empty: each block clears its share.
        for (int b = c * kThreads + threadIdx.x; b < kSamplerBins; b += gridDim.x * kThreads)
            x.hist_count[lt * kSamplerBins + b] = 0, x.hist_mass[lt * kSamplerBins + b] = 0;
        if (t.reset) reset_sampler_state(t, counts, seen, i0, len);
        float r[kPer];
#pragma unroll
        for (int k = 0; k < kPer; ++k) {
            const int j = threadIdx.x + k * kThreads;
            r[k] = j < len ? raw[i0 + j] : -INFINITY;
            if (j < len) sw[j] = r[k];
        }
        __syncthreads();
        // Bias entries in list order by one thread: a repeated id adds twice, as the reference does.
        if (threadIdx.x == 0)
            for (int b = 0; b < t.n_bias; ++b) {
                const int32_t id = t.bias_ids[b];
                if (id >= i0 && id < i0 + len) sw[id - i0] = sm::add_rn(sw[id - i0], t.bias_values[b]);
            }
        __syncthreads();
        const bool greedy = is_greedy(t);
        const bool rep = t.repetition != 1.0f, fp = t.frequency != 0.0f || t.presence != 0.0f;
        const float inv_t = greedy ? 1.0f : 1.0f / t.temperature;
        float* work = x.work + static_cast<int64_t>(lt) * x.ld;
        Best best = kNone;
        float lo = INFINITY, rmax = -INFINITY;
#pragma unroll
        for (int k = 0; k < kPer; ++k) {
            const int j = threadIdx.x + k * kThreads, i = i0 + j;
            if (j >= len) continue;
            float w = sw[j];
            if (t.ban_bits != nullptr && sm::banned(t.ban_bits, i)) w = sm::add_rn(w, MSV_BAN_BIAS);
            if (rep && seen[i]) w = sm::repetition(w, t.repetition);
            if (fp && counts[i] > 0) w = sm::frequency_presence(w, counts[i], t.frequency, t.presence);
            if (!greedy) w = sm::scaled(w, inv_t), work[i] = w, lo = fminf(lo, w);
            best = better(best, Best{w, i});
            rmax = fmaxf(rmax, r[k]);
        }
        Best neg_lo{-lo, 0}, top_raw{rmax, 0};
        block_best3(best, neg_lo, top_raw, sc);
        lo = -neg_lo.v, rmax = top_raw.v;
        double se = 0.0;
        if (rmax > -INFINITY)
#pragma unroll
            for (int k = 0; k < kPer; ++k)
                if (threadIdx.x + k * kThreads < len) se += exp(static_cast<double>(r[k] - rmax));
        se = block_sum(se, sc.dsum);
        // The chunk's top-N of the raw row, by repeated argmax (-1 past the chunk's length).
        const int L = top_n_of(t, a.max_logprobs, vs);
        Best prev{INFINITY, -1};
        for (int j = 0; j < L; ++j) {
            Best b = kNone;
#pragma unroll
            for (int k = 0; k < kPer; ++k) {
                const int i = i0 + threadIdx.x + k * kThreads;
                if (threadIdx.x + k * kThreads < len && sm::ranks_before(prev.v, prev.id, r[k], i))
                    b = better(b, Best{r[k], i});
            }
            prev = block_best(b, sc);
            if (threadIdx.x == 0) {
                x.top_ids[top_index(a, lt, c) + j] = prev.id == kNone.id ? -1 : prev.id;
                x.top_values[top_index(a, lt, c) + j] = prev.v;
            }
        }
        ChunkPartial* pp = partials_of(a, lt);
        if (threadIdx.x == 0) {
            pp[c].best_v = best.v, pp[c].best_id = best.id, pp[c].min_s = lo;
            pp[c].raw_max = rmax, pp[c].raw_sum = se;
        }
        if (!tl.last_block(ticket(a, kPrepareTicket, lt), gridDim.x, last)) continue;
        if (greedy) {
            Best g = kNone;
            for (int k = threadIdx.x; k < x.chunks; k += kThreads)
                g = better(g, Best{load_l2(&pp[k].best_v), load_l2(&pp[k].best_id)});
            const int32_t tok = block_best(g, sc).id;
            // Thread 0 writes the record: its load of the token's raw logit overlaps the norm's loads.
            const float raw_tok = threadIdx.x == 0 ? load_l2(raw + tok) : 0.0f;
            finish(a, lt, t, tok, raw_tok, row_summary(a, lt, sc).lnorm, sc);
        } else {
            // The row's bins and norm, once: the later kernels' blocks read them instead of reducing the chunks again.
            const RowSummary r = row_summary(a, lt, sc);
            if (threadIdx.x == 0) {
                Plan* plan = plan_of(a, lt);
                plan->bins = r.bins, plan->lnorm = r.lnorm;
            }
            __syncthreads();
        }
    }
    tl.end(a, kTagSamplePrepare);
}

// ---- 2. threshold -------------------------------------------------------------------------------------------------
// The target's histogram (global sums of every block's) into shared memory, for the block that finishes it.
__device__ void load_histogram(const uint32_t* gc, const unsigned long long* gm, uint32_t* hc, unsigned long long* hm) {
    for (int b = threadIdx.x; b < kSamplerBins; b += kThreads) hc[b] = load_l2(gc + b), hm[b] = load_l2(gm + b);
    __syncthreads();
}

// The block's histogram masses as three 32-bit sums of 16-bit parts of each token's fixed-point mass (< 2^47, and a
// block holds 1,024 tokens: no part's sum overflows), so every update is a native shared-memory atomic instead of a
// 64-bit compare-and-swap loop; the parts meet again, exactly, when the block adds its bins to the global sums.
// MSV_SAMPLER_MASS64=1 keeps the 64-bit atomics (A/B).
#ifndef MSV_SAMPLER_MASS64
#define MSV_SAMPLER_MASS64 0
#endif
constexpr int kMassParts = 3;
static_assert(kSamplerChunk * 65535ull < (1ull << 32), "a part's sum over a chunk fits 32 bits");

__global__ void __launch_bounds__(kThreads) threshold_kernel(const SamplerArgs a) {
    __shared__ uint32_t hc[kSamplerBins];
    __shared__ unsigned long long hm[kSamplerBins];
#if !MSV_SAMPLER_MASS64
    __shared__ uint32_t hm_part[kMassParts][kSamplerBins];
#endif
    __shared__ Scratch sc;
    __shared__ bool last;
    SamplerTimeline tl;
    const auto [vs, c, i0, len, n] = start_block(a);
    tl.waited();
    (void)c;
    const SamplerScratch& x = a.scratch;
    const bool early = n <= kEarlyLoadTargets;
    for (int lt = blockIdx.y; lt < n; lt += gridDim.y) {
        const float* s = x.work + static_cast<int64_t>(lt) * x.ld;
        float v[kPer];
        if (early) load_chunk(s, i0, len, v);
        const Plan* before = plan_of(a, lt);
        const Bins bins = before->bins;  // loaded beside the target (the prepare kernel wrote it for any sampling one)
        const float lnorm = before->lnorm;
        const SampleTarget t = a.targets[a.first + lt];
        if (!searches(t, vs)) continue;
        if (!early) load_chunk(s, i0, len, v);
        const bool finite = isfinite(bins.m);
        uint32_t* gc = x.hist_count + lt * kSamplerBins;
        unsigned long long* gm = x.hist_mass + lt * kSamplerBins;
#if MSV_SAMPLER_MASS64
        for (int b = threadIdx.x; b < kSamplerBins; b += kThreads) hc[b] = 0, hm[b] = 0;
#else
        for (int b = threadIdx.x; b < kSamplerBins; b += kThreads)
            hc[b] = 0, hm_part[0][b] = 0, hm_part[1][b] = 0, hm_part[2][b] = 0;
#endif
        __syncthreads();
        if (finite)
#pragma unroll
            for (int k = 0; k < kPer; ++k) {
                const int j = threadIdx.x + k * kThreads;
                if (j >= len) continue;
                const int b = bins.of(v[k]);
                atomicAdd(&hc[b], 1u);
                if (has_top_p(t)) {
                    const auto mass =
                        static_cast<unsigned long long>(exp(static_cast<double>(v[k] - bins.m)) * kMassUnit);
#if MSV_SAMPLER_MASS64
                    atomicAdd(&hm[b], mass);
#else
                    atomicAdd(&hm_part[0][b], static_cast<uint32_t>(mass & 0xffff));
                    atomicAdd(&hm_part[1][b], static_cast<uint32_t>((mass >> 16) & 0xffff));
                    atomicAdd(&hm_part[2][b], static_cast<uint32_t>(mass >> 32));
#endif
                }
            }
        __syncthreads();
        for (int b = threadIdx.x; b < kSamplerBins; b += kThreads)
            if (hc[b] != 0) {
                atomicAdd(gc + b, hc[b]);
#if MSV_SAMPLER_MASS64
                const unsigned long long mass = hm[b];
#else
                const unsigned long long mass = hm_part[0][b] + (static_cast<unsigned long long>(hm_part[1][b]) << 16) +
                                                (static_cast<unsigned long long>(hm_part[2][b]) << 32);
#endif
                if (mass != 0) atomicAdd(gm + b, mass);
            }
        if (!tl.last_block(ticket(a, kThresholdTicket, lt), gridDim.x, last)) continue;
        Plan plan{};
        if (finite) {
            load_histogram(gc, gm, hc, hm);
            plan = make_plan(t, vs, hc, hm, sc);
        } else {
            plan.done = 1;
        }
        plan.bins = bins, plan.lnorm = lnorm, plan.tau = -INFINITY;
        if (plan.done && t.min_p > 0.0f) plan.tau = fmaxf(plan.tau, sm::min_p_threshold(bins.m, t.min_p));
        if (threadIdx.x == 0) *plan_of(a, lt) = plan;
        __syncthreads();
    }
    tl.end(a, kTagSampleThreshold);
}

// ---- 3. collect -------------------------------------------------------------------------------------------------
// tau from the planned bins' tokens (every one of them is in ps: at most kPairMax).
__device__ float tau_from_collected(const SampleTarget& t, bool top_k, const Plan& plan, const Bins& bins, int total,
                                    PairScratch& ps, Scratch& sc) {
    float tau = -INFINITY;
    if (top_k) {
        // Top-k: every token above the threshold's bin is here, so the counts need nothing from the histogram.
        const uint32_t key_k = all_pairs<false>(ps, total, 0u, 0, 0.0,
                                                [&](int32_t n, double) { return n >= t.top_k; }, nullptr, sc);
        tau = sm::from_order_key(key_k);
        if (has_top_p(t)) {
            // Top-p over the top-k survivors: Z and the sums are exact (double) over the same tokens.
            double part = 0.0;
            for (int i = threadIdx.x; i < total; i += kThreads)
                if (ps.key[i] >= key_k) part += ps.mass[i];
            const double target = static_cast<double>(t.top_p) * block_sum(part, sc.dsum);
            tau = sm::from_order_key(all_pairs<true>(ps, total, key_k, 0, 0.0,
                                                     [&](int32_t, double m) { return m >= target; }, nullptr, sc));
        }
    } else {
        tau = sm::from_order_key(all_pairs<true>(ps, total, 0u, 0, plan.m_above,
                                                 [&](int32_t, double m) { return m >= plan.target; }, nullptr, sc));
    }
    if (t.min_p > 0.0f) tau = fmaxf(tau, sm::min_p_threshold(bins.m, t.min_p));
    return tau;
}

// 4 blocks per SM (64 registers; the whole-row search's code would take 80, and 3 blocks): at 256 targets the
// kernel's 12,800 blocks are latency-bound, so occupancy sets its time (164 -> 102 us).
__global__ void __launch_bounds__(kThreads, 4) collect_kernel(const SamplerArgs a) {
    __shared__ uint32_t hc[kSamplerBins];
    __shared__ unsigned long long hm[kSamplerBins];
    __shared__ Scratch sc;
    __shared__ PairScratch ps;
    __shared__ bool last;
    SamplerTimeline tl;
    const auto [vs, c, i0, len, n] = start_block(a);
    tl.waited();
    const SamplerScratch& x = a.scratch;
    const bool early = n <= kEarlyLoadTargets;
    for (int lt = blockIdx.y; lt < n; lt += gridDim.y) {
        const float* s = x.work + static_cast<int64_t>(lt) * x.ld;
        float v[kPer];
        if (early) load_chunk(s, i0, len, v);
        Plan* plan = plan_of(a, lt);
        const int32_t done = plan->done, b_lo = plan->b_lo, b_hi = plan->b_hi, planned = plan->count;
        const Bins bins = plan->bins;
        const SampleTarget t = a.targets[a.first + lt];
        if (!searches(t, vs) || done) continue;
        // More tokens than the last block takes (a large top_k, or many tokens tied near the threshold): the last
        // block searches the whole row (slow: one block reads it all).
        const bool whole_row = planned > kPairMax;
        ChunkPartial* pp = partials_of(a, lt);
        if (!whole_row) {
            if (!early) load_chunk(s, i0, len, v);
            // The chunk's tokens in the planned bins, in thread order, to the chunk's segment of the candidate row.
            uint32_t key[kPer];
            bool in[kPer];
            int mine = 0;
#pragma unroll
            for (int k = 0; k < kPer; ++k) {
                const int j = threadIdx.x + k * kThreads;
                in[k] = false;
                if (j >= len) continue;
                const int b = bins.of(v[k]);
                key[k] = sm::order_key(v[k]), in[k] = b >= b_lo && b <= b_hi, mine += in[k];
            }
            unsigned long long chunk_total;
            const unsigned long long before = block_exclusive_scan(mine, sc.scan, chunk_total);
            int at = static_cast<int>(before);
            uint32_t* segment = x.cand_key + static_cast<int64_t>(lt) * x.ld + i0;
#pragma unroll
            for (int k = 0; k < kPer; ++k)
                if (in[k]) segment[at++] = key[k];
            if (threadIdx.x == 0) pp[c].members = static_cast<int32_t>(chunk_total);
        }
        if (!tl.last_block(ticket(a, kCollectTicket, lt), gridDim.x, last)) continue;
        if (whole_row) {
            load_histogram(x.hist_count + lt * kSamplerBins, x.hist_mass + lt * kSamplerBins, hc, hm);
            float tau = find_threshold(a, lt, t, bins, sc, ps, hc, hm);
            if (t.min_p > 0.0f) tau = fmaxf(tau, sm::min_p_threshold(bins.m, t.min_p));
            if (threadIdx.x == 0) plan->tau = tau;
            __syncthreads();
            continue;
        }
        // The segments, in chunk order, into shared memory (thread t copies chunks t per .. t per + per - 1).
        const int per = (x.chunks + kThreads - 1) / kThreads;
        int count = 0;
        const int q0 = threadIdx.x * per, q1 = min(x.chunks, q0 + per);
        for (int q = q0; q < q1; ++q) count += load_l2(&pp[q].members);
        unsigned long long all;
        int to = static_cast<int>(block_exclusive_scan(static_cast<unsigned long long>(count), sc.scan, all));
        const int total = min(static_cast<int>(all), kPairMax);  // = plan->count <= kPairMax: the same bins counted
        for (int q = q0; q < q1; ++q) {
            const int members = load_l2(&pp[q].members);
            const uint32_t* from = x.cand_key + static_cast<int64_t>(lt) * x.ld + q * kSamplerChunk;
            for (int j = 0; j < members && to < total; ++j, ++to) {
                const uint32_t k = load_l2(from + j);
                ps.key[to] = k;
                ps.mass[to] = exp(static_cast<double>(sm::from_order_key(k) - bins.m));
            }
        }
        __syncthreads();
        const float tau = tau_from_collected(t, has_top_k(t, vs), *plan, bins, total, ps, sc);
        if (threadIdx.x == 0) plan->tau = tau;
        __syncthreads();
    }
    tl.end(a, kTagSampleCollect);
}

// ---- 4. draw ------------------------------------------------------------------------------------------------------
__global__ void __launch_bounds__(kThreads) draw_kernel(const SamplerArgs a) {
    __shared__ Scratch sc;
    __shared__ bool last;
    SamplerTimeline tl;
    const auto [vs, c, i0, len, n] = start_block(a);
    tl.waited();
    const int i1 = i0 + len;
    const SamplerScratch& x = a.scratch;
    const bool early = n <= kEarlyLoadTargets;
    const int g = i0 + threadIdx.x * kPer;  // this thread's 4 adjacent ids: one Philox call
    for (int lt = blockIdx.y; lt < n; lt += gridDim.y) {
        const float* s = x.work + static_cast<int64_t>(lt) * x.ld;
        float v[kPer];
        if (early) load_adjacent(s, g, i1, v);
        const Plan* plan = plan_of(a, lt);
        const float planned_tau = plan->tau, m = plan->bins.m, lnorm = plan->lnorm;
        const SampleTarget t = a.targets[a.first + lt];
        if (is_greedy(t)) continue;
        if (!early) load_adjacent(s, g, i1, v);
        ChunkPartial* pp = partials_of(a, lt);
        float tau = -INFINITY;
        if (searches(t, vs)) {
            tau = planned_tau;
        } else if (t.min_p > 0.0f) {
            tau = sm::min_p_threshold(m, t.min_p);
        }
        const uint32_t tau_key = sm::order_key(tau);
        // Gumbel-max over the survivors.
        Best b = kNone;
        int32_t any = 0;
        if (g < i1) {
            bool live[kPer];
#pragma unroll
            for (int q = 0; q < kPer; ++q) {
                live[q] = g + q < i1 && sm::order_key(v[q]) >= tau_key;
                any |= live[q];
            }
            if (any) {
                const sm::Philox4 r = sm::random_words(t.seed, t.position, g);
#pragma unroll
                for (int q = 0; q < kPer; ++q)
                    if (live[q]) b = better(b, Best{sm::perturbed_by(v[q], r.v[q]), g + q});
            }
        }
        b = block_best(b, sc);
        any = block_sum(any, sc.isum);
        if (threadIdx.x == 0) pp[c].draw_v = b.v, pp[c].draw_id = b.id, pp[c].survivors = any;
        if (!tl.last_block(ticket(a, kDrawTicket, lt), gridDim.x, last)) continue;
        int32_t survivors = 0;
        Best drawn = kNone, top = kNone;
        for (int k = threadIdx.x; k < x.chunks; k += kThreads) {
            survivors += load_l2(&pp[k].survivors);
            drawn = better(drawn, Best{load_l2(&pp[k].draw_v), load_l2(&pp[k].draw_id)});
            top = better(top, Best{load_l2(&pp[k].best_v), load_l2(&pp[k].best_id)});
        }
        survivors = block_sum(survivors, sc.isum);
        drawn = block_best(drawn, sc);
        top = block_best(top, sc);
        const int32_t tok = survivors > 0 ? drawn.id : top.id;  // as gumbel_max: no survivor, argmax s
        const float raw_tok = threadIdx.x == 0 ? load_l2(a.logits + static_cast<int64_t>(t.row) * a.ld + tok) : 0.0f;
        finish(a, lt, t, tok, raw_tok, lnorm, sc);
    }
    tl.end(a, kTagSampleDraw);
}

size_t align256(size_t n) { return (n + 255) & ~size_t(255); }

// The scratch's parts from `base` (null: their offsets only), and in *bytes the size of the whole.
SamplerScratch lay_out(void* base, int64_t ld, int vs, int max_logprobs, size_t* bytes) {
    SamplerScratch x;
    // Rows of `work` start on 16 bytes (the threshold search reads them 4 floats at a time).
    x.base = base, x.ld = (ld + 3) / 4 * 4, x.chunks = (vs + kSamplerChunk - 1) / kSamplerChunk;
    ld = x.ld;
    const size_t T = kSamplerTargets, N = std::max(max_logprobs, 1);
    char* p = static_cast<char*>(base);
    size_t at = 0;
    auto take = [&](size_t part) {
        char* q = p ? p + at : nullptr;
        at += align256(part);
        return q;
    };
    x.work = reinterpret_cast<float*>(take(T * ld * 4));
    x.cand_key = reinterpret_cast<uint32_t*>(take(T * ld * 4));
    x.cand_mass = reinterpret_cast<double*>(take(T * ld * 8));
    x.partials = take(T * x.chunks * sizeof(ChunkPartial));
    x.top_ids = reinterpret_cast<int32_t*>(take(T * x.chunks * N * 4));
    x.top_values = reinterpret_cast<float*>(take(T * x.chunks * N * 4));
    x.hist_count = reinterpret_cast<uint32_t*>(take(T * kSamplerBins * 4));
    x.hist_mass = reinterpret_cast<unsigned long long*>(take(T * kSamplerBins * 8));
    x.plans = take(T * sizeof(Plan));
    x.tickets = reinterpret_cast<uint32_t*>(take(kTickets * T * 4));
    *bytes = at;
    return x;
}

}  // namespace

SamplerScratch carve_sampler_scratch(void* base, int64_t ld, int vs, int max_logprobs) {
    size_t bytes;
    return lay_out(base, ld, vs, max_logprobs, &bytes);
}

size_t sampler_scratch_bytes(int64_t ld, int vs, int max_logprobs) {
    size_t bytes;
    (void)lay_out(nullptr, ld, vs, max_logprobs, &bytes);
    return bytes;
}

msv_status launch_sampler(SamplerArgs a, int max_targets, cudaStream_t s, bool pdl, SamplerKernels kernels, bool plain) {
    for (int first = 0; first < max_targets; first += kSamplerTargets) {
        a.first = first;
        const int rows = std::min(a.target_blocks, std::min(kSamplerTargets, max_targets - first));
        if (plain || kernels == SamplerKernels::kPlain) {
            const cudaError_t err = launch_kernel(plain_greedy_kernel, dim3(1, rows), dim3(kThreads), 0, s, pdl, a);
            if (err != cudaSuccess) return launch_status(err, "sampler launch");
        }
        if (kernels == SamplerKernels::kPlain) continue;
        const dim3 grid(a.scratch.chunks, rows);
        for (auto* kernel : {prepare_kernel, threshold_kernel, collect_kernel, draw_kernel}) {
            if (kernels == SamplerKernels::kGreedy && kernel != prepare_kernel) break;
            const cudaError_t err = launch_kernel(kernel, grid, dim3(kThreads), 0, s, pdl, a);
            if (err != cudaSuccess) return launch_status(err, "sampler launch");
        }
    }
    return MSV_OK;
}

}  // namespace msv::gpu::model
