// Probe (not in the test build): does the order in which a batch-1 GEMV's warps read the weights change the rate
// DRAM delivers them? The in_proj GEMV (docs/gpu-model.md) gives each warp 4 rows of a row-major [N, K] matrix and
// has each lane load one 16-byte chunk of every row per batch: a batch is four 512-byte pieces 5 KB apart, and the
// whole GPU has ~10,000 such pieces in flight. Spreading a block's L2 prefetch over its rows (1 KB pieces instead
// of one 16 KB run) cost a batch-1 step 0.04 ms (session 2026-12-03, eleventh), so the pieces' size may matter.
// Only the reads, with the GEMV's dependency chain (a batch's loads issued after the previous batch is used):
//   0 row-major: a warp's batch is 4 pieces of 512 B, one per row (as the GEMV reads today);
//   1 warp-packed: a warp's 4 rows stored so that each batch is one contiguous 2 KB run, the batches in order;
//   2 block-packed: the 4 warps of a block read 4 adjacent 2 KB runs at each batch (8 KB a block a batch);
//   3 grid-packed: batch j of every warp adjacent (the whole GPU reads one contiguous window a batch);
//   4 row-major with 2 batches in flight (the next batch's loads issued before the current one is used).
// Bytes: 16 copies of a 52 MB matrix (in_proj of mamba-2.8b, 10240 x 2560 bf16), rotated so that L2 never holds
// the one read. Launched back to back (no PDL, so each time includes a launch's ramp and drain).
//   nvcc -O3 -std=c++17 -arch=sm_90 tests/Native/probes/layout_probe.cu -o /tmp/lp && /tmp/lp
#include "probe_async.cuh"

#include <vector>

namespace {

constexpr int kRows = 10240, kChunks = 320;  // 16-byte chunks a row (2560 bf16)
constexpr int kRowsPerWarp = 4, kWarps = 4, kLanes = 32;
constexpr int kBatches = kChunks / kLanes;  // 10
constexpr int kBlocks = kRows / (kRowsPerWarp * kWarps);  // 640
constexpr int kCopies = 16;

// The chunk (as a uint4 index into the matrix) that lane `lane` of global warp `gw` reads for row i of batch j.
template <int kMode>
__device__ __forceinline__ int64_t chunk_at(int gw, int w, int lane, int i, int j) {
    const int64_t row = static_cast<int64_t>(gw) * kRowsPerWarp + i;
    constexpr int64_t kWarpChunks = kRowsPerWarp * kChunks;       // 1280 chunks = 20 KB
    constexpr int64_t kBatchChunks = kRowsPerWarp * kLanes;       // 128 chunks = 2 KB
    if constexpr (kMode == 0 || kMode == 4) {
        return row * kChunks + j * kLanes + lane;
    } else if constexpr (kMode == 1) {
        return gw * kWarpChunks + j * kBatchChunks + i * kLanes + lane;
    } else if constexpr (kMode == 2) {
        const int64_t block = gw / kWarps;
        return block * kWarps * kWarpChunks + (j * kWarps + w) * kBatchChunks + i * kLanes + lane;
    } else {
        const int64_t warps = static_cast<int64_t>(kBlocks) * kWarps;
        return (j * warps + gw) * kBatchChunks + i * kLanes + lane;
    }
}

template <int kMode>
__global__ void __launch_bounds__(kWarps * kLanes) read_kernel(const uint4* m, unsigned* sink) {
    const int lane = threadIdx.x % kLanes, w = threadIdx.x / kLanes;
    const int gw = blockIdx.x * kWarps + w;
    unsigned acc = 0;
    if constexpr (kMode == 4) {
        uint4 cur[kRowsPerWarp], nxt[kRowsPerWarp];
#pragma unroll
        for (int i = 0; i < kRowsPerWarp; ++i) cur[i] = ldg_stream(m + chunk_at<0>(gw, w, lane, i, 0));
        for (int j = 0; j < kBatches; ++j) {
            if (j + 1 < kBatches) {
#pragma unroll
                for (int i = 0; i < kRowsPerWarp; ++i) nxt[i] = ldg_stream(m + chunk_at<0>(gw, w, lane, i, j + 1));
            }
#pragma unroll
            for (int i = 0; i < kRowsPerWarp; ++i) acc += cur[i].x ^ cur[i].y ^ cur[i].z ^ cur[i].w;
#pragma unroll
            for (int i = 0; i < kRowsPerWarp; ++i) cur[i] = nxt[i];
        }
    } else {
        for (int j = 0; j < kBatches; ++j) {
            uint4 v[kRowsPerWarp];
#pragma unroll
            for (int i = 0; i < kRowsPerWarp; ++i) v[i] = ldg_stream(m + chunk_at<kMode>(gw, w, lane, i, j));
#pragma unroll
            for (int i = 0; i < kRowsPerWarp; ++i) acc += v[i].x ^ v[i].y ^ v[i].z ^ v[i].w;
        }
    }
    if (acc == 0x12345678u) sink[gw] = acc;  // keeps the loads; practically never taken
}

// us per call of `work` (reps calls between two events, after kCopies calls of warm-up).
template <typename F>
float us_per_call(F work, int reps) {
    for (int r = 0; r < kCopies; ++r) work(r);
    cudaEvent_t a, b;
    CK(cudaEventCreate(&a));
    CK(cudaEventCreate(&b));
    CK(cudaEventRecord(a));
    for (int r = 0; r < reps; ++r) work(r);
    CK(cudaEventRecord(b));
    CK(cudaEventSynchronize(b));
    float ms = 0;
    CK(cudaEventElapsedTime(&ms, a, b));
    return ms * 1000.0f / reps;
}

template <int kMode>
float time_mode(const std::vector<const uint4*>& copies, unsigned* sink, int reps) {
    return us_per_call([&](int r) { read_kernel<kMode><<<kBlocks, kWarps * kLanes>>>(copies[r % kCopies], sink); },
                       reps);
}

}  // namespace

