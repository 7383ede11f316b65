// One kernel source for CUDA and ROCm: kernels are written against CUDA's names, and the HIP build (gpu.cmake
// defines MSV_HIP) maps each name used here to its HIP twin, as ggml-cuda's vendors/hip.h does. Keep this the
// only place that knows which vendor it is; add a mapping here rather than an #ifdef in a kernel.
//
// Warp size: CDNA GPUs (gfx90a, gfx942) run 64-wide wavefronts, RDNA (gfx1100) and NVIDIA 32-wide. Kernels use
// MSV_GROUP (32) lanes as their unit of cooperation and pass it as the shuffle width, which is correct on both.
#pragma once

#include <stdint.h>
#include <string.h>

#if defined(MSV_HIP)
#include <hip/hip_fp16.h>
#include <hip/hip_runtime.h>

#define cudaDevAttrMultiProcessorCount hipDeviceAttributeMultiprocessorCount
#define cudaDeviceGetAttribute hipDeviceGetAttribute
#define cudaDeviceProp hipDeviceProp_t
#define cudaDeviceSynchronize hipDeviceSynchronize
#define cudaErrorMemoryAllocation hipErrorOutOfMemory
#define cudaErrorNoDevice hipErrorNoDevice
#define cudaErrorInsufficientDriver hipErrorInsufficientDriver
#define cudaErrorInvalidValue hipErrorInvalidValue
#define cudaError_t hipError_t
#define cudaEventDisableTiming hipEventDisableTiming
#define cudaEventCreateWithFlags hipEventCreateWithFlags
#define cudaEventQuery hipEventQuery
#define cudaFreeHost hipHostFree
#define cudaFuncAttributeMaxDynamicSharedMemorySize hipFuncAttributeMaxDynamicSharedMemorySize
#define cudaFuncSetAttribute hipFuncSetAttribute
#define cudaGetDevice hipGetDevice
#define cudaGetDeviceCount hipGetDeviceCount
#define cudaGraphDestroy hipGraphDestroy
#define cudaGraphExecDestroy hipGraphExecDestroy
#define cudaGraphExec_t hipGraphExec_t
#define cudaGraphInstantiateWithFlags hipGraphInstantiateWithFlags
#define cudaGraphLaunch hipGraphLaunch
#define cudaGraph_t hipGraph_t
#define cudaMallocHost hipHostMalloc
#define cudaMemGetInfo hipMemGetInfo
#define cudaMemsetAsync hipMemsetAsync
#define cudaOccupancyMaxActiveBlocksPerMultiprocessor hipOccupancyMaxActiveBlocksPerMultiprocessor
#define cudaPeekAtLastError hipPeekAtLastError
#define cudaSetDevice hipSetDevice
#define cudaStreamBeginCapture hipStreamBeginCapture
#define cudaStreamCaptureModeThreadLocal hipStreamCaptureModeThreadLocal
#define cudaStreamCreateWithFlags hipStreamCreateWithFlags
#define cudaStreamEndCapture hipStreamEndCapture
#define cudaStreamNonBlocking hipStreamNonBlocking
#define cudaEventCreate hipEventCreate
#define cudaEventDestroy hipEventDestroy
#define cudaEventElapsedTime hipEventElapsedTime
#define cudaEventRecord hipEventRecord
#define cudaEventSynchronize hipEventSynchronize
#define cudaEvent_t hipEvent_t
#define cudaFree hipFree
#define cudaGetDeviceProperties hipGetDeviceProperties
#define cudaGetErrorString hipGetErrorString
#define cudaGetLastError hipGetLastError
#define cudaMalloc hipMalloc
#define cudaMemcpy hipMemcpy
#define cudaMemcpyAsync hipMemcpyAsync
#define cudaMemcpyDeviceToDevice hipMemcpyDeviceToDevice
#define cudaMemcpyDeviceToHost hipMemcpyDeviceToHost
#define cudaMemcpyHostToDevice hipMemcpyHostToDevice
#define cudaMemset hipMemset
#define cudaStreamCreate hipStreamCreate
#define cudaStreamDestroy hipStreamDestroy
#define cudaStreamSynchronize hipStreamSynchronize
#define cudaStreamWaitEvent hipStreamWaitEvent
#define cudaStream_t hipStream_t
#define cudaSuccess hipSuccess
// HIP's shuffles take no member mask (and ROCm before 6.2 has no *_sync forms).
#define __shfl_sync(mask, var, src_lane, width) __shfl(var, src_lane, width)
#define __shfl_up_sync(mask, var, delta, width) __shfl_up(var, delta, width)
#define __shfl_xor_sync(mask, var, lane_mask, width) __shfl_xor(var, lane_mask, width)
#define MSV_VENDOR_NAME "hip"
// An event the host can wait for even when recorded inside a graph's capture. HIP 5.7 has no external record flag (a
// record in a capture is only a dependency, which no replay records), so inside a capture the event record node is
// added to the captured graph by hand, after the stream's current nodes, and becomes the stream's one dependency: what
// CUDA's external record does. Outside a capture, a plain record. Compiled for gfx90a / gfx942 / gfx1100, not yet run
// on an AMD GPU; a capture that fails with it is retried without the step mark (model_gpu_graphs.cpp).
inline hipError_t msv_event_record_external(hipEvent_t e, hipStream_t s) {
    // Outside a capture only the status query runs before a plain record; the calls that edit the captured graph
    // never run on an eager step (an eager step failing on the mark is what first happened on CUDA).
    hipStreamCaptureStatus capturing = hipStreamCaptureStatusNone;
    if (hipError_t err = hipStreamIsCapturing(s, &capturing); err != hipSuccess) return err;
    if (capturing != hipStreamCaptureStatusActive) return hipEventRecord(e, s);
    hipGraph_t graph = nullptr;
    const hipGraphNode_t* after = nullptr;
    size_t count = 0;
    if (hipError_t err = hipStreamGetCaptureInfo_v2(s, &capturing, nullptr, &graph, &after, &count); err != hipSuccess)
        return err;
    hipGraphNode_t record = nullptr;
    if (hipError_t err = hipGraphAddEventRecordNode(&record, graph, after, count, e); err != hipSuccess) return err;
    return hipStreamUpdateCaptureDependencies(s, &record, 1, hipStreamSetCaptureDependencies);
}
// The L1 / shared-memory split is fixed on AMD GPUs: nothing to ask for.
template <typename F> inline void msv_prefer_shared_memory(F*) {}
// Device code only (host sources that include this header, compiled as plain C++ by hipcc, lack the intrinsics).
#if defined(__HIP__)
// 2^x: ROCm's exp2f is the hardware v_exp_f32 plus a denormal range fix-up; log2 and 1/x alike.
__device__ __forceinline__ float msv_exp2(float x) { return exp2f(x); }
__device__ __forceinline__ float msv_log2(float x) { return __log2f(x); }
__device__ __forceinline__ float msv_rcp(float x) { return __frcp_rn(x); }
// One 16-byte store to global memory (p 16-byte aligned).
__device__ __forceinline__ void msv_store16(void* p, float4 v) { *static_cast<float4*>(p) = v; }
#endif
#else
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#define MSV_VENDOR_NAME "cuda"
// An event the host can wait for even when recorded inside a graph's capture (an external event record node, which
// each replay records); outside a capture, a plain record: the external flag there is refused with "the operation
// cannot be performed in the present state" (seen on an H100, CUDA 13; tests/Native/probes/event_record_probe.cu).
inline cudaError_t msv_event_record_external(cudaEvent_t e, cudaStream_t s) {
    cudaStreamCaptureStatus capturing = cudaStreamCaptureStatusNone;
    if (cudaError_t err = cudaStreamIsCapturing(s, &capturing); err != cudaSuccess) return err;
    return capturing == cudaStreamCaptureStatusActive ? cudaEventRecordWithFlags(e, s, cudaEventRecordExternal)
                                                      : cudaEventRecord(e, s);
}
// Hint that kernel f wants the largest shared-memory carveout (so that its occupancy is bounded by registers,
// not by the L1 / shared split the driver picks). A hint only: an error is cleared, not reported.
template <typename F> inline void msv_prefer_shared_memory(F* f) {
    if (cudaFuncSetAttribute(f, cudaFuncAttributePreferredSharedMemoryCarveout, cudaSharedmemCarveoutMaxShared) !=
        cudaSuccess)
        (void)cudaGetLastError();
}
// 2^x on the special-function unit, denormal results flushed: one MUFU.EX2, where exp2f/__expf add a denormal
// fix-up around it. The scan evaluates one per (token, channel, state), so this is its hottest instruction.
__device__ __forceinline__ float msv_exp2(float x) {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}
// log2(x) and 1/x, one MUFU each, denormals flushed: __logf and __fdividef wrap theirs in range fix-ups that cost
// more than the MUFU (the scan's staging runs softplus and silu once per (token, channel)).
__device__ __forceinline__ float msv_log2(float x) {
    float y;
    asm("lg2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}
__device__ __forceinline__ float msv_rcp(float x) {
    float y;
    asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}
// One 16-byte store to global memory (p 16-byte aligned). Spelled out because nvcc splits a plain float4 or
// uint4 store through a pointer cast from a 2- or 4-byte element type into 4-byte stores.
__device__ __forceinline__ void msv_store16(void* p, float4 v) {
    asm volatile("st.global.v4.f32 [%0], {%1, %2, %3, %4};" ::"l"(p), "f"(v.x), "f"(v.y), "f"(v.z), "f"(v.w)
                 : "memory");
}
// Two floats to bf16 (round to nearest even), lo in the low half: one F2FP instruction on sm_80+.
__device__ __forceinline__ unsigned int msv_bf16x2_bits(float lo, float hi) {
    unsigned int r;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}
#endif

// float -> bf16 bits, round to nearest even, NaN kept quiet: the CPU reference's rule (common/math.h) and torch's.
// (memcpy rather than __float_as_uint: host compilers read this header too.)
__device__ __forceinline__ unsigned int msv_bf16_bits(float v) {
    unsigned int u;
    memcpy(&u, &v, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (u >> 16) | 0x0040u;
    u += 0x7fffu + ((u >> 16) & 1u);
    return u >> 16;
}
#if defined(MSV_HIP) && defined(__HIP__)
// Two floats to bf16, lo in the low half: gfx90a has no packing conversion, so bit math.
__device__ __forceinline__ unsigned int msv_bf16x2_bits(float lo, float hi) {
    return msv_bf16_bits(lo) | msv_bf16_bits(hi) << 16;
}
#endif

// Errors after which the context is unusable (every later call fails the same way): the model reports the device
// as lost rather than failing one step.
inline bool msv_error_is_sticky(cudaError_t e) {
#if defined(MSV_HIP)
    return e == hipErrorIllegalAddress || e == hipErrorLaunchFailure || e == hipErrorAssert ||
           e == hipErrorECCNotCorrectable || e == hipErrorLaunchTimeOut;
#else
    return e == cudaErrorIllegalAddress || e == cudaErrorLaunchFailure || e == cudaErrorAssert ||
           e == cudaErrorHardwareStackError || e == cudaErrorIllegalInstruction || e == cudaErrorMisalignedAddress ||
           e == cudaErrorInvalidAddressSpace || e == cudaErrorInvalidPc || e == cudaErrorLaunchTimeout ||
           e == cudaErrorECCUncorrectable;
#endif
}

// Lanes that cooperate through shuffles: a CUDA warp, half a CDNA wavefront. Every shuffle passes MSV_GROUP as its
// width (so a 64-wide wavefront runs as two independent groups) and MSV_GROUP_MASK as its member mask (CUDA only;
// HIP's shuffles take none). Block reductions index partial sums by threadIdx.x / MSV_GROUP, never by the
// hardware warp. tests/Native/wave_width_test.cpp scans the kernel sources for literal masks and widths.
#define MSV_GROUP 32
#define MSV_GROUP_MASK 0xffffffffu

// Programmatic dependent launch (sm_90): a kernel launched with the attribute may start while its predecessor
// still runs; it must call msv_pdl_wait() before touching anything the predecessor writes or reads (only
// immutable data, the weights, may be read before), and calls msv_pdl_launch_dependents() to let the next kernel
// start early. No-ops on HIP and before sm_90, where launches simply serialise.
__device__ __forceinline__ void msv_pdl_wait() {
#if !defined(MSV_HIP) && defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}
__device__ __forceinline__ void msv_pdl_launch_dependents() {
#if !defined(MSV_HIP) && defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;" :::);
#endif
}
// 16 bytes from global to shared memory without a register in between (cp.async, sm_80+): a thread can keep many
// such copies in flight where loads into registers would cost occupancy. msv_copy_commit() closes a group of the
// thread's copies; msv_copy_wait<N>() returns once at most N of its groups are still in flight (its own copies
// only: a thread that reads what another copied needs a barrier too). HIP and before sm_80: a plain copy, done when
// the call returns.
__device__ __forceinline__ void msv_copy16_async(void* smem, const void* gmem) {
#if !defined(MSV_HIP) && defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(smem));
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(s), "l"(gmem) : "memory");
#else
    *static_cast<float4*>(smem) = *static_cast<const float4*>(gmem);
#endif
}
__device__ __forceinline__ void msv_copy_commit() {
#if !defined(MSV_HIP) && defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("cp.async.commit_group;" ::: "memory");
#endif
}
template <int N> __device__ __forceinline__ void msv_copy_wait() {
#if !defined(MSV_HIP) && defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("cp.async.wait_group %0;" ::"n"(N) : "memory");
#endif
}
// Pulls the line holding p into L2 without waiting (no alignment needed; HIP and before sm_80: nothing).
__device__ __forceinline__ void msv_prefetch_line_l2(const void* p) {
#if !defined(MSV_HIP) && defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("prefetch.global.L2 [%0];" ::"l"(p));
#else
    (void)p;
#endif
}
// Pulls [p, p + bytes) into L2 without waiting (bytes a multiple of 16, p 16-byte aligned): a kernel's weights,
// fetched before msv_pdl_wait() so their first reads hit L2 while the predecessor finishes.
// (The bulk prefetch needs PTX 8.0, CUDA 12; older toolkits skip it.)
__device__ __forceinline__ void msv_prefetch_l2(const void* p, uint32_t bytes) {
#if !defined(MSV_HIP) && defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900 && __CUDACC_VER_MAJOR__ >= 12
    asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;" ::"l"(p), "r"(bytes) : "memory");
#else
    (void)p, (void)bytes;
#endif
}
