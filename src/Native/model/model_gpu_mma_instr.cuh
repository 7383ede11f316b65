// One m16n8k16 tensor-core MMA (mma.sync, fp32 accumulation) in bf16 or fp16, for the kernels that multiply on
// tensor cores (model_gpu_mma.cu, model_gpu_ssu_rows.cuh). CUDA sm_80+ only: elsewhere the call does nothing, and
// the callers use it only where mma_supported says so.
#pragma once

#include "gpu/dtype.cuh"

#include <type_traits>

namespace msv::gpu::model {

#if !defined(MSV_HIP)

// D += A B for one m16n8k16 tile (A: 16 x 16 row-major, B: 16 x 8 column-major, fp32 D), in bf16 or fp16.
#define MSV_MMA_M16N8K16(TYPE)                                                                                         \
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32." TYPE "." TYPE ".f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, " \
                 "{%0,%1,%2,%3};"                                                                                      \
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])                                                      \
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1))

template <typename T> struct MmaInstr {
    __device__ static void run(float (&d)[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0,
                               uint32_t b1) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
        if constexpr (std::is_same_v<T, bf16>)
            MSV_MMA_M16N8K16("bf16");
        else
            MSV_MMA_M16N8K16("f16");
#endif
    }
};
#undef MSV_MMA_M16N8K16

#endif

// Elements k and k + 1 of a row of 2-byte values as one 32-bit MMA operand word, zero from `limit` on (k even).
template <typename T> __device__ __forceinline__ uint32_t pair_word(const T* row, int k, int limit) {
    if (k + 1 < limit) return *reinterpret_cast<const uint32_t*>(row + k);
    const uint16_t* h = reinterpret_cast<const uint16_t*>(row);
    return k < limit ? h[k] : 0u;
}

}  // namespace msv::gpu::model
