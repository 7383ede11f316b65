// The histogram side of the device sampler's threshold search (model_gpu_sampler.cu): prefix sums over the bins, the
// first bin that reaches a count or a mass, and the whole-row search of a target whose bin holds too many tokens for
// the collect kernel.
#pragma once

#include "model/model_gpu_sampler_rows.cuh"
#include "model/model_gpu_sampler_search.cuh"

namespace msv::gpu::model::sampler_block {

// The first bin b < limit whose running total h[0] + ... + h[b] reaches the target (reach(total)), or `limit` when
// none does; *above = h[0] + ... + h[answer - 1]. Thread t owns bins kBinsPer t .. kBinsPer t + kBinsPer - 1.
template <typename H, typename Reach>
__device__ int first_bin_reaching(const H* h, int limit, const Reach& reach, unsigned long long* above,
                                  Scratch& sc) {
    unsigned long long v[kBinsPer], mine = 0;
#pragma unroll
    for (int q = 0; q < kBinsPer; ++q) {
        const int b = threadIdx.x * kBinsPer + q;
        v[q] = b < limit ? static_cast<unsigned long long>(h[b]) : 0ull;
        mine += v[q];
    }
    unsigned long long total;
    unsigned long long run = block_exclusive_scan(mine, sc.scan, total);
    uint32_t found = ~0u, unused = 0;
    unsigned long long found_above = 0;
#pragma unroll
    for (int q = 0; q < kBinsPer; ++q) {
        const int b = threadIdx.x * kBinsPer + q;
        if (found == ~0u && b < limit && reach(run + v[q])) found = b, found_above = run;
        run += v[q];
    }
    uint32_t first = found;
    block_min_max(first, unused, sc);
    if (first == ~0u) {
        *above = total;
        return limit;
    }
    if (found == first) sc.broadcast = found_above;
    __syncthreads();
    *above = sc.broadcast;
    __syncthreads();
    return static_cast<int>(first);
}

// h[0] + ... + h[limit - 1], in every thread.
template <typename H> __device__ unsigned long long sum_bins(const H* h, int limit, Scratch& sc) {
    unsigned long long mine = 0, total;
#pragma unroll
    for (int q = 0; q < kBinsPer; ++q) {
        const int b = threadIdx.x * kBinsPer + q;
        mine += b < limit ? static_cast<unsigned long long>(h[b]) : 0ull;
    }
    (void)block_exclusive_scan(mine, sc.scan, total);
    return total;
}

template <bool kMass, typename Member, typename Holds>
__device__ uint32_t search(const SamplerArgs& a, int lt, const Bins& bins, const Member& member, Scratch& sc,
                           PairScratch& ps, int32_t n_above, double m_above, const Holds& holds, double* mass_at) {
    const int64_t off = static_cast<int64_t>(lt) * a.scratch.ld;
    return candidate_search<kMass>(a.scratch.work + off, a.vs, bins.m, member,
                                   Candidates{a.scratch.cand_key + off, a.scratch.cand_mass + off}, sc, ps, n_above,
                                   m_above, holds, mass_at);
}

// The survivor threshold tau of a top-k / top-p target (the last threshold block; the whole block calls it), from the
// target's histogram in hc / hm (shared memory, loaded from the global sums).
__device__ inline float find_threshold(const SamplerArgs& a, int lt, const SampleTarget& t, const Bins& bins,
                                       Scratch& sc, PairScratch& ps, const uint32_t* hc, const unsigned long long* hm) {
    float tau = -INFINITY;
    uint32_t key_k = 0;  // every key survives top-k
    int limit = kSamplerBins;  // bins that may hold survivors: [0, limit)
    double limit_mass = -1.0;  // top-k: the exact mass of bin limit - 1's tokens at or above tau_k
    if (has_top_k(t, a.vs)) {
        unsigned long long n_above;
        const auto reaches_k = [&](unsigned long long n) { return n >= static_cast<unsigned long long>(t.top_k); };
        const int bk = first_bin_reaching(hc, kSamplerBins, reaches_k, &n_above, sc);
        const auto in_bin = [&](int, float v, uint32_t) { return bins.of(v) == bk; };
        const auto holds = [&](int32_t n, double) { return n >= t.top_k; };
        key_k = has_top_p(t) ? search<true>(a, lt, bins, in_bin, sc, ps, int32_t(n_above), 0.0, holds, &limit_mass)
                             : search<false>(a, lt, bins, in_bin, sc, ps, int32_t(n_above), 0.0, holds, nullptr);
        if (key_k == ~0u) key_k = 0;  // no member (cannot happen: bin bk holds a token); keep every token
        else tau = sm::from_order_key(key_k);
        limit = bk + 1;
    }
    if (has_top_p(t)) {
        // Z: the mass of the top-k survivors (all tokens without top-k); top_p of it is the target.
        const int lb = limit_mass >= 0.0 ? limit - 1 : limit;  // bins summed from the histogram: [0, lb)
        const unsigned long long above_limit = sum_bins(hm, lb, sc);
        const double z = above_limit / kMassUnit + (limit_mass >= 0.0 ? limit_mass : 0.0);
        const double target = static_cast<double>(t.top_p) * z;
        unsigned long long m_above;
        int bp = first_bin_reaching(hm, lb, [&](unsigned long long m) { return m / kMassUnit >= target; }, &m_above,
                                    sc);
        if (bp == lb) bp = limit - 1, m_above = above_limit;  // no bin before the last survivor bin reaches it
        const auto in_bin = [&](int, float v, uint32_t k) { return k >= key_k && bins.of(v) == bp; };
        double mass_at_tau;
        const uint32_t key = search<true>(
            a, lt, bins, in_bin, sc, ps, 0, m_above / kMassUnit,
            [&](int32_t, double mass) { return mass >= target; }, &mass_at_tau);
        if (key != ~0u) tau = sm::from_order_key(key);
    }
    return tau;
}

// The plan of a top-k / top-p target from its histogram (hc: counts, hm: masses in kMassUnit): top-k gathers every
// token of the bins up to the one that reaches top_k (the top-k survivors and their bin's other tokens, so top-p can
// follow on them exactly); top-p alone gathers the bin that reaches top_p of the total mass.
__device__ inline Plan make_plan(const SampleTarget& t, int vs, const uint32_t* hc, const unsigned long long* hm,
                                 Scratch& sc) {
    Plan p{};
    unsigned long long above = 0;
    if (has_top_k(t, vs)) {
        const int bk = first_bin_reaching(
            hc, kSamplerBins, [&](unsigned long long n) { return n >= static_cast<unsigned long long>(t.top_k); },
            &above, sc);
        p.b_lo = 0, p.b_hi = min(bk, kSamplerBins - 1);
        p.count = static_cast<int32_t>(above) + (bk < kSamplerBins ? static_cast<int32_t>(hc[bk]) : 0);
    } else {
        const unsigned long long total = sum_bins(hm, kSamplerBins, sc);
        p.target = static_cast<double>(t.top_p) * (total / kMassUnit);
        int bp = first_bin_reaching(hm, kSamplerBins, [&](unsigned long long m) { return m / kMassUnit >= p.target; },
                                    &above, sc);
        if (bp == kSamplerBins) bp = kSamplerBins - 1, above = total - hm[bp];  // rounding: the last bin
        p.b_lo = p.b_hi = bp;
        p.count = static_cast<int32_t>(hc[bp]);
        p.m_above = above / kMassUnit;
    }
    return p;
}

}  // namespace msv::gpu::model::sampler_block
