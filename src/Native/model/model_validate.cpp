#include "model/model_validate.h"

#include "common/validate.h"
#include "model/model_tensors.h"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace msv::model {
namespace {

std::string str(int64_t v) { return std::to_string(v); }
std::string fstr(float v) {
    if (std::isnan(v)) return "NaN";  // printf writes "-nan" for the default NaN of some runtimes
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
    return buf;
}

std::string range(int64_t lo, int64_t hi) { return "[" + str(lo) + ", " + str(hi) + ")"; }

// "" or why `ids[0..n)` are not all in [lo, hi).
std::string check_ids(const int32_t* ids, int32_t n, int32_t lo, int32_t hi, const char* what) {
    for (int32_t i = 0; i < n; ++i) {
        if (ids[i] < lo || ids[i] >= hi)
            return std::string(what) + "[" + str(i) + "] = " + str(ids[i]) + " out of range " + range(lo, hi);
    }
    return {};
}

bool flag(int32_t v) { return v == 0 || v == 1; }

}  // namespace

msv_status validate_config(const msv_model_config* c) {
    Validator v("msv_model_create");
    v.not_null(c, "config");
    if (!v.ok()) return v.status();
    v.positive(c->d_model, "d_model").positive(c->n_layer, "n_layer").positive(c->d_inner, "d_inner");
    v.positive(c->d_state, "d_state").positive(c->d_conv, "d_conv").positive(c->dt_rank, "dt_rank");
    v.positive(c->vocab, "vocab").positive(c->sampleable_vocab, "sampleable_vocab");
    v.check(c->sampleable_vocab <= c->vocab, [&] {
        return "sampleable_vocab must be <= vocab (" + str(c->vocab) + "), got " + str(c->sampleable_vocab);
    });
    v.check(flag(c->conv_bias), [&] { return "conv_bias must be 0 or 1, got " + str(c->conv_bias); });
    v.check(flag(c->proj_bias), [&] { return "proj_bias must be 0 or 1, got " + str(c->proj_bias); });
    v.check(flag(c->tie_embeddings), [&] { return "tie_embeddings must be 0 or 1, got " + str(c->tie_embeddings); });
    v.check(std::isfinite(c->norm_eps) && c->norm_eps >= 0.0f,
            [&] { return "norm_eps must be finite and >= 0, got " + fstr(c->norm_eps); });
    v.dtype(c->weight_dtype, "weight_dtype");
    v.check(c->state_dtype == MSV_F32 || c->state_dtype == MSV_BF16, [&] {
        return "state_dtype must be MSV_F32 or MSV_BF16, got " + str(static_cast<int>(c->state_dtype));
    });
    v.positive(c->max_step_tokens, "max_step_tokens").positive(c->max_decode_batch, "max_decode_batch");
    v.check(c->max_logprobs >= 0 && c->max_logprobs <= 1024,
            [&] { return "max_logprobs must be in [0, 1024], got " + str(c->max_logprobs); });
    v.at_least(c->device, 0, "device");
    v.check(flag(c->use_graphs), [&] { return "use_graphs must be 0 or 1, got " + str(c->use_graphs); });
    v.check(flag(c->mixer_rms), [&] { return "mixer_rms must be 0 or 1, got " + str(c->mixer_rms); });
    v.check(std::isfinite(c->mixer_rms_eps) && c->mixer_rms_eps >= 0.0f,
            [&] { return "mixer_rms_eps must be finite and >= 0, got " + fstr(c->mixer_rms_eps); });
    return v.finish();
}

msv_status validate_tensor(const msv_model_config& c, int32_t t, int32_t layer, const void* host, msv_dtype src,
                           int64_t count) {
    Validator v("msv_model_set_tensor");
    v.check(is_known_tensor(t), [&] { return "t is not a valid msv_tensor: " + str(t); });
    if (!v.ok()) return v.status();
    const auto tensor = static_cast<msv_tensor>(t);
    const std::string name = tensor_name(tensor);
    v.check(tensor_present(c, tensor), [&] {
        return name + ": this model has no such tensor (tie_embeddings " + str(c.tie_embeddings) + ", proj_bias " +
               str(c.proj_bias) + ", conv_bias " + str(c.conv_bias) + ")";
    });
    if (is_layer_tensor(tensor))
        v.check(layer >= 0 && layer < c.n_layer,
                [&] { return name + ": layer " + str(layer) + " out of range " + range(0, c.n_layer); });
    v.not_null(host, "host").dtype(src, "src");
    v.check(count == tensor_count(c, tensor), [&] {
        return name + ": count must be " + str(tensor_count(c, tensor)) + ", got " + str(count);
    });
    return v.finish();
}

std::string check_sampling(const msv_sampling& p, const msv_model_config& c, bool reset) {
    if (!(std::isfinite(p.temperature) && p.temperature >= 0.0f))
        return "temperature must be finite and >= 0, got " + fstr(p.temperature);
    if (p.top_k < 0) return "top_k must be >= 0 (0: off), got " + str(p.top_k);
    if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) return "top_p must be in (0, 1], got " + fstr(p.top_p);
    if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) return "min_p must be in [0, 1], got " + fstr(p.min_p);
    if (!(std::isfinite(p.repetition_penalty) && p.repetition_penalty > 0.0f))
        return "repetition_penalty must be finite and > 0, got " + fstr(p.repetition_penalty);
    if (!std::isfinite(p.presence_penalty)) return "presence_penalty must be finite, got " + fstr(p.presence_penalty);
    if (!std::isfinite(p.frequency_penalty)) return "frequency_penalty must be finite, got " + fstr(p.frequency_penalty);
    if (p.logprobs > c.max_logprobs)
        return "logprobs must be <= max_logprobs (" + str(c.max_logprobs) + "), got " + str(p.logprobs);
    if (p.n_bias < 0) return "n_bias must be >= 0, got " + str(p.n_bias);
    if (p.n_bias > 0 && (p.bias_ids == nullptr || p.bias_values == nullptr)) return "bias_ids or bias_values is NULL";
    for (int32_t i = 0; i < p.n_bias; ++i) {
        if (p.bias_ids[i] < 0) return "bias_ids[" + str(i) + "] = " + str(p.bias_ids[i]) + " is negative";
        if (!std::isfinite(p.bias_values[i])) return "bias_values[" + str(i) + "] is not finite";
    }
    if (!reset) return {};
    if (p.n_prompt < 0) return "n_prompt must be >= 0, got " + str(p.n_prompt);
    if (p.n_prompt > 0 && p.prompt_ids == nullptr) return "prompt_ids is NULL";
    return check_ids(p.prompt_ids, p.n_prompt, 0, c.vocab, "prompt_ids");
}

}  // namespace msv::model
