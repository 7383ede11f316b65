#include "model/model_gpu_step_mark.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace msv::gpu::model {

msv_status StepMark::open(int layers) {
    // 75 by default: measured on an H100 (docs/gpu-model.md, "Session 2026-12-05, twenty-second"), the decision then
    // comes with a quarter of the step left, far more than the host needs to begin the next one.
    const char* f = std::getenv("MSV_AHEAD_MARK");
    if (f != nullptr && std::strcmp(f, "off") == 0) return MSV_OK;
    const int percent = f == nullptr || f[0] == '\0' ? 75 : std::clamp(std::atoi(f), 0, 100);
    layer_ = std::min(layers - 1, layers * percent / 100);
    if (cudaError_t e = cudaStreamCreateWithFlags(&side_, cudaStreamNonBlocking); e != cudaSuccess)
        return launch_status(e, "msv_model_create: mark stream");
    for (cudaEvent_t* ev : {&fork_, &mark_, &join_})
        if (cudaError_t e = cudaEventCreateWithFlags(ev, cudaEventDisableTiming); e != cudaSuccess)
            return launch_status(e, "msv_model_create: mark events");
    return MSV_OK;
}

StepMark::~StepMark() {
    for (cudaEvent_t e : {fork_, mark_, join_})
        if (e) (void)cudaEventDestroy(e);
    if (side_) (void)cudaStreamDestroy(side_);
}

cudaError_t StepMark::at_layer(int layer, cudaStream_t s) {
    if (layer != layer_) return cudaSuccess;
    cudaError_t e = cudaEventRecord(fork_, s);
    if (e == cudaSuccess) e = cudaStreamWaitEvent(side_, fork_, 0);
    if (e == cudaSuccess) forked_ = true, e = msv_event_record_external(mark_, side_);
    if (e == cudaSuccess) e = cudaEventRecord(join_, side_);
    return e;
}

cudaError_t StepMark::join(cudaStream_t s) {
    if (!forked_) return cudaSuccess;
    forked_ = false;
    return cudaStreamWaitEvent(s, join_, 0);
}

cudaError_t StepMark::wait() const { return mark_ ? cudaEventSynchronize(mark_) : cudaSuccess; }

}  // namespace msv::gpu::model
