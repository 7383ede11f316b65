// The threshold search of the device sampler inside one histogram bin (model_gpu_sampler.cu): one block, the bin's
// tokens as candidates. sampler_math.h's largest_key_where asks the same monotone question over the whole key range;
// here the bins above the answer are already counted, so only the bin's tokens (usually tens) take part:
//  - up to kPairMax candidates: in shared memory, each candidate's count and mass at or above its key summed over
//    all of them (no bisection rounds: the answer is the largest candidate key that holds);
//  - more: bisection over their order keys, each step keeping only the side the answer is on.
#pragma once

#include "model/model_gpu_sampler_block.cuh"

namespace msv::gpu::model::sampler_block {

constexpr int kPairMax = 512;

// The block's candidate buffers in global memory: thread t holds its candidates at t, t + kThreads, ... (never past
// the row: a thread starts with at most as many candidates as it has row elements).
struct Candidates {
    uint32_t* key;
    double* mass;  // exp(s - m) in double, when the search needs masses
};

struct PairScratch {
    uint32_t key[kPairMax];
    double mass[kPairMax];
};

// Search over a few candidates (total <= kPairMax, in ps), those with key >= floor: answer = the largest key among
// them for which holds(n_above + count(key >= it), m_above + mass(key >= it)); the smallest key when none holds.
// Each candidate's sums run over all candidates in their order, so they do not depend on the block's shape.
// *mass_at (kMass, when not null): m_above + mass(key >= answer).
template <bool kMass, typename Holds>
__device__ uint32_t all_pairs(PairScratch& ps, int total, uint32_t floor, int32_t n_above, double m_above,
                              const Holds& holds, double* mass_at, Scratch& sc) {
    uint32_t best = 0, lowest = ~0u;
    bool any = false;
    for (int i = threadIdx.x; i < total; i += kThreads) {
        const uint32_t k = ps.key[i];
        if (k < floor) continue;
        int32_t n = 0;
        double m = 0.0;
        for (int j = 0; j < total; ++j)
            if (ps.key[j] >= k) {
                ++n;
                if constexpr (kMass) m += ps.mass[j];
            }
        lowest = min(lowest, k);
        if (holds(n_above + n, m_above + m) && (!any || k > best)) best = k, any = true;
    }
    uint32_t hi = any ? best : 0u, lo = lowest;
    const int32_t found = block_sum(static_cast<int32_t>(any), sc.isum);
    block_min_max(lo, hi, sc);
    const uint32_t answer = found > 0 ? hi : lo;
    if constexpr (kMass) {
        if (mass_at != nullptr) {
            double mm = 0.0;
            for (int j = threadIdx.x; j < total; j += kThreads)
                if (ps.key[j] >= answer) mm += ps.mass[j];
            *mass_at = m_above + block_sum(mm, sc.dsum);
        }
    }
    return answer;
}

// Bisection over the candidates left in the per-thread lists (n of this thread's), keys in [lo, hi].
template <bool kMass, typename Holds>
__device__ uint32_t bisect(Candidates c, int n, uint32_t lo, uint32_t hi, int32_t n_above, double m_above,
                           const Holds& holds, double* mass_at, Scratch& sc) {
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
        uint32_t kmin = ~0u, kmax = 0;
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
    if constexpr (kMass) {
        // What is left has keys >= lo (the range closed on lo from above).
        double mu = 0.0;
        for (int j = 0; j < n; ++j) mu += c.mass[j * kThreads + threadIdx.x];
        *mass_at = m_above + block_sum(mu, sc.dsum);
    }
    return lo;
}

// The largest order key t among the tokens i of the row `s` (length vs, 16-byte aligned, readable up to vs rounded
// up to 4) with member(i, s_i, key_i) such that holds(n_above + n(t), m_above + mass(t)), where n(t) and mass(t)
// count the members with key >= t (mass: sum of exp((double)(s_i - m))). holds must be monotone; when it does not
// hold at the smallest member key, that key is returned. *mass_at (kMass) gets m_above + mass(answer). No
// member: ~0u.
template <bool kMass, typename Member, typename Holds>
__device__ uint32_t candidate_search(const float* s, int vs, float m, const Member& member, Candidates c,
                                     Scratch& sc, PairScratch& ps, int32_t n_above, double m_above,
                                     const Holds& holds, double* mass_at) {
    // Gather: 16-byte loads, 4 in flight per thread (one block reads the whole row; latency, not bandwidth, bounds it).
    const float4* s4 = reinterpret_cast<const float4*>(s);
    const int q_end = (vs + 3) / 4;
    int n = 0;
    uint32_t lo = ~0u, hi = 0;
    for (int q0 = threadIdx.x; q0 < q_end; q0 += 4 * kThreads) {
        float4 v[4];
#pragma unroll
        for (int u = 0; u < 4; ++u)
            if (q0 + u * kThreads < q_end) v[u] = s4[q0 + u * kThreads];
#pragma unroll
        for (int u = 0; u < 4; ++u) {
            const int q = q0 + u * kThreads;
            if (q >= q_end) continue;
            const float e4[4] = {v[u].x, v[u].y, v[u].z, v[u].w};
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                const int i = 4 * q + e;
                const uint32_t k = sm::order_key(e4[e]);
                if (i >= vs || !member(i, e4[e], k)) continue;
                const int p = n * kThreads + threadIdx.x;
                c.key[p] = k;
                if constexpr (kMass) c.mass[p] = exp(static_cast<double>(e4[e] - m));
                ++n, lo = min(lo, k), hi = max(hi, k);
            }
        }
    }
    // Each thread's place in thread order: a block prefix sum of n.
    unsigned long long all;
    const int32_t before = static_cast<int32_t>(block_exclusive_scan(static_cast<unsigned long long>(n), sc.scan, all));
    const int32_t total = static_cast<int32_t>(all);
    block_min_max(lo, hi, sc);
    if (total == 0) return ~0u;
    if (total <= kPairMax) {
        for (int j = 0; j < n; ++j) {
            ps.key[before + j] = c.key[j * kThreads + threadIdx.x];
            if constexpr (kMass) ps.mass[before + j] = c.mass[j * kThreads + threadIdx.x];
        }
        __syncthreads();
        const uint32_t answer = all_pairs<kMass>(ps, total, 0u, n_above, m_above, holds, mass_at, sc);
        __syncthreads();
        return answer;
    }
    return bisect<kMass>(c, n, lo, hi, n_above, m_above, holds, mass_at, sc);
}

}  // namespace msv::gpu::model::sampler_block
