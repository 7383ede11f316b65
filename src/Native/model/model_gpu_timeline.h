// The host side of the decode step's per-block timeline (gpu/timeline.cuh), a diagnosis tool: with
// MSV_TIMELINE_FILE set, the model keeps a device buffer of MSV_TIMELINE_RECORDS records (default 200,000),
// zeroes its count before every step, so that it holds the last step's records, and writes them as text to that
// file when the model is destroyed; tests/Native/timeline.py reads the file. Only kernels built with
// -DMSV_TIMELINE=1 (a CUDA flag: host files do not see it) record anything; others leave the file empty.
#pragma once

#include "common/vendor.h"

#include <string>

namespace msv::gpu::model {

class StepTimeline {
public:
    StepTimeline() = default;
    ~StepTimeline();
    StepTimeline(const StepTimeline&) = delete;
    StepTimeline& operator=(const StepTimeline&) = delete;

    // From the environment; no buffer when MSV_TIMELINE_FILE is unset or the allocation fails (said on stderr: a
    // diagnosis run should not stop the model).
    void open();
    // Where the kernels write (null: no timeline).
    unsigned long long* records() const { return buf_; }
    // Before a step's kernels, on its stream.
    void reset(cudaStream_t s) const;
    // The last step's records to the file; the model's stream must be idle.
    void write() const;

private:
    unsigned long long* buf_ = nullptr;
    unsigned long long capacity_ = 0;
    std::string path_;
};

}  // namespace msv::gpu::model
