// Scalar math shared by the fp32 reference kernels; the formulas are the ones mambaserve.h documents.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace msv::ref {

inline float softplus(float x) { return x > 20.0f ? x : std::log1p(std::exp(x)); }
inline float silu(float x) { return x / (1.0f + std::exp(-x)); }

inline float bf16_to_float(uint16_t v) {
    const uint32_t bits = static_cast<uint32_t>(v) << 16;
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
