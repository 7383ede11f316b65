#include "model/model_gpu_timeline.h"

#include "gpu/timeline.cuh"
#include "model/model_gpu.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace msv::gpu::model {

void StepTimeline::open() {
    const char* path = std::getenv("MSV_TIMELINE_FILE");
    if (!path || !*path) return;
    capacity_ = 200000;
    if (const char* n = std::getenv("MSV_TIMELINE_RECORDS")) capacity_ = std::strtoull(n, nullptr, 10);
    const size_t bytes = (2 + capacity_ * kTimelineWords) * sizeof(unsigned long long);
    const std::lock_guard<std::recursive_mutex> hold(device_memory_lock());
    if (cudaMalloc(reinterpret_cast<void**>(&buf_), bytes) != cudaSuccess) {
        (void)cudaGetLastError();
        std::fprintf(stderr, "mambaserve: no timeline: %zu bytes not allocated\n", bytes);
        buf_ = nullptr;
        return;
    }
    const unsigned long long head[2] = {0, capacity_};
    (void)cudaMemcpy(buf_, head, sizeof(head), cudaMemcpyHostToDevice);
    path_ = path;
}

void StepTimeline::reset(cudaStream_t s) const {
    if (buf_) (void)cudaMemsetAsync(buf_, 0, sizeof(unsigned long long), s);
}

void StepTimeline::write() const {
    if (!buf_) return;
    unsigned long long head[2] = {0, 0};
    if (cudaMemcpy(head, buf_, sizeof(head), cudaMemcpyDeviceToHost) != cudaSuccess) return;
    const unsigned long long n = head[0] < capacity_ ? head[0] : capacity_;
    std::vector<unsigned long long> r(n * kTimelineWords);
    if (n > 0 && cudaMemcpy(r.data(), buf_ + 2, r.size() * sizeof(unsigned long long), cudaMemcpyDeviceToHost) != cudaSuccess)
        return;
    FILE* f = std::fopen(path_.c_str(), "w");
    if (!f) return;
    std::fprintf(f, "# records %llu of %llu taken; tag sm blocks block gt0 c0 c1 c2 gt2 ca cb\n", n, head[0]);
    for (unsigned long long i = 0; i < n; ++i) {
        const unsigned long long* q = r.data() + i * kTimelineWords;
        std::fprintf(f, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu\n", q[0] >> kTimelineTagShift,
                     (q[0] >> kTimelineSmShift) & kTimelineSmMask, (q[0] >> kTimelineBlocksShift) & kTimelineBlockMask,
                     q[0] & kTimelineBlockMask, q[1], q[2], q[3], q[4], q[5], q[6], q[7]);
    }
    std::fclose(f);
}

StepTimeline::~StepTimeline() {
    if (buf_) (void)cudaFree(buf_);
}

}  // namespace msv::gpu::model
