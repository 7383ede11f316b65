// One m16n8k16 tensor-core product (mma.sync, fp32 accumulation), shared by the BLAS path's GEMM of few rows
// (model_gpu_mma.cu) and the decode step's middle (model_gpu_mid.cu). CUDA sm_80+ only.
#pragma once

#include "gpu/dtype.cuh"

#include <cstdint>
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

#endif  // !MSV_HIP

}  // namespace msv::gpu::model
