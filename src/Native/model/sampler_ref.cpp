// msv::ref::Sampler: the algorithm documented in sampler_ref.h, in that order.
#include "model/sampler_ref.h"

#include "model/sampler_math.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace msv::ref {

using namespace msv::sampler;

Sampler::Sampler(int slots, int sampleable_vocab)
    : vocab_(sampleable_vocab),
      seen_(static_cast<size_t>(slots) * sampleable_vocab, 0),
      counts_(static_cast<size_t>(slots) * sampleable_vocab, 0),
      work_(static_cast<size_t>(sampleable_vocab)) {}

void Sampler::reset(int slot, const int32_t* prompt_ids, int n) {
    std::fill_n(seen_.begin() + index(slot, 0), vocab_, uint8_t{0});
    std::fill_n(counts_.begin() + index(slot, 0), vocab_, 0);
    for (int i = 0; i < n; ++i) {
        if (prompt_ids[i] >= 0 && prompt_ids[i] < vocab_) seen_[index(slot, prompt_ids[i])] = 1;
    }
}

Drawn Sampler::draw(int slot, const float* logits, const msv_sampling& p, int32_t position, int32_t* top_ids,
                    float* top_logprobs, int width) {
    const int V = vocab_;
    float* w = work_.data();
    process_logits(logits, V, p, seen_.data() + index(slot, 0), counts_.data() + index(slot, 0), w);
    int32_t token;
    if (is_greedy_temperature(p.temperature)) {
        token = argmax(w, V);
    } else {
        const float inverse = 1.0f / p.temperature;
        for (int i = 0; i < V; ++i) w[i] = scaled(w[i], inverse);
        token = gumbel_max(w, V, survivor_threshold(w, V, p), p.seed, position);
    }
    const float norm = log_normalizer(logits, V);
    if (top_ids != nullptr && top_logprobs != nullptr) {
        const int n = std::min(std::max(p.logprobs, 0), width);
        top_n(logits, V, norm, n, top_ids, top_logprobs);
        std::fill(top_ids + n, top_ids + width, -1);
        std::fill(top_logprobs + n, top_logprobs + width, -INFINITY);
    }
    seen_[index(slot, token)] = 1;
    ++counts_[index(slot, token)];
    return {token, logits[token] - norm};
}

void process_logits(const float* raw, int V, const msv_sampling& p, const uint8_t* seen, const int32_t* counts,
                    float* w) {
    std::copy(raw, raw + V, w);
    for (int32_t i = 0; i < p.n_bias; ++i) {
        if (p.bias_ids[i] < V) w[p.bias_ids[i]] += p.bias_values[i];
    }
    if (p.ban_bits != nullptr)
        for (int i = 0; i < V; ++i)
            if (banned(p.ban_bits, i)) w[i] += MSV_BAN_BIAS;
    const bool repetition_on = p.repetition_penalty != 1.0f;
    const bool counts_on = p.frequency_penalty != 0.0f || p.presence_penalty != 0.0f;
    for (int i = 0; i < V; ++i) {
        if (repetition_on && seen[i]) w[i] = repetition(w[i], p.repetition_penalty);
        if (counts_on && counts[i] > 0) w[i] = frequency_presence(w[i], counts[i], p.frequency_penalty, p.presence_penalty);
    }
}

int32_t argmax(const float* w, int V) {
    int32_t best = 0;
    for (int i = 1; i < V; ++i) {
        if (w[i] > w[best]) best = i;
    }
    return best;
}

namespace {

float top_k_threshold(const float* s, int V, int k, float lo, float hi) {
    if (k <= 0 || k >= V) return -INFINITY;
    const uint32_t key = largest_key_where(order_key(lo), order_key(hi), [&](uint32_t t) {
        int count = 0;
        for (int i = 0; i < V; ++i) count += order_key(s[i]) >= t;
        return count >= k;
    });
    return from_order_key(key);
}

// Mass of the tokens whose key is >= t: sum of exp(s_i - m) in double.
double mass_from(const float* s, int V, uint32_t t, float m) {
    double sum = 0.0;
    for (int i = 0; i < V; ++i) {
        if (order_key(s[i]) >= t) sum += std::exp(static_cast<double>(s[i] - m));
    }
    return sum;
}

float top_p_threshold(const float* s, int V, float top_p, float tau_k, float m) {
    if (top_p >= 1.0f) return tau_k;
    const uint32_t lo = order_key(tau_k);
    const double target = static_cast<double>(top_p) * mass_from(s, V, lo, m);
    return from_order_key(largest_key_where(lo, order_key(m), [&](uint32_t t) { return mass_from(s, V, t, m) >= target; }));
}

}  // namespace

float survivor_threshold(const float* s, int V, const msv_sampling& p) {
    const auto [lo, hi] = std::minmax_element(s, s + V);
    const float m = *hi;
    const float tau_k = top_k_threshold(s, V, p.top_k, *lo, m);
    float tau = top_p_threshold(s, V, p.top_p, tau_k, m);
    if (p.min_p > 0.0f) tau = std::max(tau, min_p_threshold(m, p.min_p));
    return tau;
}

int32_t gumbel_max(const float* s, int V, float tau, uint64_t seed, int32_t position) {
    const uint32_t tau_key = order_key(tau);
    int32_t best = -1;
    float best_key = -INFINITY;
    for (int i = 0; i < V; ++i) {
        if (order_key(s[i]) < tau_key) continue;
        const float key = perturbed(s[i], seed, position, i);
        if (best < 0 || ranks_before(key, i, best_key, best)) {
            best = i;
            best_key = key;
        }
    }
    return best < 0 ? argmax(s, V) : best;
}

float log_normalizer(const float* raw, int V) {
    const float m = *std::max_element(raw, raw + V);
    if (std::isinf(m) && m < 0) return m;
    double sum = 0.0;
    for (int i = 0; i < V; ++i) sum += std::exp(static_cast<double>(raw[i] - m));
    return log_norm(m, sum);
}

void top_n(const float* raw, int V, float log_norm, int n, int32_t* ids, float* logprobs) {
    n = std::min(n, V);
    if (n <= 0) return;
    std::vector<int32_t> order(static_cast<size_t>(V));
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + n, order.end(),
                      [&](int32_t a, int32_t b) { return ranks_before(raw[a], a, raw[b], b); });
    for (int i = 0; i < n; ++i) {
        ids[i] = order[i];
        logprobs[i] = raw[order[i]] - log_norm;
    }
}

}  // namespace msv::ref
