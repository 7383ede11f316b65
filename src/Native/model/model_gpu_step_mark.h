// A mark late in a step's forward that the host can wait for (msv_model_step_wait_mark): an engine that runs ahead
// decides on the next step while this one runs, and the later it decides, the fewer new requests wait a step more
// (docs/gpu-model.md "Steps the host does not wait for: the native side"). The mark is an event recorded on a side
// branch forked from the stream before layer `layer()`; the branch joins the stream again at the end of the step, so
// the main chain of kernels (and its programmatic dependent launches) is the same with or without it. Inside a
// decode graph's capture the record is an event record node, which each replay records (msv_event_record_external:
// CUDA's external record, on HIP the node added to the captured graph by hand).
// On by default at 75% of the layers (MSV_AHEAD_MARK=off turns it off; measured on an H100 in session
// "twenty-second"); a decode graph capture that fails with it on is retried without it (model_gpu_graphs.cpp).
// MSV_GRAPH_LEAD (an experiment, off unless set): a second side branch, one event record forked before the given share
// of the layers and joined at the end, beside the mark. Why: on an H100 a branch in the graph, though it holds no
// kernel, shortens 64-256-row steps, the more the earlier it forks; before layer 0 this one took 0.4-0.7% off them
// against the mark alone, on three H100s, and nothing at one row (docs/gpu-model.md, "Session 2026-12-06,
// twenty-fifth"). Off until an H200, the card of the targets, is measured.
#pragma once

#include "gpu/check.h"

#include <initializer_list>

namespace msv::gpu::model {

class StepMark {
public:
    // MSV_AHEAD_MARK: the share of the layers, in percent, run before the mark (0: before the first; unset: 75);
    // "off": no mark.
    msv_status open(int layers);
    // Either branch (the mark's or the lead's) is in a step's work.
    bool on() const { return layer_ >= 0 || lead_ >= 0; }
    // No mark from here on (a graph capture with it failed). A branch forked by the failed capture is forgotten: the
    // retried capture must not wait on its join event, recorded (if at all) in the capture that failed.
    void off() { layer_ = -1, lead_ = -1, forked_ = false, lead_forked_ = false; }
    ~StepMark();
    // Called before each layer's kernels: forks the branch and records the mark before the mark's layer (and the lead
    // branch before its layer).
    cudaError_t at_layer(int layer, cudaStream_t s);
    // The end of a step's device work (inside the capture, for a graph): joins the branches that were forked.
    cudaError_t join(cudaStream_t s);
    // Blocks until the mark recorded last has passed (or returns at once when none was).
    cudaError_t wait() const;

private:
    static cudaError_t fork(cudaEvent_t at, cudaStream_t s, cudaStream_t side, cudaEvent_t record, cudaEvent_t join);
    static msv_status create(cudaStream_t* side, std::initializer_list<cudaEvent_t*> events, const char* what);

    int layer_ = -1, lead_ = -1;
    bool forked_ = false, lead_forked_ = false;
    cudaStream_t side_ = nullptr, lead_side_ = nullptr;
    cudaEvent_t fork_ = nullptr, mark_ = nullptr, join_ = nullptr;
    cudaEvent_t lead_mark_ = nullptr, lead_join_ = nullptr;
};

}  // namespace msv::gpu::model
