#include "model/model_gpu_step_mark.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace msv::gpu::model {

namespace {

// A share of the layers, in percent, as a layer index; -1 for "off" (and for unset when there is no default).
int layer_from_env(const char* name, int layers, int default_percent) {
    const char* f = std::getenv(name);
    if (f != nullptr && std::strcmp(f, "off") == 0) return -1;
    const bool unset = f == nullptr || f[0] == '\0';
    if (unset && default_percent < 0) return -1;
    const int percent = unset ? default_percent : std::clamp(std::atoi(f), 0, 100);
    return std::min(layers - 1, layers * percent / 100);
}

}  // namespace

msv_status StepMark::create(cudaStream_t* side, std::initializer_list<cudaEvent_t*> events, const char* what) {
    if (cudaError_t e = cudaStreamCreateWithFlags(side, cudaStreamNonBlocking); e != cudaSuccess)
        return launch_status(e, what);
    for (cudaEvent_t* ev : events)
        if (cudaError_t e = cudaEventCreateWithFlags(ev, cudaEventDisableTiming); e != cudaSuccess)
            return launch_status(e, what);
    return MSV_OK;
}

msv_status StepMark::open(int layers) {
    // 75 by default: measured on an H100 (docs/gpu-model.md, "Session 2026-12-05, twenty-second"), the decision then
    // comes with a quarter of the step left, far more than the host needs to begin the next one.
    layer_ = layer_from_env("MSV_AHEAD_MARK", layers, 75);
    lead_ = layer_from_env("MSV_GRAPH_LEAD", layers, -1);
    if (layer_ >= 0)
        if (msv_status st = create(&side_, {&fork_, &mark_, &join_}, "msv_model_create: mark stream and events");
            st != MSV_OK)
            return st;
    if (lead_ >= 0) {
        if (!fork_)
            if (cudaError_t e = cudaEventCreateWithFlags(&fork_, cudaEventDisableTiming); e != cudaSuccess)
                return launch_status(e, "msv_model_create: lead branch events");
        if (msv_status st = create(&lead_side_, {&lead_mark_, &lead_join_}, "msv_model_create: lead branch");
            st != MSV_OK)
            return st;
    }
    return MSV_OK;
}

StepMark::~StepMark() {
    for (cudaEvent_t e : {fork_, mark_, join_, lead_mark_, lead_join_})
        if (e) (void)cudaEventDestroy(e);
    for (cudaStream_t s : {side_, lead_side_})
        if (s) (void)cudaStreamDestroy(s);
}

// A side branch from the stream's current point: one event record (an external one inside a capture, so that it is a
// node of the graph), then the event the stream joins at the end.
cudaError_t StepMark::fork(cudaEvent_t at, cudaStream_t s, cudaStream_t side, cudaEvent_t record, cudaEvent_t join) {
    cudaError_t e = cudaEventRecord(at, s);
    if (e == cudaSuccess) e = cudaStreamWaitEvent(side, at, 0);
    if (e == cudaSuccess) e = msv_event_record_external(record, side);
    if (e == cudaSuccess) e = cudaEventRecord(join, side);
    return e;
}

cudaError_t StepMark::at_layer(int layer, cudaStream_t s) {
    if (layer == lead_) {
        lead_forked_ = true;
        if (cudaError_t e = fork(fork_, s, lead_side_, lead_mark_, lead_join_); e != cudaSuccess) return e;
    }
    if (layer != layer_) return cudaSuccess;
    forked_ = true;
    return fork(fork_, s, side_, mark_, join_);
}

cudaError_t StepMark::join(cudaStream_t s) {
    cudaError_t e = cudaSuccess;
    if (lead_forked_) lead_forked_ = false, e = cudaStreamWaitEvent(s, lead_join_, 0);
    if (forked_ && e == cudaSuccess) forked_ = false, e = cudaStreamWaitEvent(s, join_, 0);
    return e;
}

cudaError_t StepMark::wait() const { return mark_ ? cudaEventSynchronize(mark_) : cudaSuccess; }

}  // namespace msv::gpu::model
