// Shared pieces of the device probes (stream_probe.cu, wgmma_probe.cu, persist_probe.cu; none is in the test build):
// error checks, mbarriers, asynchronous copies into shared memory, streaming loads, weight fills and the copy rate.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#define CK(x)                                                                 \
    do {                                                                      \
        cudaError_t e_ = (x);                                                 \
        if (e_ != cudaSuccess) {                                              \
            printf("%s:%d %s\n", __FILE__, __LINE__, cudaGetErrorString(e_)); \
            exit(1);                                                          \
        }                                                                     \
    } while (0)

__device__ __forceinline__ uint32_t saddr(const void* p) { return static_cast<uint32_t>(__cvta_generic_to_shared(p)); }

__device__ __forceinline__ void mbar_init(uint64_t* b, unsigned count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(saddr(b)), "r"(count) : "memory");
}
__device__ __forceinline__ void mbar_init_fence() { asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory"); }
__device__ __forceinline__ void mbar_wait(uint64_t* b, unsigned parity) {
    asm volatile(
        "{\n.reg .pred p;\nW:\nmbarrier.try_wait.parity.shared::cta.b64 p, [%0], %1;\n@!p bra W;\n}\n" ::"r"(saddr(b)),
        "r"(parity)
        : "memory");
}
__device__ __forceinline__ void mbar_arrive(uint64_t* b) {
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];" ::"r"(saddr(b)) : "memory");
}
__device__ __forceinline__ void mbar_expect(uint64_t* b, unsigned bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(saddr(b)), "r"(bytes) : "memory");
}
__device__ __forceinline__ void bulk_copy(void* dst, const void* src, unsigned bytes, uint64_t* bar) {
    asm volatile(
        "cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];" ::"r"(saddr(dst)),
        "l"(src), "r"(bytes), "r"(saddr(bar))
        : "memory");
}
__device__ __forceinline__ void cp_async16(void* dst, const void* src) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(saddr(dst)), "l"(src) : "memory");
}
__device__ __forceinline__ void cp_async_arrive(uint64_t* b) {
    asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];" ::"r"(saddr(b)) : "memory");
}
__device__ __forceinline__ uint4 ldg_stream(const void* p) {
    uint4 v;
    asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
                 : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
                 : "l"(p));
    return v;
}
// Waits until the grid-wide counter *c reaches `want` (one thread; the caller then synchronises its block).
__device__ __forceinline__ void wait_counter(const unsigned* c, unsigned want) {
    unsigned v;
    do asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(v) : "l"(c) : "memory");
    while (v < want);
}

// Pseudo-random bf16 values in [-scale / 2, scale / 2), a different sequence per seed.
__global__ void fill_kernel(__nv_bfloat16* p, size_t n, float scale, uint32_t seed = 0) {
    for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<size_t>(gridDim.x) * blockDim.x) {
        uint32_t h = (static_cast<uint32_t>(i) ^ seed) * 2654435761u;
        h ^= h >> 15;
        if (seed != 0) h *= 2246822519u, h ^= h >> 13;
        p[i] = __float2bfloat16(scale * ((h & 0xffff) / 65536.0f - 0.5f));
    }
}

// The device copy rate as peer_pytorch.py floor measures it: GB/s of a 2 GiB device-to-device copy, read + write.
inline double copy_rate_gbps() {
    char *c0, *c1;
    const size_t bytes = size_t{2} << 30;
    CK(cudaMalloc(&c0, bytes));
    CK(cudaMalloc(&c1, bytes));
    cudaEvent_t e0, e1;
    CK(cudaEventCreate(&e0));
    CK(cudaEventCreate(&e1));
    float ms = 0.0f;
    CK(cudaMemcpy(c1, c0, bytes, cudaMemcpyDeviceToDevice));
    CK(cudaEventRecord(e0));
    for (int r = 0; r < 5; ++r) CK(cudaMemcpy(c1, c0, bytes, cudaMemcpyDeviceToDevice));
    CK(cudaEventRecord(e1));
    CK(cudaEventSynchronize(e1));
    CK(cudaEventElapsedTime(&ms, e0, e1));
    CK(cudaFree(c0));
    CK(cudaFree(c1));
    return 2.0 * bytes * 5 / (ms * 1e-3) / 1e9;
}

// Milliseconds a launch: the second of two timings of `iters` calls of launch(); the 8 counters at `prof` (the
// kernels' clock64() marks) are zeroed before each timing and copied to `pr` after it.
template <typename F>
inline double time_launches(int iters, F&& launch, unsigned long long* prof, unsigned long long (&pr)[8]) {
    cudaEvent_t e0, e1;
    CK(cudaEventCreate(&e0));
    CK(cudaEventCreate(&e1));
    float ms = 0.0f;
    for (int rep = 0; rep < 2; ++rep) {
        CK(cudaMemset(prof, 0, sizeof pr));
        CK(cudaEventRecord(e0));
        for (int it = 0; it < iters; ++it) launch();
        CK(cudaEventRecord(e1));
        CK(cudaEventSynchronize(e1));
        CK(cudaGetLastError());
        CK(cudaEventElapsedTime(&ms, e0, e1));
        CK(cudaMemcpy(pr, prof, sizeof pr, cudaMemcpyDeviceToHost));
    }
    CK(cudaEventDestroy(e0));
    CK(cudaEventDestroy(e1));
    return ms / iters;
}
