// msv::ref::Model::forward: one chunk of one slot's tokens through every layer, with the reference kernels.
// Activations are token-major fp32 rows in Scratch (resized per call); x / z and dt / B / C are views into the
// in_proj and x_proj output rows, as mambaserve.h's strides allow.
#include "model/model_ref.h"

#include "causal_conv1d/causal_conv1d.h"
#include "common/math.h"
#include "linear/linear.h"
#include "rmsnorm/rmsnorm.h"
#include "selective_scan/selective_scan.h"
#include "selective_state_update/selective_state_update.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace msv::ref {
namespace {

// out[r, :] = x[r, :] W^T (+ bias) for `rows` rows.
void project(const float* x, int64_t x_stride, int rows, const std::vector<float>& w, const std::vector<float>& bias,
             int in, int out_features, float* out) {
    msv_linear_params p{};
    p.rows = rows;
    p.in_features = in;
    p.out_features = out_features;
    p.weight_dtype = MSV_F32;
    p.x = x;
    p.x_row_stride = x_stride;
    p.weight = w.data();
    p.bias = bias.empty() ? nullptr : bias.data();
    p.out = out;
    p.out_row_stride = out_features;
    linear(p);
}

void norm(const float* x, float* residual, float* out, const std::vector<float>& w, int rows, int dim, float eps) {
    msv_rmsnorm_params p{};
    p.rows = rows;
    p.dim = dim;
    p.dtype = MSV_F32;
    p.x = x;
    p.x_row_stride = dim;
    p.residual = residual;
    p.residual_row_stride = dim;
    p.out = out;
    p.out_row_stride = dim;
    p.weight = w.data();
    p.eps = eps;
    rmsnorm_residual(p);
}

// FalconMamba: each of a row's dt, B and C RMS-normalised on its own, with no weight (mambaserve.h, mixer_rms).
void mixer_rms(float* dbc, int rows, int dt_rank, int d_state, float eps) {
    const int width = dt_rank + 2 * d_state;
    const std::pair<int, int> parts[] = {{0, dt_rank}, {dt_rank, d_state}, {dt_rank + d_state, d_state}};
    for (int r = 0; r < rows; ++r)
        for (const auto& [start, count] : parts) {
            float* v = dbc + static_cast<int64_t>(r) * width + start;
            double squares = 0.0;
            for (int i = 0; i < count; ++i) squares += static_cast<double>(v[i]) * v[i];
            const float scale = static_cast<float>(1.0 / std::sqrt(squares / count + eps));
            for (int i = 0; i < count; ++i) v[i] *= scale;
        }
}

}  // namespace

void Model::forward(int slot, const int32_t* tokens, int n, float* logits, bool all_positions) {
    const msv_model_config& c = config_;
    const int xproj = c.dt_rank + 2 * c.d_state;
    s_.residual.resize(static_cast<size_t>(n) * c.d_model);
    s_.normed.resize(s_.residual.size());
    s_.mixer_out.resize(s_.residual.size());
    s_.xz.resize(static_cast<size_t>(n) * 2 * c.d_inner);
    s_.conv_out.resize(static_cast<size_t>(n) * c.d_inner);
    s_.dt.resize(s_.conv_out.size());
    s_.y.resize(s_.conv_out.size());
    s_.dbc.resize(static_cast<size_t>(n) * xproj);

    embed(tokens, n);
    for (int l = 0; l < c.n_layer; ++l) {
        norm(l == 0 ? nullptr : s_.mixer_out.data(), s_.residual.data(), s_.normed.data(), layers_[l].norm, n,
             c.d_model, c.norm_eps);
        mixer(l, slot, n);
    }
    if (logits == nullptr) return;
    norm(s_.mixer_out.data(), s_.residual.data(), s_.normed.data(), norm_f_, n, c.d_model, c.norm_eps);
    lm_head(all_positions ? 0 : n - 1, all_positions ? n : 1, logits);
}

void Model::embed(const int32_t* tokens, int n) {
    const int dm = config_.d_model;
    for (int t = 0; t < n; ++t)
        std::copy_n(embedding_.begin() + static_cast<int64_t>(tokens[t]) * dm, dm, s_.residual.begin() + t * dm);
}

void Model::mixer(int layer, int slot, int n) {
    const msv_model_config& c = config_;
    const Layer& w = layers_[layer];
    const int xproj = c.dt_rank + 2 * c.d_state;
    project(s_.normed.data(), c.d_model, n, w.in_proj, w.in_proj_bias, c.d_model, 2 * c.d_inner, s_.xz.data());
    conv(w, layer, slot, n);
    project(s_.conv_out.data(), c.d_inner, n, w.x_proj, {}, c.d_inner, xproj, s_.dbc.data());
    if (c.mixer_rms) mixer_rms(s_.dbc.data(), n, c.dt_rank, c.d_state, c.mixer_rms_eps);
    project(s_.dbc.data(), xproj, n, w.dt_proj, {}, c.dt_rank, c.d_inner, s_.dt.data());
    ssm(w, layer, slot, n);
    project(s_.y.data(), c.d_inner, n, w.out_proj, w.out_proj_bias, c.d_inner, c.d_model, s_.mixer_out.data());
}

