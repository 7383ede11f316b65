// Helpers for the GPU model tests: random weights for a config, the GPU model through the C API (msv_model_*), the
// fp32 reference (msv::ref::Model + Sampler + run_step) fed the same weights, and a step description that runs on
// both. Weights are drawn in fp32 and, for a bf16 / fp16 model, rounded to that dtype before either side sees them,
// so the two differ only in how the forward computes.
#pragma once

#include "mambaserve.h"
#include "model/model_ref.h"
#include "model/sampler_ref.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace msv::test {

struct Shape {
    int d_model, n_layer, d_inner, d_state, d_conv, dt_rank, vocab, sampleable;
    bool conv_bias, proj_bias, tied;
    std::string name;
};

// A small shape and an odd one (sizes that are not multiples of 8, d_conv 3, biases, untied head).
Shape small_shape();
Shape odd_shape();
// Wide enough that every warp of the tensor-core GEMM (model_gpu_mma.cu: 8 warps share K by steps of 32) sums
// several steps of out_proj and x_proj, and in_proj spans many blocks.
Shape wide_shape();

msv_model_config make_config(const Shape& s, msv_dtype weights, msv_dtype state, int max_step_tokens = 256,
                             int max_decode_batch = 16, int use_graphs = 1);

using Weights = std::map<std::pair<int, int>, std::vector<float>>;  // (tensor, layer) -> values
Weights random_weights(const msv_model_config& c, std::mt19937& rng);

// The GPU model (the library under test), weights uploaded, pool allocated.
class GpuModel {
public:
    GpuModel(const msv_model_config& c, const Weights& w, int slots);
    ~GpuModel();
    GpuModel(const GpuModel&) = delete;
    GpuModel& operator=(const GpuModel&) = delete;
    msv_model* get() { return m_; }

private:
    msv_model* m_ = nullptr;
};

// A GPU model made while the environment variable `name` is `value` (a knob the model reads once, at create).
std::unique_ptr<GpuModel> gpu_model_with(const char* name, const char* value, const msv_model_config& c,
                                         const Weights& w, int slots);

// The reference model and sampler with the same weights and pool.
struct RefModel {
    RefModel(const msv_model_config& c, const Weights& w, int slots);
    msv::ref::Model model;
    msv::ref::Sampler sampler;
};

// One step's description and its outputs.
struct Target {
    int slot;
    int reset = 1;
    int position = 0;
    msv_sampling sampling{};
};
struct Entry {
    int slot;
    std::vector<int32_t> tokens;
    bool all_logits = true;
    std::vector<Target> targets;
};
struct StepResult {
    std::vector<float> logits;  // all_logits rows, entry order
    std::vector<int32_t> tokens, top_ids;
    std::vector<float> logprobs, top_logprobs;
};

msv_sampling greedy();
StepResult run_gpu(msv_model* m, const msv_model_config& c, std::vector<Entry> entries);
StepResult run_ref(RefModel& r, const msv_model_config& c, std::vector<Entry> entries);

// Logits rows agree: fp32 weights within `abs_tol` absolute; otherwise relative L2 per row within `rel_tol`.
::testing::AssertionResult logits_close(const std::vector<float>& got, const std::vector<float>& want, int vocab,
                                        msv_dtype weights, double abs_tol = 2e-3, double rel_tol = 3e-2);

std::vector<int32_t> random_tokens(std::mt19937& rng, int n, int vocab);

// Prompts slots [0, n) one at a time, then runs `batches` steps of one token per slot (all in one step, or each
// alone), sampling with a per-slot seed; returns every step's logits and tokens concatenated.
StepResult run_script(msv_model* m, const msv_model_config& c, int n, const std::vector<int>& batches, unsigned seed,
                      bool alone);

// Decodes `batches` steps over slots [0, n) of a bf16-weight, fp32-state model of `shape` twice, each step's rows in
// one step and each row alone, and expects bit-identical logits and the same tokens (the MSV_* knobs in force pick
// the path under test).
void expect_batched_equals_alone(const Shape& shape, int n, const std::vector<int>& batches);

}  // namespace msv::test
