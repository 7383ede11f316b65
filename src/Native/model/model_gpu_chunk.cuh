// 16-byte chunks of weight rows, shared by the fused decode kernels (model_gpu_gemv.cuh, model_gpu_ssu.cuh): every
// weight row is padded to a multiple of 16 bytes, so a row is read as whole chunks, each loaded once, with no L1
// allocation, and unpacked to fp32 in registers.
#pragma once

#include "gpu/dtype.cuh"

namespace msv::gpu::model {

template <typename W> struct Chunk {
    static constexpr int kElems = 16 / sizeof(W);
};

// 16 bytes of weights, read once: no L1 allocation (x lives there), and the read-only path. kL2Sectors (CUDA): also
// hint that L2 fetch the 256-byte sector group around them, for a kernel whose warp touches 64 bytes of each of
// several rows and whose other warps read the rest soon after (the tensor-core GEMM, model_gpu_mma.cu).
// kCoherent (CUDA): the plain global path instead of the read-only one, for loads that must be issued before a PDL
// wait: ptxas (CUDA 11.8 and 13, sm_90) scheduled the tensor-core GEMM's and dt_ssu's read-only weight loads after
// their griddepcontrol.wait however the source placed them, and keeps plain loads ahead of it
// (tests/Native/pdl-order.sh).
template <bool kL2Sectors = false, bool kCoherent = false> __device__ __forceinline__ uint4 load_weights(const void* p) {
#if defined(MSV_HIP)
    // HIP's uint4 is a struct; the builtin wants a native vector type.
    typedef unsigned int u32x4 __attribute__((ext_vector_type(4)));
    const u32x4 v = __builtin_nontemporal_load(static_cast<const u32x4*>(p));
    return make_uint4(v.x, v.y, v.z, v.w);
#else
    uint4 v;
    if constexpr (kCoherent && kL2Sectors)
        asm volatile("ld.global.L1::no_allocate.L2::256B.v4.u32 {%0, %1, %2, %3}, [%4];"
                     : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
                     : "l"(p));
    else if constexpr (kCoherent)
        asm volatile("ld.global.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
                     : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
                     : "l"(p));
    else if constexpr (kL2Sectors)
        asm volatile("ld.global.nc.L1::no_allocate.L2::256B.v4.u32 {%0, %1, %2, %3}, [%4];"
                     : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
                     : "l"(p));
    else
        asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
                     : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
                     : "l"(p));
    return v;
#endif
}

template <typename W> __device__ __forceinline__ void unpack(const uint4& q, float (&v)[Chunk<W>::kElems]);
template <> __device__ __forceinline__ void unpack<float>(const uint4& q, float (&v)[4]) {
    v[0] = __uint_as_float(q.x), v[1] = __uint_as_float(q.y), v[2] = __uint_as_float(q.z), v[3] = __uint_as_float(q.w);
}
template <> __device__ __forceinline__ void unpack<bf16>(const uint4& q, float (&v)[8]) {
    const uint32_t w[4] = {q.x, q.y, q.z, q.w};
#pragma unroll
    for (int i = 0; i < 4; ++i) v[2 * i] = __uint_as_float(w[i] << 16), v[2 * i + 1] = __uint_as_float(w[i] & 0xffff0000u);
}
template <> __device__ __forceinline__ void unpack<__half>(const uint4& q, float (&v)[8]) {
    const uint32_t w[4] = {q.x, q.y, q.z, q.w};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        v[2 * i] = __half2float(__ushort_as_half(static_cast<unsigned short>(w[i] & 0xffffu)));
        v[2 * i + 1] = __half2float(__ushort_as_half(static_cast<unsigned short>(w[i] >> 16)));
    }
}

}  // namespace msv::gpu::model
