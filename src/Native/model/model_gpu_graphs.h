// Decode captured as one CUDA / HIP graph per batch bucket (1, 2, 4, 8, 12, 16, 24, ... up to max_decode_batch;
// one per bucket and kind of sampler step, SamplerKernels: steps of greedy targets alone skip the sampler's later
// kernels, Model::greedy_only_steps, and steps of plain greedy targets alone the chunked ones, Model::plain_greedy) and
// replayed: a decode step is ~260 small kernels, whose launch overhead alone would cost more than the step's reading
// of the weights at small batches. Each graph is Model::enqueue_decode(bucket) over the fixed decode layout of the
// step inputs, so a replay reads whatever the step uploaded there.
#pragma once

#include "common/vendor.h"
#include "mambaserve.h"
#include "model/model_gpu_kernels.h"

#include <vector>

namespace msv::gpu::model {

class Model;

class DecodeGraphs {
public:
    DecodeGraphs() = default;
    ~DecodeGraphs();
    DecodeGraphs(const DecodeGraphs&) = delete;
    DecodeGraphs& operator=(const DecodeGraphs&) = delete;

    // Runs every bucket of the model's max_decode_batch once eagerly (the BLAS library's first call of a shape must
    // not be inside a capture), zeros the pools, then captures every bucket.
    msv_status capture(Model& m);
    // The graph of bucket `rows` (a bucket size) and sampler kind, launched on `stream`. kGreedy is captured whenever
    // Model::greedy_only_steps(), kPlain whenever Model::plain_greedy() (the only steps that ask for them).
    msv_status replay(int rows, SamplerKernels kernels, cudaStream_t stream);

private:
    // A capture that fails is retried without the step mark if it is on, else without PDL if that is on (a runtime
    // that cannot record programmatic edges).
    msv_status capture_buckets(Model& m);
    struct Entry {
        int rows = 0;
        SamplerKernels kernels = SamplerKernels::kAll;
        cudaGraphExec_t exec = nullptr;
    };
    std::vector<Entry> graphs_;
};

// The buckets of a max decode batch: 1, 2, 4, ... below it, then it; `between`: past 8 rows also halfway between two
// powers of two (12, 24, 48, ...), so that a step of 20 sequences runs 24 rows, not 32 (Model::buckets_between).
std::vector<int> decode_buckets(int max_decode_batch, bool between);
// The smallest bucket holding `rows`.
int bucket_for(int rows, int max_decode_batch, bool between);

}  // namespace msv::gpu::model
