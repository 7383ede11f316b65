// Scalar math shared by the fp32 reference kernels; the formulas are the ones mambaserve.h documents.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace msv::ref {

// exp for the inner loops over d_state: plain arithmetic and bit casts, so `#pragma omp simd` loops calling it
// vectorise (std::exp is an opaque libm call that keeps them scalar, and was most of the decode time of small
// models). Range reduction to r in [-ln2/2, ln2/2] with a two-part ln2, then a degree-6 Taylor polynomial: relative
// error about 2e-7, i.e. within two ulps of float. Inputs are clamped to [-87, 88], where float exp is normal.
inline float fast_exp(float x) {
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    constexpr float kShift = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits
    const float t = x * 1.44269504088896341f + kShift;
    const float n = t - kShift;
    const int32_t ni = __builtin_bit_cast(int32_t, t) - __builtin_bit_cast(int32_t, kShift);
    float r = x - n * 0.693145751953125f;  // ln2, high part (exact in float)
    r = r - n * 1.428606765330187e-06f;    // ln2, low part
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    return p * __builtin_bit_cast(float, (ni + 127) << 23);
}

// log1p(z) for z in [0, 1], in plain arithmetic like fast_exp: 2 atanh(s) with s = z / (2 + z) in [0, 1/3] (so
// 1 + z = (1 + s) / (1 - s) and nothing cancels for small z), its odd series to s^15; the first term left out is
// under 2e-9 of the result.
inline float log1p_unit(float z) {
    const float s = z / (2.0f + z);
    const float s2 = s * s;
    float p = 1.0f / 15.0f;
    p = p * s2 + 1.0f / 13.0f;
    p = p * s2 + 1.0f / 11.0f;
    p = p * s2 + 1.0f / 9.0f;
    p = p * s2 + 1.0f / 7.0f;
    p = p * s2 + 1.0f / 5.0f;
    p = p * s2 + 1.0f / 3.0f;
    p = p * s2 + 1.0f;
    return 2.0f * s * p;
}

// softplus and silu run once per (token, channel) in the scan, the state update and the conv; through libm
// (log1p(exp(x)), two opaque calls) they were ~20% of the CPU's time serving the demo model at 64 requests. As
// max(x, 0) + log1p(exp(-|x|)) and x / (1 + exp(-x)) over fast_exp and log1p_unit they are plain arithmetic (a few
// ulps from libm's) that loops can vectorise. softplus keeps torch's threshold: x above 20 is returned as is.
inline float softplus(float x) {
    const float e = fast_exp(x < 0.0f ? x : -x);
    return x > 20.0f ? x : (x > 0.0f ? x : 0.0f) + log1p_unit(e);
}
inline float silu(float x) { return x / (1.0f + fast_exp(-x)); }

inline float bf16_to_float(uint16_t v) {
    const uint32_t bits = static_cast<uint32_t>(v) << 16;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

// IEEE binary16 to float, exact for every value (subnormals normalised, inf and NaN kept).
inline float f16_to_float(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1fu;
    uint32_t mantissa = h & 0x3ffu;
    uint32_t bits;
    if (exponent == 0x1fu) {
        bits = sign | 0x7f800000u | (mantissa << 13);
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;
    } else {
        exponent = 113;
        while ((mantissa & 0x400u) == 0) {
            mantissa <<= 1;
            --exponent;
        }
        bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
    }
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

// Round to nearest even, as torch's float -> bfloat16 conversion does; NaN stays a (quiet) NaN.
inline uint16_t float_to_bf16(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x0040u);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return static_cast<uint16_t>(bits >> 16);
}

// Parallelise only when a call has enough arithmetic to amortise waking the OpenMP team (decode of a tiny model
// would otherwise spend more time in the fork/join than in the loop).
constexpr int64_t kParallelMinWork = 1 << 16;

}  // namespace msv::ref
