// Shared pieces of the sm_90a probes (wgmma_probe.cu, persist_probe.cu): 2-D tensor-map loads (TMA), shared-memory
// matrix descriptors and wgmma m64nNk16 (bf16 in, fp32 accumulators). Build with -gencode arch=compute_90a,code=sm_90a
// and link -lcuda (cuTensorMapEncodeTiled).
#pragma once

#include "probe_async.cuh"

#include <cuda.h>

constexpr int kKTile = 64;  // K elements a tensor-map box: one 128-byte swizzle row of bf16

// Shared-memory tiles with the 128-byte swizzle start on 1024-byte boundaries (8-row atoms): bytes rounded up to that.
__host__ __device__ constexpr int align1k(int b) { return (b + 1023) / 1024 * 1024; }

__device__ __forceinline__ void tma_load(void* dst, const CUtensorMap* map, uint64_t* bar, int x, int y) {
    asm volatile(
        "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];" ::"r"(
            saddr(dst)),
        "l"(map), "r"(x), "r"(y), "r"(saddr(bar))
        : "memory");
}

// Shared-memory matrix descriptor: K-major, 128-byte swizzle, 8-row atoms 1024 bytes apart (a TMA box of 64 K).
__device__ __forceinline__ uint64_t sw128_desc(const void* p) {
    const uint64_t a = saddr(p);
    return ((a & 0x3FFFF) >> 4) | (uint64_t{1} << 16) | (uint64_t{1024 >> 4} << 32) | (uint64_t{1} << 62);
}

// D (+)= A B with m64n8k16; accumulate == 0 overwrites D, so that a new sum starts without instructions of other kinds
// writing the accumulators (ptxas would serialise every wgmma of the kernel for them, warning C7515).
__device__ __forceinline__ void wgmma_m64n8k16(float (&d)[4], uint64_t a, uint64_t b, int accumulate) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %6, 0;\nwgmma.mma_async.sync.aligned.m64n8k16.f32.bf16.bf16 {%0,%1,%2,%3}, %4, "
        "%5, p, 1, 1, 0, 0;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "l"(a), "l"(b), "r"(accumulate));
}

template <int NB> struct Wgmma;
// scale-d is a predicate operand: set to true (D += A B).
#define MSV_WGMMA_HEAD(N) "{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\nwgmma.mma_async.sync.aligned.m64n" #N "k16.f32.bf16.bf16 "
template <> struct Wgmma<8> {
    __device__ static void run(float (&d)[4], uint64_t a, uint64_t b) {
        asm volatile(MSV_WGMMA_HEAD(8) "{%0,%1,%2,%3}, %4, %5, p, 1, 1, 0, 0;\n}\n"
                     : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                     : "l"(a), "l"(b));
    }
};
template <> struct Wgmma<16> {
    __device__ static void run(float (&d)[8], uint64_t a, uint64_t b) {
        asm volatile(MSV_WGMMA_HEAD(16) "{%0,%1,%2,%3,%4,%5,%6,%7}, %8, %9, p, 1, 1, 0, 0;\n}\n"
                     : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7])
                     : "l"(a), "l"(b));
    }
};
template <> struct Wgmma<32> {
    __device__ static void run(float (&d)[16], uint64_t a, uint64_t b) {
        asm volatile(MSV_WGMMA_HEAD(32) "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15}, %16, %17, p, 1, 1, 0, 0;\n}\n"
                     : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
                       "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]),
                       "+f"(d[15])
                     : "l"(a), "l"(b));
    }
};
template <> struct Wgmma<64> {
    __device__ static void run(float (&d)[32], uint64_t a, uint64_t b) {
        asm volatile(MSV_WGMMA_HEAD(64)
                     "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%"
                     "26,%27,%28,%29,%30,%31}, %32, %33, p, 1, 1, 0, 0;\n}\n"
                     : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
                       "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]),
                       "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]),
                       "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]),
                       "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
                     : "l"(a), "l"(b));
    }
};

// Shared-memory matrix descriptor without swizzle, K-major: core matrices of 8 rows x 16 bytes, each row 16 bytes after
// the previous; `lbo` bytes from one core matrix to the next along K, `sbo` along M / N.
__device__ __forceinline__ uint64_t plain_desc(const void* p, uint32_t lbo, uint32_t sbo) {
    const uint64_t a = saddr(p);
    return ((a & 0x3FFFF) >> 4) | (uint64_t{(lbo >> 4) & 0x3FFF} << 16) | (uint64_t{(sbo >> 4) & 0x3FFF} << 32);
}
__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory"); }
template <int N> __device__ __forceinline__ void wgmma_wait() {
    asm volatile("wgmma.wait_group.sync.aligned %0;" ::"n"(N) : "memory");
}

// A 2-D bf16 tensor map over a row-major [rows][cols] matrix, boxes of kKTile columns x box_rows rows, 128-byte swizzle.
inline CUtensorMap make_map(const void* base, int cols, int rows, int box_rows) {
    CUtensorMap m;
    const cuuint64_t dims[2] = {static_cast<cuuint64_t>(cols), static_cast<cuuint64_t>(rows)};
    const cuuint64_t strides[1] = {static_cast<cuuint64_t>(cols) * 2};
    const cuuint32_t box[2] = {kKTile, static_cast<cuuint32_t>(box_rows)};
    const cuuint32_t estr[2] = {1, 1};
    const CUresult r = cuTensorMapEncodeTiled(&m, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 2, const_cast<void*>(base), dims,
                                              strides, box, estr, CU_TENSOR_MAP_INTERLEAVE_NONE,
                                              CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                                              CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
    if (r != CUDA_SUCCESS) {
        printf("cuTensorMapEncodeTiled failed: %d\n", static_cast<int>(r));
        exit(1);
    }
    return m;
}