int main() {
    const size_t bytes = static_cast<size_t>(kRows) * kChunks * 16;
    std::vector<const uint4*> copies;
    for (int c = 0; c < kCopies; ++c) {
        void* p = nullptr;
        CK(cudaMalloc(&p, bytes));
        CK(cudaMemset(p, c + 1, bytes));
        copies.push_back(static_cast<const uint4*>(p));
    }
    unsigned* sink = nullptr;
    CK(cudaMalloc(&sink, kBlocks * kWarps * sizeof(unsigned)));
    const char* names[] = {"row-major (as the GEMV)", "warp-packed", "block-packed", "grid-packed",
                           "row-major, 2 batches in flight"};
    for (int round = 0; round < 3; ++round) {
        float t[5];
        t[0] = time_mode<0>(copies, sink, 320);
        t[1] = time_mode<1>(copies, sink, 320);
        t[2] = time_mode<2>(copies, sink, 320);
        t[3] = time_mode<3>(copies, sink, 320);
        t[4] = time_mode<4>(copies, sink, 320);
        for (int m = 0; m < 5; ++m)
            std::printf("round %d mode %d %-32s %7.2f us  %6.0f GB/s\n", round, m, names[m], t[m],
                        bytes / (t[m] * 1e-6) / 1e9);
    }
    // The device copy rate on the same matrices (read + write), for scale.
    void* dst = nullptr;
    CK(cudaMalloc(&dst, bytes));
    const float us = us_per_call(
        [&](int r) { CK(cudaMemcpyAsync(dst, copies[r % kCopies], bytes, cudaMemcpyDeviceToDevice)); }, 32);
    std::printf("copy: %.2f us a matrix read and written, %.0f GB/s\n", us, 2.0 * bytes / (us * 1e-6) / 1e9);
    CK(cudaGetLastError());
    return 0;
}
