// msv::ref::Sampler: the device sampler's algorithm in plain C++ (docs/gpu-engine.md "Sampler on the device"), with
// the arithmetic of sampler_math.h. The CPU library samples with it and the GPU sampler tests compare against it.
//
// One draw from a raw logits row (V = sampleable_vocab entries are read; padded ids never take part):
//  1. w = raw + logit bias (ids >= V ignored), then + MSV_BAN_BIAS on the ids the ban mask sets; repetition penalty
//     on the slot's seen set (prompt ids at reset, and every token drawn since); frequency / presence penalty on
//     tokens drawn count > 0 times. (sampler_math.h)
//  2. temperature < 1e-5: the token is argmax w, lowest id on ties.
//  3. else s = w * (1 / temperature), m = max s, and a token survives iff s >= tau = max(tau_k, tau_p, tau_min):
//     - tau_k = the k-th largest s (top_k > 0 and < V; else -inf): ties with it survive, so more than k may;
//     - tau_p = the largest value v such that sum over {s_i >= v, s_i >= tau_k} of exp(s_i - m) >= top_p * Z,
//       Z = the same sum over {s_i >= tau_k} (top_p < 1; else -inf): the smallest most-probable set whose
//       probability, renormalised over the top-k survivors, reaches top_p, with every token tied at its boundary;
//       sums in double of exp((double)(s_i - m));
//     - tau_min = m + log(min_p) (min_p > 0; else -inf): probability at least min_p times the top token's.
//     tau_k and tau_p are found by bisection over order keys (largest_key_where), never by sorting.
//     The token is the survivor with the largest s_i + Gumbel(seed, position, i) (perturbed()), lowest id on ties.
//  4. logprob = raw[token] - log_norm, log_norm = m_raw + log(sum_i exp((double)(raw_i - m_raw))) over ids < V;
//     top-N: the N = logprobs largest raw entries, larger first, lower id first on ties, same normaliser.
//  5. the slot's state records the token: seen, count + 1.
// NaN logits are not supported (the result is unspecified).
#pragma once

#include "mambaserve.h"

#include <cstdint>
#include <vector>

namespace msv::ref {

struct Drawn {
    int32_t token;
    float logprob;
};

// Per-slot sampler state of a pool: the seen set and the output counts, [slots, V].
class Sampler {
public:
    Sampler(int slots, int sampleable_vocab);

    int vocab() const { return vocab_; }
    // Clears the slot's counts and seen set, then marks prompt_ids[0, n) (ids >= V ignored).
    void reset(int slot, const int32_t* prompt_ids, int n);
    // Steps 1-5 above on `logits` (>= V entries). Writes the top-N (N = max(p.logprobs, 0) <= width) to
    // top_ids / top_logprobs[0, width) when they are not NULL: N entries, then -1 / -INFINITY.
    Drawn draw(int slot, const float* logits, const msv_sampling& p, int32_t position, int32_t* top_ids,
               float* top_logprobs, int width);

    bool seen(int slot, int token) const { return seen_[index(slot, token)] != 0; }
    int32_t count(int slot, int token) const { return counts_[index(slot, token)]; }

private:
    int64_t index(int slot, int token) const { return static_cast<int64_t>(slot) * vocab_ + token; }

    int vocab_;
    std::vector<uint8_t> seen_;
    std::vector<int32_t> counts_;
    std::vector<float> work_;
};

// ---- the steps, as free functions for tests (V = row length) ---------------------------------------------------
// Step 1: w[0, V) from raw with bias and the penalties of seen[0, V) / counts[0, V).
void process_logits(const float* raw, int V, const msv_sampling& p, const uint8_t* seen, const int32_t* counts,
                    float* w);
// Step 2: argmax, lowest id on ties.
int32_t argmax(const float* w, int V);
// Step 3's threshold tau over the scaled row s (survivors: s_i >= tau).
float survivor_threshold(const float* s, int V, const msv_sampling& p);
// Step 3's draw among the survivors of tau.
int32_t gumbel_max(const float* s, int V, float tau, uint64_t seed, int32_t position);
// Step 4: the log-softmax normaliser of the raw row, and the top-N.
float log_normalizer(const float* raw, int V);
void top_n(const float* raw, int V, float log_norm, int n, int32_t* ids, float* logprobs);

}  // namespace msv::ref
