// msv::ref::Model: the fp32 reference Mamba model, built from the reference kernels (rmsnorm_ref, linear_ref,
// causal_conv1d_ref, selective_scan_ref, selective_state_update_ref). It is the CPU library's msv_model and the
// oracle of the GPU model tests, so its interface is small and plain: host pointers, fp32 weights whatever
// config.weight_dtype says, a pool of state slots, and one forward over a chunk of one slot's tokens.
//
// Per token (docs/ARCHITECTURE.md "The model"): embedding; per layer residual += mixer output (fp32), RMSNorm,
// in_proj (+bias), causal conv (+bias, silu) from the slot's conv state, x_proj, dt_proj, then the selective scan
// over the chunk (n > 1) or the state update (n == 1) with dt_bias, softplus, D and the silu(z) gate, out_proj
// (+bias); final residual add and RMSNorm; LM head (the embedding when tied) over every padded vocab row.
//
// State: conv [slots, n_layer, d_inner, d_conv - 1] fp32; SSM [slots, n_layer, d_inner, d_state] fp32 or bf16
// (config.state_dtype). A bf16 state is rounded as the reference kernels do: in place after every token by the
// state update, and once at the end of a chunk by the scan (the chunk runs on an fp32 copy).
//
// Not thread-safe: one caller at a time (the kernels parallelise inside with OpenMP).
#pragma once

#include "mambaserve.h"

#include <cstdint>
#include <string>
#include <vector>

namespace msv::ref {

class Model {
public:
    // `config` must be valid (model_validate.h's validate_config); weight_dtype is ignored (weights are fp32).
    explicit Model(const msv_model_config& config);

    const msv_model_config& config() const { return config_; }

    // Copies tensor t (layer ignored for model-level tensors) from `values`, tensor_count(config, t) elements of
    // dtype `src`, converting to fp32; MSV_T_A_LOG is stored as A = -exp(A_log).
    void set_tensor(msv_tensor t, int layer, const void* values, msv_dtype src);
    // "" when every tensor the config has was set; else the first missing one, e.g. "MSV_T_X_PROJ of layer 1".
    std::string missing_tensor() const;
    int64_t weight_bytes() const;

    // Allocates `slots` zeroed slots (once; throws std::bad_alloc when memory runs out).
    void allocate_pool(int slots);
    int slots() const { return slots_; }

    // Runs tokens[0, n) (n >= 1, ids < vocab) from the slot's state and leaves the state after the last token.
    // logits: NULL (no LM head), [vocab] for the last position, or [n, vocab] for every position (all_positions).
    void forward(int slot, const int32_t* tokens, int n, float* logits, bool all_positions);

    void copy_slot(int src, int dst);
    void zero_slot(int slot);
    // One slot's state as snapshot_format.h's payload (conv fp32, then SSM in the state dtype):
    // state_payload_bytes(config) bytes.
    void read_state(int slot, void* payload) const;
    void write_state(int slot, const void* payload);

private:
    struct Layer {
        std::vector<float> norm, in_proj, in_proj_bias, conv_weight, conv_bias, x_proj, dt_proj, dt_proj_bias, A, D,
            out_proj, out_proj_bias;
    };
    struct Scratch {
        std::vector<float> residual, normed, xz, conv_out, dbc, dt, y, mixer_out, staged_state;
    };

    std::vector<float>& storage(msv_tensor t, int layer);
    void embed(const int32_t* tokens, int n);
    void mixer(int layer, int slot, int n);
    void conv(const Layer& w, int layer, int slot, int n);
    void ssm(const Layer& w, int layer, int slot, int n);
    void ssm_chunk_bf16(const msv_scan_params& base, int64_t offset);
    void lm_head(int first_row, int rows, float* logits);

    msv_model_config config_;
    std::vector<float> embedding_, norm_f_, lm_head_;
    std::vector<Layer> layers_;
    std::vector<std::vector<bool>> assigned_;  // [n_layer + 1][tensor id]: row n_layer holds the model-level ones
    int slots_ = 0;
    int64_t conv_per_slot_ = 0, ssm_per_slot_ = 0;
    std::vector<float> conv_state_;
    std::vector<float> ssm_f32_;
    std::vector<uint16_t> ssm_bf16_;
    Scratch s_;
};

}  // namespace msv::ref
