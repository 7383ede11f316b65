// The sampler on the device (docs/gpu-engine.md "Sampler on the device"; the arithmetic is model/sampler_math.h,
// shared with the reference sampler, so both draw the same tokens from the same logits).
//
// One block per target (blocks loop over targets, so a graph's fixed grid serves any count): the processed row
// (bias, repetition, frequency / presence) goes to the block's row of `work`; greedy is one argmax pass; sampling
// scales by 1 / temperature, finds the top-k and top-p thresholds by bisection over order keys (no sort) and the
// min-p threshold from the maximum, and draws by Gumbel-max among the survivors.
//
// The bisection runs over a shrinking candidate list, not the row: the keys in range (and, for top-p, their
// exp(s - max) in double, computed once) are copied to the block's candidate buffers, and each bisection step keeps
// only the side the threshold is on, folding the other side's count and mass into running totals. A step costs what
// is left, not the vocabulary, and the exp is not recomputed 32 times (the whole-row version spent ~0.3-0.6 ms of a
// batch-1 top-p step on those exps). The threshold found is the same key: the search asks the same monotone
// question, only the order of the double sums differs (sampler_math.h: boundary cases only).
//
// The chosen token's log-softmax and the top-N are over the raw row. Then the slot's output count and seen flag of
// the chosen token are updated: the next step's penalties see it.
#include "common/error.h"
#include "gpu/dtype.cuh"
#include "model/model_gpu_kernels.h"
#include "model/model_gpu_launch.cuh"
#include "model/sampler_math.h"

#include <string>

