// msv::ref::Model: weights, the state pool and slot operations. The forward pass is in model_forward_ref.cpp.
#include "model/model_ref.h"

#include "common/math.h"
#include "model/model_tensors.h"
#include "model/snapshot_format.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace msv::ref {
namespace {

constexpr int kTensorIds = MSV_T_OUT_PROJ_BIAS + 1;

void convert(const void* src, msv_dtype dtype, int64_t count, float* dst) {
    switch (dtype) {
        case MSV_F32: std::memcpy(dst, src, static_cast<size_t>(count) * sizeof(float)); return;
        case MSV_BF16:
            for (int64_t i = 0; i < count; ++i) dst[i] = bf16_to_float(static_cast<const uint16_t*>(src)[i]);
            return;
        case MSV_F16:
            for (int64_t i = 0; i < count; ++i) dst[i] = f16_to_float(static_cast<const uint16_t*>(src)[i]);
            return;
    }
}

}  // namespace

Model::Model(const msv_model_config& config)
    : config_(config), layers_(config.n_layer), assigned_(config.n_layer + 1, std::vector<bool>(kTensorIds)) {
    conv_per_slot_ = model::conv_state_elements(config);
    ssm_per_slot_ = model::ssm_state_elements(config);
}

std::vector<float>& Model::storage(msv_tensor t, int layer) {
    Layer& w = layers_[model::is_layer_tensor(t) ? layer : 0];
    switch (t) {
        case MSV_T_EMBEDDING: return embedding_;
        case MSV_T_NORM_F: return norm_f_;
        case MSV_T_LM_HEAD: return lm_head_;
        case MSV_T_NORM: return w.norm;
        case MSV_T_IN_PROJ: return w.in_proj;
        case MSV_T_IN_PROJ_BIAS: return w.in_proj_bias;
        case MSV_T_CONV_WEIGHT: return w.conv_weight;
        case MSV_T_CONV_BIAS: return w.conv_bias;
        case MSV_T_X_PROJ: return w.x_proj;
        case MSV_T_DT_PROJ: return w.dt_proj;
        case MSV_T_DT_PROJ_BIAS: return w.dt_proj_bias;
        case MSV_T_A_LOG: return w.A;
        case MSV_T_D: return w.D;
        case MSV_T_OUT_PROJ: return w.out_proj;
        case MSV_T_OUT_PROJ_BIAS: return w.out_proj_bias;
    }
    return w.norm;  // unreachable for a validated id
}

void Model::set_tensor(msv_tensor t, int layer, const void* values, msv_dtype src) {
    std::vector<float>& dst = storage(t, layer);
    const int64_t count = model::tensor_count(config_, t);
    dst.resize(static_cast<size_t>(count));
    convert(values, src, count, dst.data());
    if (t == MSV_T_A_LOG) {
        for (float& a : dst) a = -std::exp(a);
    }
    assigned_[model::is_layer_tensor(t) ? layer : config_.n_layer][t] = true;
}

std::string Model::missing_tensor() const {
    for (msv_tensor t : model::kModelTensors) {
        if (model::tensor_present(config_, t) && !assigned_[config_.n_layer][t]) return model::tensor_name(t);
    }
    for (int l = 0; l < config_.n_layer; ++l) {
        for (msv_tensor t : model::kLayerTensors) {
            if (model::tensor_present(config_, t) && !assigned_[l][t])
                return std::string(model::tensor_name(t)) + " of layer " + std::to_string(l);
        }
    }
    return {};
}

int64_t Model::weight_bytes() const {
    int64_t floats = static_cast<int64_t>(embedding_.size() + norm_f_.size() + lm_head_.size());
    for (const Layer& w : layers_) {
        for (const auto* v : {&w.norm, &w.in_proj, &w.in_proj_bias, &w.conv_weight, &w.conv_bias, &w.x_proj,
                              &w.dt_proj, &w.dt_proj_bias, &w.A, &w.D, &w.out_proj, &w.out_proj_bias})
            floats += static_cast<int64_t>(v->size());
    }
    return floats * static_cast<int64_t>(sizeof(float));
}

void Model::allocate_pool(int slots) {
    conv_state_.assign(static_cast<size_t>(slots * conv_per_slot_), 0.0f);
    if (config_.state_dtype == MSV_BF16)
        ssm_bf16_.assign(static_cast<size_t>(slots * ssm_per_slot_), 0);
    else
        ssm_f32_.assign(static_cast<size_t>(slots * ssm_per_slot_), 0.0f);
    slots_ = slots;
}

void Model::copy_slot(int src, int dst) {
    std::copy_n(conv_state_.begin() + src * conv_per_slot_, conv_per_slot_, conv_state_.begin() + dst * conv_per_slot_);
    if (config_.state_dtype == MSV_BF16)
        std::copy_n(ssm_bf16_.begin() + src * ssm_per_slot_, ssm_per_slot_, ssm_bf16_.begin() + dst * ssm_per_slot_);
    else
        std::copy_n(ssm_f32_.begin() + src * ssm_per_slot_, ssm_per_slot_, ssm_f32_.begin() + dst * ssm_per_slot_);
}

void Model::zero_slot(int slot) {
    std::fill_n(conv_state_.begin() + slot * conv_per_slot_, conv_per_slot_, 0.0f);
    if (config_.state_dtype == MSV_BF16)
        std::fill_n(ssm_bf16_.begin() + slot * ssm_per_slot_, ssm_per_slot_, uint16_t{0});
    else
        std::fill_n(ssm_f32_.begin() + slot * ssm_per_slot_, ssm_per_slot_, 0.0f);
}

void Model::read_state(int slot, void* payload) const {
    auto* out = static_cast<uint8_t*>(payload);
    const size_t conv_bytes = static_cast<size_t>(conv_per_slot_) * sizeof(float);
    std::memcpy(out, conv_state_.data() + slot * conv_per_slot_, conv_bytes);
    if (config_.state_dtype == MSV_BF16)
        std::memcpy(out + conv_bytes, ssm_bf16_.data() + slot * ssm_per_slot_, ssm_per_slot_ * sizeof(uint16_t));
    else
        std::memcpy(out + conv_bytes, ssm_f32_.data() + slot * ssm_per_slot_, ssm_per_slot_ * sizeof(float));
}

void Model::write_state(int slot, const void* payload) {
    const auto* in = static_cast<const uint8_t*>(payload);
    const size_t conv_bytes = static_cast<size_t>(conv_per_slot_) * sizeof(float);
    std::memcpy(conv_state_.data() + slot * conv_per_slot_, in, conv_bytes);
    if (config_.state_dtype == MSV_BF16)
        std::memcpy(ssm_bf16_.data() + slot * ssm_per_slot_, in + conv_bytes, ssm_per_slot_ * sizeof(uint16_t));
    else
        std::memcpy(ssm_f32_.data() + slot * ssm_per_slot_, in + conv_bytes, ssm_per_slot_ * sizeof(float));
}

}  // namespace msv::ref
