#include "model/model_gpu_step_mark.h"

#include <algorithm>
#include <initializer_list>
#include <cstdlib>
#include <cstring>
#include <vector>

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

// MSV_GRAPH_LEAD's layers: shares in percent, a comma between them (at most kMaxLeads); none when unset or "off".
std::vector<int> leads_from_env(int layers, size_t most) {
    std::vector<int> out;
    const char* f = std::getenv("MSV_GRAPH_LEAD");
    if (f == nullptr || f[0] == '\0' || std::strcmp(f, "off") == 0) return out;
    for (const char* p = f; *p != '\0' && out.size() < most;) {
        out.push_back(std::min(layers - 1, layers * std::clamp(std::atoi(p), 0, 100) / 100));
        p = std::strchr(p, ',');
        if (p == nullptr) break;
        ++p;
    }
    return out;
}

}  // namespace

msv_status StepMark::open(int layers) {
    // 75 by default: measured on an H100 (docs/gpu-model.md, "Session 2026-12-05, twenty-second"), the decision then
    // comes with a quarter of the step left, far more than the host needs to begin the next one.
    mark_.layer = layer_from_env("MSV_AHEAD_MARK", layers, 75);
    if (mark_.layer >= 0)
        if (msv_status st = mark_.create("msv_model_create: mark stream and events"); st != MSV_OK) return st;
    const char* span_text = std::getenv("MSV_GRAPH_LEAD_SPAN");
    const int span = span_text ? std::max(0, std::atoi(span_text)) : 0;
    for (const int layer : leads_from_env(layers, kMaxLeads)) {
        Branch& b = lead_[leads_++];
        b.layer = layer;
        b.join_layer = span > 0 && layer + span < layers ? layer + span : -1;
        if (msv_status st = b.create("msv_model_create: lead branch stream and events"); st != MSV_OK) return st;
    }
    return MSV_OK;
}

void StepMark::off() {
    mark_.layer = -1, mark_.forked = false;
    for (int i = 0; i < leads_; ++i) lead_[i].layer = -1, lead_[i].forked = false;
    leads_ = 0;
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
    for (int i = 0; i < leads_; ++i)
        if (layer == lead_[i].join_layer)
            if (cudaError_t e = lead_[i].join(s); e != cudaSuccess) return e;
    for (int i = 0; i < leads_; ++i)
        if (layer == lead_[i].layer)
            if (cudaError_t e = lead_[i].fork_from(s); e != cudaSuccess) return e;
    if (layer == mark_.layer)
        if (cudaError_t e = mark_.fork_from(s); e != cudaSuccess) return e;
    return cudaSuccess;
}

cudaError_t StepMark::join(cudaStream_t s) {
    for (int i = 0; i < leads_; ++i)
        if (cudaError_t e = lead_[i].join(s); e != cudaSuccess) return e;
    return mark_.join(s);
}

cudaError_t StepMark::wait() const { return mark_.record ? cudaEventSynchronize(mark_.record) : cudaSuccess; }

}  // namespace msv::gpu::model
