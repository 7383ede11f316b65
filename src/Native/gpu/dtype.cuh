// Storage types of the activation dtypes, and their fp32 conversions on the device (all math is fp32).
// bf16 is our own 2-byte struct rather than __nv_bfloat16 / hip_bfloat16: the two vendors' types differ in
// name, header and intrinsics (Debian's ROCm 5.2 has no __hip_bfloat16), and a shift is all a load needs.
#pragma once

#include "common/vendor.h"
#include "mambaserve.h"

#include <stdint.h>

namespace msv::gpu {

struct bf16 {
    uint16_t bits;
};

template <msv_dtype DT> struct storage;
template <> struct storage<MSV_F32> { using type = float; };
template <> struct storage<MSV_F16> { using type = __half; };
template <> struct storage<MSV_BF16> { using type = bf16; };

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
__device__ __forceinline__ float to_float(bf16 v) { return __uint_as_float(static_cast<uint32_t>(v.bits) << 16); }

template <typename T> __device__ __forceinline__ T from_float(float v);
template <> __device__ __forceinline__ float from_float<float>(float v) { return v; }
template <> __device__ __forceinline__ __half from_float<__half>(float v) { return __float2half_rn(v); }
// Round to nearest even, NaN kept quiet: the same rule as the CPU reference (common/math.h) and torch.
template <> __device__ __forceinline__ bf16 from_float<bf16>(float v) {
    uint32_t u = __float_as_uint(v);
    if ((u & 0x7fffffffu) > 0x7f800000u) return bf16{static_cast<uint16_t>((u >> 16) | 0x0040u)};
    u += 0x7fffu + ((u >> 16) & 1u);
    return bf16{static_cast<uint16_t>(u >> 16)};
}

template <typename T> __device__ __forceinline__ float load(const T* p, int64_t i) { return to_float(p[i]); }

// softplus(x) = log1p(e^x), with log1p(e) = log(u) * e / (u - 1) for u = 1 + e (Goldberg's trick: a few ulps
// from the fast log and divide, where the library log1pf costs ~10x as many instructions, mostly in branches).
// Branch-free: all three cases are computed and selected (the unused ones may be inf or NaN), which the
// scan's staging runs for every (token, channel) without the jumps a branch around the exp costs.
__device__ __forceinline__ float softplus(float x) {
    const float e = __expf(x);
    const float u = 1.0f + e;
    const float g = __logf(u) * __fdividef(e, u - 1.0f);
    const float small = u == 1.0f ? e : g;
    return x > 20.0f ? x : small;
}
// __fdividef: 1 + e^-x overflows to inf only where x / inf = -0 is the right limit.
__device__ __forceinline__ float silu(float x) { return __fdividef(x, 1.0f + __expf(-x)); }

}  // namespace msv::gpu