namespace msv::gpu::model {
namespace {

namespace sm = msv::sampler;

constexpr int kThreads = 512;
constexpr int kGroups = kThreads / MSV_GROUP;

struct Best {
    float v;
    int32_t id;
};
__device__ __forceinline__ Best better(Best a, Best b) { return sm::ranks_before(b.v, b.id, a.v, a.id) ? b : a; }

// Block-wide reductions in MSV_GROUP-lane groups; every thread gets the result. `scratch` holds kGroups entries
// and is free again when the function returns.
__device__ Best block_best(Best b, Best* scratch) {
    for (int off = MSV_GROUP / 2; off > 0; off /= 2) {
        Best o{__shfl_xor_sync(MSV_GROUP_MASK, b.v, off, MSV_GROUP), __shfl_xor_sync(MSV_GROUP_MASK, b.id, off, MSV_GROUP)};
        b = better(b, o);
    }
    if (threadIdx.x % MSV_GROUP == 0) scratch[threadIdx.x / MSV_GROUP] = b;
    __syncthreads();
    Best r = scratch[0];
    for (int k = 1; k < kGroups; ++k) r = better(r, scratch[k]);
    __syncthreads();
    return r;
}

template <typename V> __device__ V block_sum(V v, V* scratch) {
    for (int off = MSV_GROUP / 2; off > 0; off /= 2) v += __shfl_xor_sync(MSV_GROUP_MASK, v, off, MSV_GROUP);
    if (threadIdx.x % MSV_GROUP == 0) scratch[threadIdx.x / MSV_GROUP] = v;
    __syncthreads();
    V r = scratch[0];
    for (int k = 1; k < kGroups; ++k) r += scratch[k];
    __syncthreads();
    return r;
}

constexpr Best kNone{-INFINITY, 0x7fffffff};

struct Scratch {
    Best best[kGroups];
    double dsum[kGroups];
    int32_t isum[kGroups];
    uint32_t umin[kGroups], umax[kGroups];
};

// Count and mass of a block in one round (every thread gets both).
__device__ void block_count_mass(int32_t& n, double& e, Scratch& sc) {
    for (int off = MSV_GROUP / 2; off > 0; off /= 2) {
        n += __shfl_xor_sync(MSV_GROUP_MASK, n, off, MSV_GROUP);
        e += __shfl_xor_sync(MSV_GROUP_MASK, e, off, MSV_GROUP);
    }
    if (threadIdx.x % MSV_GROUP == 0) sc.isum[threadIdx.x / MSV_GROUP] = n, sc.dsum[threadIdx.x / MSV_GROUP] = e;
    __syncthreads();
    n = sc.isum[0], e = sc.dsum[0];
    for (int k = 1; k < kGroups; ++k) n += sc.isum[k], e += sc.dsum[k];
    __syncthreads();
}

// Smallest and largest key of a block in one round (a thread with no key passes ~0u and 0).
__device__ void block_min_max(uint32_t& lo, uint32_t& hi, Scratch& sc) {
    for (int off = MSV_GROUP / 2; off > 0; off /= 2) {
        lo = min(lo, static_cast<uint32_t>(__shfl_xor_sync(MSV_GROUP_MASK, lo, off, MSV_GROUP)));
        hi = max(hi, static_cast<uint32_t>(__shfl_xor_sync(MSV_GROUP_MASK, hi, off, MSV_GROUP)));
    }
    if (threadIdx.x % MSV_GROUP == 0) sc.umin[threadIdx.x / MSV_GROUP] = lo, sc.umax[threadIdx.x / MSV_GROUP] = hi;
    __syncthreads();
    lo = sc.umin[0], hi = sc.umax[0];
    for (int k = 1; k < kGroups; ++k) lo = min(lo, sc.umin[k]), hi = max(hi, sc.umax[k]);
    __syncthreads();
}

// The block's candidate buffers: thread t holds its candidates at t, t + kThreads, t + 2 kThreads, ... (coalesced,
// and never past the row: a thread starts with at most as many as it has row elements).
struct Candidates {
    uint32_t* key;
    double* mass;
};

// sampler_math.h's largest_key_where over [lo, hi] of the row `s`, for holds(count, mass) of the tokens with key >= t
// (mass = sum exp(s - m) in double, only when kMass). holds(lo) must be true and hi must be the row's largest key in
// range. Candidates are the keys in the current range; each step folds the side above the range into n_above /
// m_above and tightens the range to the keys that are left (the answer is always a token's key, so it stays in).
// `total` (kMass): set, before the first holds(), to the mass of the whole range (mass_from(lo), summed in the same
// order, so holds may use it).
template <bool kMass, typename Holds>
__device__ uint32_t candidate_search(const float* s, int vs, uint32_t lo, uint32_t hi, float m, Candidates c,
                                     Scratch& sc, double* total, const Holds& holds) {
    int n = 0;
    uint32_t kmin = ~0u, kmax = 0;
    double sum = 0.0;
    for (int i = threadIdx.x; i < vs; i += kThreads) {
        const uint32_t k = sm::order_key(s[i]);
        if (k < lo || k > hi) continue;
        const int p = n * kThreads + threadIdx.x;
        c.key[p] = k;
        if constexpr (kMass) {
            const double e = exp(static_cast<double>(s[i] - m));
            c.mass[p] = e, sum += e;
        }
        ++n, kmin = min(kmin, k), kmax = max(kmax, k);
    }
    if constexpr (kMass) *total = block_sum(sum, sc.dsum);
    block_min_max(kmin, kmax, sc);
    lo = max(lo, kmin), hi = min(hi, kmax);
    int32_t n_above = 0;
    double m_above = 0.0;
    while (lo < hi) {
        const uint32_t mid = lo + static_cast<uint32_t>((static_cast<uint64_t>(hi) - lo + 1) / 2);
        int32_t nu = 0;
        double mu = 0.0;
        for (int j = 0; j < n; ++j) {
            const int p = j * kThreads + threadIdx.x;
            if (c.key[p] >= mid) {
                ++nu;
                if constexpr (kMass) mu += c.mass[p];
            }
        }
        block_count_mass(nu, mu, sc);
        const bool up = holds(n_above + nu, m_above + mu);
        if (up) {
            lo = mid;
        } else {
            hi = mid - 1, n_above += nu, m_above += mu;
        }
        // Keep the side the answer is on, in place (a thread only moves its own candidates down its own list).
        int kept = 0;
        kmin = ~0u, kmax = 0;
        for (int j = 0; j < n; ++j) {
            const int p = j * kThreads + threadIdx.x;
            const uint32_t k = c.key[p];
            if ((k >= mid) != up) continue;
            if (kept != j) {
                const int q = kept * kThreads + threadIdx.x;
                c.key[q] = k;
                if constexpr (kMass) c.mass[q] = c.mass[p];
            }
            ++kept, kmin = min(kmin, k), kmax = max(kmax, k);
        }
        n = kept;
        block_min_max(kmin, kmax, sc);
        if (kmin <= kmax) lo = max(lo, kmin), hi = min(hi, kmax);
    }
    return lo;
}

// (Re)start the slot's sampler state: no outputs counted, the seen set = the prompt's ids.
__device__ void reset_slot(const SampleTarget& t, int vs, int32_t* counts, uint8_t* seen) {
    for (int i = threadIdx.x; i < vs; i += kThreads) counts[i] = 0, seen[i] = 0;
    __syncthreads();
    for (int j = threadIdx.x; j < t.n_prompt; j += kThreads) {
        const int32_t id = t.prompt_ids[j];
        if (id >= 0 && id < vs) seen[id] = 1;
    }
    __syncthreads();
}

// work[i] = the raw logit after bias, repetition and frequency / presence penalties (sampler_math.h's order).
__device__ void process_row(const SampleTarget& t, const float* raw, int vs, const int32_t* counts,
                            const uint8_t* seen, float* work) {
    for (int i = threadIdx.x; i < vs; i += kThreads) work[i] = raw[i];
    __syncthreads();
    // Bias entries in list order by one thread: a repeated id adds twice, as the reference does.
    if (threadIdx.x == 0)
        for (int j = 0; j < t.n_bias; ++j) {
            const int32_t id = t.bias_ids[j];
            if (id >= 0 && id < vs) work[id] = sm::add_rn(work[id], t.bias_values[j]);
        }
    __syncthreads();
    const bool rep = t.repetition != 1.0f, fp = t.frequency != 0.0f || t.presence != 0.0f;
    if (rep || fp)
        for (int i = threadIdx.x; i < vs; i += kThreads) {
            float w = work[i];
            if (rep && seen[i]) w = sm::repetition(w, t.repetition);
            const int32_t c = counts[i];
            if (fp && c > 0) w = sm::frequency_presence(w, c, t.frequency, t.presence);
            work[i] = w;
        }
    __syncthreads();
}

__device__ Best row_best(const float* v, int vs, Scratch& sc) {
    Best b = kNone;
    for (int i = threadIdx.x; i < vs; i += kThreads) b = better(b, Best{v[i], i});
    return block_best(b, sc.best);
}

// Sum over the row of exp((double)(s_i - m)) for the tokens whose key is >= t (sampler_ref.cpp's mass_from).
__device__ double mass_from(const float* s, int vs, uint32_t t, float m, Scratch& sc) {
    double sum = 0.0;
    for (int i = threadIdx.x; i < vs; i += kThreads)
        if (sm::order_key(s[i]) >= t) sum += exp(static_cast<double>(s[i] - m));
    return block_sum(sum, sc.dsum);
}

// Sampling (sampler_ref.h step 3): returns the chosen id. work holds the processed row; it is overwritten with the
// scaled logits. tau_k and tau_p as survivor_threshold finds them (candidate_search: the same bisection); every
// thread runs the same search (the counts and sums are block-wide).
__device__ int32_t draw(const SampleTarget& t, float* work, int vs, Candidates cand, bool whole_row, Scratch& sc) {
    const float inv_t = 1.0f / t.temperature;
    for (int i = threadIdx.x; i < vs; i += kThreads) work[i] = sm::scaled(work[i], inv_t);
    __syncthreads();
    Best lo_b{INFINITY, 0}, hi_b = kNone;
    for (int i = threadIdx.x; i < vs; i += kThreads) {
        const float v = work[i];
        hi_b = better(hi_b, Best{v, i});
        if (v < lo_b.v) lo_b.v = v;
    }
    const float m = block_best(hi_b, sc.best).v;
    const float mn = -block_best(Best{-lo_b.v, 0}, sc.best).v;
    float tau = -INFINITY;
    if (t.top_k > 0 && t.top_k < vs) {
        uint32_t key;
        if (whole_row) {
            key = sm::largest_key_where(sm::order_key(mn), sm::order_key(m), [&](uint32_t k) {
                int32_t n = 0;
                for (int i = threadIdx.x; i < vs; i += kThreads) n += sm::order_key(work[i]) >= k;
                return block_sum(n, sc.isum) >= t.top_k;
            });
        } else {
            key = candidate_search<false>(work, vs, sm::order_key(mn), sm::order_key(m), m, cand, sc, nullptr,
                                          [&](int32_t n, double) { return n >= t.top_k; });
        }
        tau = sm::from_order_key(key);
    }
    if (t.top_p < 1.0f) {
        const uint32_t lo = sm::order_key(tau);
        if (whole_row) {
            const double target = static_cast<double>(t.top_p) * mass_from(work, vs, lo, m, sc);
            tau = sm::from_order_key(sm::largest_key_where(
                lo, sm::order_key(m), [&](uint32_t k) { return mass_from(work, vs, k, m, sc) >= target; }));
        } else {
            double total = 0.0;
            tau = sm::from_order_key(candidate_search<true>(
                work, vs, lo, sm::order_key(m), m, cand, sc, &total,
                [&](int32_t, double mass) { return mass >= static_cast<double>(t.top_p) * total; }));
        }
    }
    if (t.min_p > 0.0f) tau = fmaxf(tau, sm::min_p_threshold(m, t.min_p));
    const uint32_t tau_key = sm::order_key(tau);
    // Gumbel-max over the survivors, 4 adjacent ids per thread: one Philox call gives all four their words.
    Best b = kNone;
    bool any = false;
    for (int g = threadIdx.x * 4; g < vs; g += kThreads * 4) {
        bool live[4];
        bool group = false;
#pragma unroll
        for (int q = 0; q < 4; ++q) {
            live[q] = g + q < vs && sm::order_key(work[g + q]) >= tau_key;
            group |= live[q];
        }
        if (!group) continue;
        any = true;
        const sm::Philox4 r = sm::random_words(t.seed, t.position, g);
#pragma unroll
        for (int q = 0; q < 4; ++q)
            if (live[q]) b = better(b, Best{sm::perturbed_by(work[g + q], r.v[q]), g + q});
    }
    const int32_t survivors = block_sum(static_cast<int32_t>(any), sc.isum);
    if (survivors == 0) return block_best(hi_b, sc.best).id;  // as gumbel_max: no survivor, argmax s
    return block_best(b, sc.best).id;
}

__global__ void __launch_bounds__(kThreads) sampler_kernel(const SamplerArgs a) {
    __shared__ Scratch sc;
    msv_pdl_wait();
    msv_pdl_launch_dependents();
    const int n = *a.n_targets;
    float* work = a.work + static_cast<int64_t>(blockIdx.x) * a.ld;
    const int vs = a.vs;
    const int N = a.max_logprobs;
    for (int ti = blockIdx.x; ti < n; ti += gridDim.x) {
        const SampleTarget t = a.targets[ti];
        const float* raw = a.logits + static_cast<int64_t>(t.row) * a.ld;
        int32_t* counts = a.counts + static_cast<int64_t>(t.slot) * vs;
        uint8_t* seen = a.seen + static_cast<int64_t>(t.slot) * vs;
        if (t.reset) reset_slot(t, vs, counts, seen);
        process_row(t, raw, vs, counts, seen, work);
        const Candidates cand{a.cand_key + static_cast<int64_t>(blockIdx.x) * a.ld,
                              a.cand_mass + static_cast<int64_t>(blockIdx.x) * a.ld};
        const int32_t tok = t.temperature < sm::kGreedyTemperature ? row_best(work, vs, sc).id
                                                                   : draw(t, work, vs, cand, a.whole_row_search, sc);

        // log-softmax over the raw row (sampler_ref's log_normalizer): max, then sum exp((double)(raw - max)).
        const float max_raw = row_best(raw, vs, sc).v;
        double se = 0.0;
        for (int i = threadIdx.x; i < vs; i += kThreads) se += exp(static_cast<double>(raw[i] - max_raw));
        se = block_sum(se, sc.dsum);
        const float lnorm = isinf(max_raw) && max_raw < 0 ? max_raw : sm::log_norm(max_raw, se);

        char* rec = static_cast<char*>(a.out) + static_cast<int64_t>(ti) * (8 + 8 * int64_t(N));
        int32_t* ids = reinterpret_cast<int32_t*>(rec + 8);
        float* lps = reinterpret_cast<float*>(rec + 8 + 4 * int64_t(N));
        if (threadIdx.x == 0) {
            *reinterpret_cast<int32_t*>(rec) = tok;
            *reinterpret_cast<float*>(rec + 4) = raw[tok] - lnorm;
        }
        for (int j = threadIdx.x; j < N; j += kThreads) ids[j] = -1, lps[j] = -INFINITY;
        __syncthreads();
        // Top-N by repeated argmax among the tokens ranking after the previous pick.
        Best prev{INFINITY, -1};
        for (int j = 0; j < t.logprobs && j < N && j < vs; ++j) {
            Best b = kNone;
            for (int i = threadIdx.x; i < vs; i += kThreads) {
                const float v = raw[i];
                if (sm::ranks_before(prev.v, prev.id, v, i)) b = better(b, Best{v, i});
            }
            prev = block_best(b, sc.best);
            if (threadIdx.x == 0) ids[j] = prev.id, lps[j] = prev.v - lnorm;
        }
        if (threadIdx.x == 0) {
            counts[tok] += 1;
            seen[tok] = 1;
        }
        __syncthreads();
    }
}

}  // namespace

msv_status launch_sampler(const SamplerArgs& a, int grid, cudaStream_t s, bool pdl) {
    const cudaError_t err = launch_kernel(sampler_kernel, dim3(grid), dim3(kThreads), 0, s, pdl, a);
    if (err == cudaSuccess) return MSV_OK;
    return set_error(MSV_ERR_DEVICE, std::string("sampler launch: ") + cudaGetErrorString(err));
}

}  // namespace msv::gpu::model
