// Probe (docs/gpu-model.md, "Session 2026-12-05, twenty-second"): cudaEventRecordWithFlags(..., External) outside a
// stream capture, and inside one on a forked side stream: is the event recorded by each replay, mid-graph? Then the
// same mark as a record node added to the capture by hand (HIP's way, vendor.h), on CUDA.
// Not part of the test build; on the device:
//   nvcc -O2 -arch=sm_90 tests/Native/probes/event_record_probe.cu -o /tmp/erp && /tmp/erp
#include <chrono>
#include <cstdio>
#include <cuda_runtime.h>

__global__ void spin(long long cycles) {
    const long long t0 = clock64();
    while (clock64() - t0 < cycles) {
    }
}

static double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Instantiates g and replays it three times on s, each time saying when the mark passed and when the graph ended.
static void replay_three_times(cudaGraph_t g, cudaStream_t s, cudaEvent_t mark) {
    cudaGraphExec_t x;
    std::printf("instantiate: %s\n", cudaGetErrorString(cudaGraphInstantiateWithFlags(&x, g, 0)));
    for (int i = 0; i < 3; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        cudaGraphLaunch(x, s);
        cudaEventSynchronize(mark);
        const double at_mark = ms_since(t0);
        cudaStreamSynchronize(s);
        std::printf("replay %d: mark passed at %.2f ms, graph done at %.2f ms\n", i, at_mark, ms_since(t0));
    }
    std::printf("last error: %s\n", cudaGetErrorString(cudaGetLastError()));
}

int main() {
    cudaStream_t s, side;
    cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
    cudaStreamCreateWithFlags(&side, cudaStreamNonBlocking);
    cudaEvent_t fork, mark, join;
    for (cudaEvent_t* e : {&fork, &mark, &join}) cudaEventCreateWithFlags(e, cudaEventDisableTiming);

    cudaError_t outside = cudaEventRecordWithFlags(mark, s, cudaEventRecordExternal);
    std::printf("external record outside a capture: %s\n", cudaGetErrorString(outside));
    (void)cudaGetLastError();

    const long long cycles = 20'000'000;  // ~10 ms at ~2 GHz per kernel
    cudaGraph_t g;
    cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal);
    spin<<<1, 1, 0, s>>>(cycles);
    cudaEventRecord(fork, s);
    cudaStreamWaitEvent(side, fork, 0);
    cudaError_t inside = cudaEventRecordWithFlags(mark, side, cudaEventRecordExternal);
    cudaEventRecord(join, side);
    spin<<<1, 1, 0, s>>>(cycles);
    cudaStreamWaitEvent(s, join, 0);
    cudaError_t end = cudaStreamEndCapture(s, &g);
    std::printf("external record inside a capture: %s, end capture: %s\n", cudaGetErrorString(inside),
                cudaGetErrorString(end));
    replay_three_times(g, s, mark);

    // The same mark as an event record node added to the captured graph by hand: what msv_event_record_external does
    // on HIP 5.7, which has no external record flag (vendor.h). Does each replay record it mid-graph here too?
    cudaGraph_t g2;
    cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal);
    spin<<<1, 1, 0, s>>>(cycles);
    cudaEventRecord(fork, s);
    cudaStreamWaitEvent(side, fork, 0);
    cudaStreamCaptureStatus st;
    cudaGraph_t into = nullptr;
    const cudaGraphNode_t* after = nullptr;
    size_t count = 0;
    cudaGraphNode_t record = nullptr;
#if CUDART_VERSION >= 13000
    cudaError_t info = cudaStreamGetCaptureInfo(side, &st, nullptr, &into, &after, nullptr, &count);
#else
    cudaError_t info = cudaStreamGetCaptureInfo_v2(side, &st, nullptr, &into, &after, &count);
#endif
    cudaError_t add = cudaGraphAddEventRecordNode(&record, into, after, count, mark);
#if CUDART_VERSION >= 13000
    cudaError_t update = cudaStreamUpdateCaptureDependencies(side, &record, nullptr, 1, cudaStreamSetCaptureDependencies);
#else
    cudaError_t update = cudaStreamUpdateCaptureDependencies(side, &record, 1, cudaStreamSetCaptureDependencies);
#endif
    cudaEventRecord(join, side);
    spin<<<1, 1, 0, s>>>(cycles);
    cudaStreamWaitEvent(s, join, 0);
    end = cudaStreamEndCapture(s, &g2);
    std::printf("node by hand: info %s (%zu before it), add %s, update %s, end capture %s\n", cudaGetErrorString(info),
                count, cudaGetErrorString(add), cudaGetErrorString(update), cudaGetErrorString(end));
    replay_three_times(g2, s, mark);
    return 0;
}
