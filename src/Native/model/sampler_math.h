// The device sampler's arithmetic, shared by the reference (sampler_ref.cpp) and the GPU kernel so that both draw
// the same tokens from the same logits. Host and device code: functions are `__host__ __device__` under nvcc /
// hipcc in HIP mode (MSV_HD) and plain inline functions for the host compiler. No libc beyond <math.h>.
//
// Bit-for-bit agreement between the two needs the same float operations in the same order: the helpers below
// round every product and sum on their own (no FMA contraction on the device), and the Gumbel noise is computed in
// double and rounded once. What cannot agree bit for bit is a sum over the row (top-p mass, softmax norm): its
// order depends on the reduction, so a token whose cumulative mass sits within rounding of the top_p boundary may
// differ between backends.
#pragma once

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__CUDACC__) || defined(__HIP__)
#define MSV_HD __host__ __device__ inline
#else
#define MSV_HD inline
#endif

namespace msv::sampler {

// Temperatures below this are greedy (vLLM's rule; dividing by them would overflow).
constexpr float kGreedyTemperature = 1e-5f;
// The greedy rule of the reference sampler and of the step that picks a greedy-only decode graph (which leaves out
// the kernels a sampling target needs), so it must also be the device sampler's (is_greedy, which spells it out).
// NaN is not greedy.
MSV_HD bool is_greedy_temperature(float temperature) { return temperature < kGreedyTemperature; }

// Whether a step's ban mask (msv_sampling.ban_bits) bans `id`.
MSV_HD bool banned(const uint32_t* bits, int id) { return (bits[id >> 5] >> (id & 31)) & 1u; }

// ---- rounding without contraction ---------------------------------------------------------------------------
MSV_HD float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
    return __fmul_rn(a, b);
#else
    return a * b;
#endif
}
MSV_HD float add_rn(float a, float b) {
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
    return __fadd_rn(a, b);
#else
    return a + b;
#endif
}

// ---- Philox-4x32-10 (Salmon et al., SC'11; Random123's constants and round function) -------------------------
struct Philox4 {
    uint32_t v[4];
};

MSV_HD Philox4 philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1) {
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        const uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * c0;
        const uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * c2;
        const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
        const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    return Philox4{{c0, c1, c2, c3}};
}

// The random word of `token` at `position` of the stream `seed`: Philox keyed by (seed low, seed high) on the
// counter (position, token / 4, 0, 0), word token % 4. One Philox call serves 4 consecutive token ids, so a GPU
// thread holding 4 adjacent logits makes one call: random_words gives the words of tokens 4 (token / 4) ..
// 4 (token / 4) + 3 at once.
MSV_HD Philox4 random_words(uint64_t seed, int32_t position, int32_t token) {
    return philox4x32_10(static_cast<uint32_t>(position), static_cast<uint32_t>(token) >> 2, 0u, 0u,
                         static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}
MSV_HD uint32_t random_word(uint64_t seed, int32_t position, int32_t token) {
    return random_words(seed, position, token).v[token & 3];
}

// Uniform in the open interval (0, 1): ((w >> 9) + 0.5) * 2^-23, every step exact in float.
MSV_HD float uniform_open(uint32_t word) {
    return (static_cast<float>(word >> 9) + 0.5f) * (1.0f / 8388608.0f);
}

// Standard Gumbel noise -log(-log(u)), in double then rounded once to float, so that the host's and the device's
// log (both within an ulp of the true value in double) almost always round to the same float.
MSV_HD float gumbel(uint32_t word) {
    const double u = static_cast<double>(uniform_open(word));
    return static_cast<float>(-log(-log(u)));
}

// ---- logit processing (order: bias, repetition, frequency / presence; then temperature) ----------------------
// CTRL's repetition penalty for a token in the seen set.
MSV_HD float repetition(float w, float penalty) { return w > 0.0f ? w / penalty : mul_rn(w, penalty); }

// OpenAI's frequency / presence penalty for a token generated `count` > 0 times.
MSV_HD float frequency_presence(float w, int32_t count, float frequency, float presence) {
    return w - add_rn(mul_rn(frequency, static_cast<float>(count)), presence);
}

// The scaled logit s = w * (1 / temperature), rounded once.
MSV_HD float scaled(float w, float inverse_temperature) { return mul_rn(w, inverse_temperature); }

// min_p keeps s >= max_s + log(min_p) (probability >= min_p times the top token's); log in double, rounded once.
MSV_HD float min_p_threshold(float max_s, float min_p) {
    return add_rn(max_s, static_cast<float>(log(static_cast<double>(min_p))));
}

// ---- order keys: the thresholds are found by bisection over these ---------------------------------------------
// Monotone map of non-NaN floats to uint32 (a < b <=> key(a) < key(b); -0 and +0 get adjacent keys).
MSV_HD uint32_t order_key(float f) {
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return (bits & 0x80000000u) ? ~bits : bits | 0x80000000u;
}
MSV_HD float from_order_key(uint32_t key) {
    const uint32_t bits = (key & 0x80000000u) ? key & 0x7fffffffu : ~key;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

// The largest key t in [lo, hi] with holds(t), where holds(lo) is true and holds is monotone (true up to some key,
// false after). At most 32 evaluations of holds, each one pass over the row: this is how top-k and top-p find their
// thresholds without sorting (on the device holds() is a block-wide count or sum, called by every thread).
template <typename Holds>
MSV_HD uint32_t largest_key_where(uint32_t lo, uint32_t hi, const Holds& holds) {
    while (lo < hi) {
        const uint32_t mid = lo + static_cast<uint32_t>((static_cast<uint64_t>(hi) - lo + 1) / 2);
        if (holds(mid))
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

// ---- choosing and reporting -----------------------------------------------------------------------------------
// Ranking of (value, id) pairs: larger value first, lower id first on ties. Greedy argmax, the Gumbel-max draw and
// the top-N logprobs all pick by it.
MSV_HD bool ranks_before(float a, int32_t id_a, float b, int32_t id_b) { return a > b || (a == b && id_a < id_b); }

// The Gumbel-max key of a surviving token: s + Gumbel of its random word, rounded once.
MSV_HD float perturbed_by(float s, uint32_t word) { return add_rn(s, gumbel(word)); }
MSV_HD float perturbed(float s, uint64_t seed, int32_t position, int32_t token) {
    return perturbed_by(s, random_word(seed, position, token));
}

// log-softmax normaliser of the raw row from its max and sum_i exp(raw_i - max) (accumulated in double):
// logprob(i) = raw_i - log_norm, as the host sampler (LogitMath.LogSumExp) computes it.
MSV_HD float log_norm(float max_raw, double sum_exp) {
    return static_cast<float>(static_cast<double>(max_raw) + log(sum_exp));
}

}  // namespace msv::sampler
