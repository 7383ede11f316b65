// A mark late in a step's forward that the host can wait for (msv_model_step_wait_mark): an engine that runs ahead
// decides on the next step while this one runs, and the later it decides, the fewer new requests wait a step more
// (docs/gpu-model.md "Steps the host does not wait for: the native side"). The mark is an event recorded on a side
// branch forked from the stream before layer `layer()`; the branch joins the stream again at the end of the step, so
// the main chain of kernels (and its programmatic dependent launches) is the same with or without it. Inside a
// decode graph's capture the record is an event record node, which each replay records (msv_event_record_external:
// CUDA's external record, on HIP the node added to the captured graph by hand).
// On by default at 75% of the layers (MSV_AHEAD_MARK=off turns it off; measured on an H100 in session
// "twenty-second"); a decode graph capture that fails with it on is retried without it (model_gpu_graphs.cpp).
// The lead branch (on by default before layer 0; MSV_GRAPH_LEAD=p moves it to p% of the layers, "off" removes it): a
// second side branch, one event record forked before the first layer and joined at the end, beside the mark. Why: on
// H100s a branch in the graph, though it holds no kernel, shortens 64-256-row steps, the more the earlier it forks and
// only while it stays open: before layer 0 and joined at the end this one took 0.4-0.5% off 64-row steps, 1.2-1.7%
// off 128-row and 0.6-0.7% off 256-row steps against the mark alone, on four H100s, and nothing at 1-8 rows; joined
// one layer after its fork it took nothing, and three or four such branches took no more than one (commit 46972a0
// had those knobs; docs/gpu-model.md, sections "Session 2026-12-06, twenty-fifth", "twenty-sixth" and
// "twenty-eighth"). Why an open branch shortens the chain is not known. On by default since session "twenty-eighth"
// on that evidence; no H200, the card of the targets, has measured it.
#pragma once

#include "gpu/check.h"

namespace msv::gpu::model {

class StepMark {
public:
    // MSV_AHEAD_MARK: the share of the layers, in percent, run before the mark (0: before the first; unset: 75);
    // "off": no mark. MSV_GRAPH_LEAD likewise for the lead branch (unset: 0, before the first layer).
    msv_status open(int layers);
    // Either branch (the mark's or the lead's) is in a step's work.
    bool on() const { return mark_.layer >= 0 || lead_.layer >= 0; }
    // No branch from here on (a graph capture with them failed). A branch forked by the failed capture is forgotten:
    // the retried capture must not wait on its join event, recorded (if at all) in the capture that failed.
    void off() { mark_.layer = lead_.layer = -1, mark_.forked = lead_.forked = false; }
    // Called before each layer's kernels: forks each branch before its layer.
    cudaError_t at_layer(int layer, cudaStream_t s);
    // The end of a step's device work (inside the capture, for a graph): joins the branches that were forked.
    cudaError_t join(cudaStream_t s);
    // Blocks until the mark recorded last has passed (or returns at once when none was).
    cudaError_t wait() const;

private:
    // A side branch: forked from the stream before `layer`, it records `record` (an external record inside a capture,
    // so that it is a node of the graph) and then `joined`, which the stream waits for at the end of the step.
    struct Branch {
        int layer = -1;
        bool forked = false;
        cudaStream_t side = nullptr;
        cudaEvent_t fork = nullptr, record = nullptr, joined = nullptr;

        msv_status create(const char* what);
        cudaError_t fork_from(cudaStream_t s);
        cudaError_t join(cudaStream_t s);
        Branch() = default;
        Branch(const Branch&) = delete;  // it owns its stream and events, destroyed once
        Branch& operator=(const Branch&) = delete;
        ~Branch();
    };

    Branch mark_, lead_;  // the mark's record is what wait() waits for; the lead's is waited for by nobody
};

}  // namespace msv::gpu::model
