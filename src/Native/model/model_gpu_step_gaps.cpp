#include "model/model_gpu_step_gaps.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace msv::gpu::model {
namespace {

float percentile(std::vector<float> v, double q) {
    if (v.empty()) return 0.0f;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

}  // namespace

void StepGaps::open() {
    const char* f = std::getenv("MSV_STEP_GAPS");
    if (!f || f[0] != '1') return;
    on_ = cudaEventCreate(&begin_) == cudaSuccess && cudaEventCreate(&end_[0]) == cudaSuccess &&
          cudaEventCreate(&end_[1]) == cudaSuccess;
    if (!on_) (void)cudaGetLastError();
}

void StepGaps::begin(cudaStream_t s) {
    begun_ = on_ && cudaEventRecord(begin_, s) == cudaSuccess;
    ended_ = false;
}

void StepGaps::end(cudaStream_t s) { ended_ = begun_ && cudaEventRecord(end_[cur_], s) == cudaSuccess; }

void StepGaps::after_sync(bool ok) {
    if (!on_) return;
    if (!ok || !ended_) {
        have_prev_ = false;
        return;
    }
    float span = 0.0f, idle = 0.0f;
    if (cudaEventElapsedTime(&span, begin_, end_[cur_]) == cudaSuccess) span_us_.push_back(span * 1e3f);
    if (have_prev_ && cudaEventElapsedTime(&idle, end_[cur_ ^ 1], begin_) == cudaSuccess) idle_us_.push_back(idle * 1e3f);
    cur_ ^= 1;
    have_prev_ = true;
    if (span_us_.size() < kReport) return;
    std::fprintf(stderr,
                 "msv step gaps, last %zu steps: on the device p50 %.1f / p90 %.1f us; idle before a step p50 %.1f / "
                 "p90 %.1f / p99 %.1f us\n",
                 span_us_.size(), percentile(span_us_, 0.5), percentile(span_us_, 0.9), percentile(idle_us_, 0.5),
                 percentile(idle_us_, 0.9), percentile(idle_us_, 0.99));
    span_us_.clear(), idle_us_.clear();
}

StepGaps::~StepGaps() {
    for (cudaEvent_t e : {begin_, end_[0], end_[1]})
        if (e) (void)cudaEventDestroy(e);
}

}  // namespace msv::gpu::model
