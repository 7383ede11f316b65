// Probe (docs/gpu-model.md, "Session 2026-12-02, fifth", call 10): the cost of a grid-wide barrier inside a
// persistent kernel against a kernel boundary in a CUDA graph (plain and with programmatic dependent launch).
// Not part of the test build; on the device:
//   nvcc -O3 -arch=sm_90 tests/Native/probes/barrier_probe.cu -o /tmp/probe && /tmp/probe
#include <cooperative_groups.h>
#include <cstdio>
#include <cuda_runtime.h>
namespace cg = cooperative_groups;

__global__ void coop_kernel(int n, float* sink) {
    cg::grid_group g = cg::this_grid();
    float acc = threadIdx.x;
    for (int i = 0; i < n; ++i) {
        acc = acc * 1.0001f + 1.0f;
        g.sync();
    }
    if (acc == 12345.0f) sink[0] = acc;
}

// Sense-reversing barrier on one counter: each block's thread 0 arrives, the last flips the generation.
__device__ __forceinline__ void flag_barrier(unsigned* count, volatile unsigned* gen, unsigned blocks,
                                             unsigned& my_gen) {
    __syncthreads();
    if (threadIdx.x == 0) {
        __threadfence();
        const unsigned arrived = atomicAdd(count, 1u) + 1u;
        if (arrived == blocks) {
            *count = 0;
            __threadfence();
            atomicAdd((unsigned*)gen, 1u);
        } else {
            while (*gen == my_gen) {
            }
        }
        my_gen++;
    }
    __syncthreads();
}

__global__ void flag_kernel(int n, unsigned* count, unsigned* gen, float* sink) {
    unsigned my_gen = 0;
    if (threadIdx.x == 0) my_gen = *((volatile unsigned*)gen);
    float acc = threadIdx.x;
    for (int i = 0; i < n; ++i) {
        acc = acc * 1.0001f + 1.0f;
        flag_barrier(count, gen, gridDim.x, my_gen);
    }
    if (acc == 12345.0f) sink[0] = acc;
}

__global__ void step_kernel(float* sink) {
#if __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
    asm volatile("griddepcontrol.launch_dependents;" :::);
#endif
    if (threadIdx.x == 9999) sink[0] = 1.0f;
}

float time_graph(int blocks, int n, bool pdl, float* sink) {
    cudaStream_t s;
    cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
    cudaGraph_t graph;
    cudaGraphExec_t exec;
    cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal);
    for (int i = 0; i < n; ++i) {
        cudaLaunchConfig_t cfg{};
        cfg.gridDim = blocks, cfg.blockDim = 256, cfg.stream = s;
        cudaLaunchAttribute attr[1];
        attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
        attr[0].val.programmaticStreamSerializationAllowed = 1;
        cfg.attrs = attr, cfg.numAttrs = pdl ? 1 : 0;
        cudaLaunchKernelEx(&cfg, step_kernel, sink);
    }
    cudaStreamEndCapture(s, &graph);
    cudaGraphInstantiateWithFlags(&exec, graph, 0);
    cudaGraphLaunch(exec, s);
    cudaStreamSynchronize(s);
    cudaEvent_t a, b;
    cudaEventCreate(&a), cudaEventCreate(&b);
    cudaEventRecord(a, s);
    cudaGraphLaunch(exec, s);
    cudaEventRecord(b, s);
    cudaEventSynchronize(b);
    float ms;
    cudaEventElapsedTime(&ms, a, b);
    return ms * 1e3f / n;
}

int main() {
    int sms = 0;
    cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
    float* sink;
    unsigned *count, *gen;
    cudaMalloc(&sink, 4), cudaMalloc(&count, 4), cudaMalloc(&gen, 4);
    cudaMemset(count, 0, 4), cudaMemset(gen, 0, 4);
    const int n = 2000;
    for (int per_sm : {1, 2, 4}) {
        const int blocks = sms * per_sm;
        cudaEvent_t a, b;
        cudaEventCreate(&a), cudaEventCreate(&b);
        int nn = n;
        void* args[] = {&nn, &sink};
        cudaLaunchCooperativeKernel((void*)coop_kernel, blocks, 256, args, 0, 0);
        cudaEventRecord(a);
        cudaLaunchCooperativeKernel((void*)coop_kernel, blocks, 256, args, 0, 0);
        cudaEventRecord(b);
        cudaEventSynchronize(b);
        float ms_coop;
        cudaEventElapsedTime(&ms_coop, a, b);
        flag_kernel<<<blocks, 256>>>(n, count, gen, sink);
        cudaEventRecord(a);
        flag_kernel<<<blocks, 256>>>(n, count, gen, sink);
        cudaEventRecord(b);
        cudaEventSynchronize(b);
        float ms_flag;
        cudaEventElapsedTime(&ms_flag, a, b);
        printf("blocks %4d: cg grid.sync %.3f us, flag barrier %.3f us, graph boundary %.3f us, "
               "with PDL %.3f us (%s)\n",
               blocks, ms_coop * 1e3f / n, ms_flag * 1e3f / n, time_graph(blocks, 500, false, sink),
               time_graph(blocks, 500, true, sink), cudaGetErrorString(cudaGetLastError()));
    }
    return 0;
}