void Model::conv(const Layer& w, int layer, int slot, int n) {
    const msv_model_config& c = config_;
    msv_conv1d_params p{};
    p.batch = 1;
    p.dim = c.d_inner;
    p.seqlen = n;
    p.width = c.d_conv;
    p.dtype = MSV_F32;
    p.x = s_.xz.data();
    p.x_row_stride = 2 * c.d_inner;
    p.out = s_.conv_out.data();
    p.out_row_stride = c.d_inner;
    p.weight = w.conv_weight.data();
    p.bias = w.conv_bias.empty() ? nullptr : w.conv_bias.data();
    p.silu = 1;
    p.conv_state = conv_state_.data() + static_cast<int64_t>(layer) * c.d_inner * (c.d_conv - 1);
    p.state_slot_stride = conv_per_slot_;
    p.slot_idx = &slot;
    if (n == 1)
        causal_conv1d_update(p);
    else
        causal_conv1d_fwd(p);
}

void Model::ssm(const Layer& w, int layer, int slot, int n) {
    const msv_model_config& c = config_;
    const int xproj = c.dt_rank + 2 * c.d_state;
    const int64_t offset = static_cast<int64_t>(layer) * c.d_inner * c.d_state;  // of this layer in a slot
    const bool bf16 = c.state_dtype == MSV_BF16;
    if (n == 1) {
        msv_state_update_params p{};
        p.batch = 1;
        p.dim = c.d_inner;
        p.dstate = c.d_state;
        p.dtype = MSV_F32;
        p.state_dtype = c.state_dtype;
        p.x = s_.conv_out.data();
        p.delta = s_.dt.data();
        p.B = s_.dbc.data() + c.dt_rank;
        p.C = s_.dbc.data() + c.dt_rank + c.d_state;
        p.z = s_.xz.data() + c.d_inner;
        p.out = s_.y.data();
        p.A = w.A.data();
        p.D = w.D.data();
        p.dt_bias = w.dt_proj_bias.data();
        p.delta_softplus = 1;
        p.state = bf16 ? static_cast<void*>(ssm_bf16_.data() + offset) : static_cast<void*>(ssm_f32_.data() + offset);
        p.state_slot_stride = ssm_per_slot_;
        p.slot_idx = &slot;
        selective_state_update(p);
        return;
    }
    msv_scan_params p{};
    p.batch = 1;
    p.dim = c.d_inner;
    p.dstate = c.d_state;
    p.seqlen = n;
    p.dtype = MSV_F32;
    p.u = s_.conv_out.data();
    p.u_row_stride = c.d_inner;
    p.delta = s_.dt.data();
    p.delta_row_stride = c.d_inner;
    p.B = s_.dbc.data() + c.dt_rank;
    p.B_row_stride = xproj;
    p.C = s_.dbc.data() + c.dt_rank + c.d_state;
    p.C_row_stride = xproj;
    p.z = s_.xz.data() + c.d_inner;
    p.z_row_stride = 2 * c.d_inner;
    p.out = s_.y.data();
    p.out_row_stride = c.d_inner;
    p.A = w.A.data();
    p.D = w.D.data();
    p.dt_bias = w.dt_proj_bias.data();
    p.delta_softplus = 1;
    p.slot_idx = &slot;
    if (bf16) {
        ssm_chunk_bf16(p, static_cast<int64_t>(slot) * ssm_per_slot_ + offset);
        return;
    }
    p.state = ssm_f32_.data() + offset;
    p.state_slot_stride = ssm_per_slot_;
    selective_scan_fwd(p);
}

// The scan keeps an fp32 state: widen this slot's layer state, scan, round back once.
void Model::ssm_chunk_bf16(const msv_scan_params& base, int64_t offset) {
    const int64_t count = static_cast<int64_t>(config_.d_inner) * config_.d_state;
    s_.staged_state.resize(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) s_.staged_state[i] = bf16_to_float(ssm_bf16_[offset + i]);
    msv_scan_params p = base;
    const int32_t slot0 = 0;
    p.state = s_.staged_state.data();
    p.state_slot_stride = 0;
    p.slot_idx = &slot0;
    selective_scan_fwd(p);
    for (int64_t i = 0; i < count; ++i) ssm_bf16_[offset + i] = float_to_bf16(s_.staged_state[i]);
}

void Model::lm_head(int first_row, int rows, float* logits) {
    const msv_model_config& c = config_;
    const std::vector<float>& head = c.tie_embeddings ? embedding_ : lm_head_;
    project(s_.normed.data() + static_cast<int64_t>(first_row) * c.d_model, c.d_model, rows, head, {}, c.d_model,
            c.vocab, logits);
}

}  // namespace msv::ref
