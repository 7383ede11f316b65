// Device time between steps (MSV_STEP_GAPS=1; diagnosis, off by default): an event at the start of each step and one
// before its final sync. The first minus the previous step's second is how long the device sat idle while the host
// read the last step's results and made the next one (the engine's scheduling and bookkeeping included when the
// server drives the model); the second minus the first is the step on the device, its copies included. Every
// kReport steps the percentiles go to stderr.
#pragma once

#include "gpu/check.h"

#include <vector>

namespace msv::gpu::model {

class StepGaps {
public:
    void open();
    void begin(cudaStream_t s);
    void end(cudaStream_t s);
    // After the final sync of a step that succeeded; a failed step passes ok = false (no gap to the next one).
    void after_sync(bool ok);
    // A step not measured (msv_model_step_begin): the next measured one has no gap before it.
    void skip() { have_prev_ = false; }
    ~StepGaps();

private:
    static constexpr size_t kReport = 500;
    bool on_ = false, have_prev_ = false, begun_ = false, ended_ = false;
    cudaEvent_t begin_ = nullptr, end_[2] = {nullptr, nullptr};
    int cur_ = 0;
    std::vector<float> idle_us_, span_us_;
};

}  // namespace msv::gpu::model
