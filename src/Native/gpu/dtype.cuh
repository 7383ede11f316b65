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

// exp(x) = 2^(x log2 e) and ln(x) = log2(x) ln 2: the kernels' exps and logs are base-2 MUFU instructions.
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;

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
// One F2FP on CUDA (the packing conversion with a zero high half): the bit math of msv_bf16_bits is seven
// instructions, paid per element by every kernel that writes bf16 (the conv update writes four a thread, the state
// update one). Round to nearest even either way; only a NaN's payload differs (canonical here). HIP keeps the bit math.
template <> __device__ __forceinline__ bf16 from_float<bf16>(float v) {
#if defined(MSV_HIP)
    return bf16{static_cast<uint16_t>(msv_bf16_bits(v))};
#else
    return bf16{static_cast<uint16_t>(msv_bf16x2_bits(v, 0.0f))};
#endif
}

template <typename T> __device__ __forceinline__ float load(const T* p, int64_t i) { return to_float(p[i]); }

// Eight consecutive elements as fp32, from and to 16-byte-aligned addresses: one 16-byte access for the 2-byte
// types (two for fp32), where one element per access costs a load, a conversion and an address step each.
__device__ __forceinline__ void load8(const float* p, float (&v)[8]) {
    const float4 a = reinterpret_cast<const float4*>(p)[0], b = reinterpret_cast<const float4*>(p)[1];
    v[0] = a.x, v[1] = a.y, v[2] = a.z, v[3] = a.w, v[4] = b.x, v[5] = b.y, v[6] = b.z, v[7] = b.w;
}
__device__ __forceinline__ void load8(const bf16* p, float (&v)[8]) {
    const uint4 w = *reinterpret_cast<const uint4*>(p);
    const uint32_t words[4] = {w.x, w.y, w.z, w.w};
#pragma unroll
    for (int i = 0; i < 4; ++i)
        v[2 * i] = __uint_as_float(words[i] << 16), v[2 * i + 1] = __uint_as_float(words[i] & 0xffff0000u);
}
__device__ __forceinline__ void load8(const __half* p, float (&v)[8]) {
    const uint4 w = *reinterpret_cast<const uint4*>(p);
    const uint32_t words[4] = {w.x, w.y, w.z, w.w};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        v[2 * i] = __half2float(__ushort_as_half(static_cast<unsigned short>(words[i] & 0xffffu)));
        v[2 * i + 1] = __half2float(__ushort_as_half(static_cast<unsigned short>(words[i] >> 16)));
    }
}
__device__ __forceinline__ void store8(float* p, const float (&v)[8]) {
    msv_store16(p, make_float4(v[0], v[1], v[2], v[3]));
    msv_store16(p + 4, make_float4(v[4], v[5], v[6], v[7]));
}
// The 2-byte types travel as float4s of packed bit patterns.
__device__ __forceinline__ void store8(bf16* p, const float (&v)[8]) {
    msv_store16(p, make_float4(__uint_as_float(msv_bf16x2_bits(v[0], v[1])), __uint_as_float(msv_bf16x2_bits(v[2], v[3])),
                               __uint_as_float(msv_bf16x2_bits(v[4], v[5])), __uint_as_float(msv_bf16x2_bits(v[6], v[7]))));
}
__device__ __forceinline__ void store8(__half* p, const float (&v)[8]) {
    auto bits = [](float lo, float hi) {
        return __uint_as_float(static_cast<uint32_t>(__half_as_ushort(__float2half_rn(lo))) |
                               static_cast<uint32_t>(__half_as_ushort(__float2half_rn(hi))) << 16);
    };
    msv_store16(p, make_float4(bits(v[0], v[1]), bits(v[2], v[3]), bits(v[4], v[5]), bits(v[6], v[7])));
}

// softplus(x) = log1p(e^x), with log1p(e) = log(u) * e / (u - 1) for u = 1 + e (Goldberg's trick: a few ulps
// from the fast log and reciprocal, where the library log1pf costs ~10x as many instructions, mostly in branches).
// Branch-free: all three cases are computed and selected (the unused ones may be inf or NaN), which the
// scan's staging runs for every (token, channel) without the jumps a branch around the exp costs.
__device__ __forceinline__ float softplus(float x) {
    const float e = msv_exp2(x * kLog2e);
    const float u = 1.0f + e;
    const float g = (msv_log2(u) * kLn2) * (e * msv_rcp(u - 1.0f));
    const float small = u == 1.0f ? e : g;
    return x > 20.0f ? x : small;
}
// x / (1 + e^-x); where e^-x overflows to inf the reciprocal is 0 and the result the right limit, -0.
__device__ __forceinline__ float silu(float x) {
    return x * msv_rcp(1.0f + msv_exp2(-x * kLog2e));
}

}  // namespace msv::gpu
