#include "model/model_gpu_step_mark.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

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

msv_status StepMark::open(int layers) {
    // 75 by default: measured on an H100 (docs/gpu-model.md, "Session 2026-12-05, twenty-second"), the decision then
    // comes with a quarter of the step left, far more than the host needs to begin the next one.
    mark_.layer = layer_from_env("MSV_AHEAD_MARK", layers, 75);
    // 0 by default: before the first layer, the earliest fork, which took the most off (step_mark.h says why).
    lead_.layer = layer_from_env("MSV_GRAPH_LEAD", layers, 0);
    if (mark_.layer >= 0)
        if (msv_status st = mark_.create("msv_model_create: mark stream and events"); st != MSV_OK) return st;
    if (lead_.layer >= 0)
        if (msv_status st = lead_.create("msv_model_create: lead branch stream and events"); st != MSV_OK) return st;
    return MSV_OK;
}

msv_status StepMark::Branch::create(const char* what) {
    if (cudaError_t e = cudaStreamCreateWithFlags(&side, cudaStreamNonBlocking); e != cudaSuccess)
        return launch_status(e, what);
    for (cudaEvent_t* ev : {&fork, &record, &joined})
        if (cudaError_t e = cudaEventCreateWithFlags(ev, cudaEventDisableTiming); e != cudaSuccess)
            return launch_status(e, what);
    return MSV_OK;
}

StepMark::Branch::~Branch() {
    for (cudaEvent_t e : {fork, record, joined})
        if (e) (void)cudaEventDestroy(e);
    if (side) (void)cudaStreamDestroy(side);
}

cudaError_t StepMark::Branch::fork_from(cudaStream_t s) {
    cudaError_t e = cudaEventRecord(fork, s);
    if (e == cudaSuccess) e = cudaStreamWaitEvent(side, fork, 0);
    // From here the side stream is part of the step (of the capture, for a graph): it must be joined.
    if (e == cudaSuccess) forked = true, e = msv_event_record_external(record, side);
    if (e == cudaSuccess) e = cudaEventRecord(joined, side);
    return e;
}

cudaError_t StepMark::Branch::join(cudaStream_t s) {
    if (!forked) return cudaSuccess;
    forked = false;
    return cudaStreamWaitEvent(s, joined, 0);
}

cudaError_t StepMark::at_layer(int layer, cudaStream_t s) {
    for (Branch* b : {&lead_, &mark_})
        if (layer == b->layer)
            if (cudaError_t e = b->fork_from(s); e != cudaSuccess) return e;
    return cudaSuccess;
}

cudaError_t StepMark::join(cudaStream_t s) {
    for (Branch* b : {&lead_, &mark_})
        if (cudaError_t e = b->join(s); e != cudaSuccess) return e;
    return cudaSuccess;
}

cudaError_t StepMark::wait() const { return mark_.record ? cudaEventSynchronize(mark_.record) : cudaSuccess; }

}  // namespace msv::gpu::model
