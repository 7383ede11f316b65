// The tensor-core pieces shared by the BLAS path's own GEMMs (model_gpu_mma.cu: weight rows as the MMA's M side,
// for few batch rows; model_gpu_tall.cu: batch rows as the M side, for x_proj and dt_proj of many rows): one
// m16n8k16 MMA with fp32 accumulation, and the store of one finished output. CUDA only (mma.sync, sm_80+).
#pragma once

#include "gpu/dtype.cuh"
#include "model/model_gpu_kernels.h"

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

template <typename T>
__device__ __forceinline__ void store_out(const MmaArgs& a, int m, int n, float v) {
    if (a.y_f32) {
        float* y = static_cast<float*>(a.Y) + static_cast<int64_t>(m) * a.ldy + n;
        *y = a.beta != 0.0f ? v + a.beta * *y : v;
    } else {
        T* y = static_cast<T*>(a.Y) + static_cast<int64_t>(m) * a.ldy + n;
        *y = from_float<T>(a.beta != 0.0f ? v + a.beta * to_float(*y) : v);
    }
}

#endif  // !MSV_HIP

}  // namespace msv::gpu::model
