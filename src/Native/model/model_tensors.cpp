#include "model/model_tensors.h"

namespace msv::model {

bool is_known_tensor(int32_t t) {
    return (t >= MSV_T_EMBEDDING && t <= MSV_T_LM_HEAD) || (t >= MSV_T_NORM && t <= MSV_T_OUT_PROJ_BIAS);
}

bool tensor_present(const msv_model_config& c, msv_tensor t) {
    switch (t) {
        case MSV_T_LM_HEAD: return c.tie_embeddings == 0;
        case MSV_T_IN_PROJ_BIAS:
        case MSV_T_OUT_PROJ_BIAS: return c.proj_bias != 0;
        case MSV_T_CONV_BIAS: return c.conv_bias != 0;
        default: return is_known_tensor(t);
    }
}

int64_t tensor_count(const msv_model_config& c, msv_tensor t) {
    const int64_t dm = c.d_model, di = c.d_inner;
    switch (t) {
        case MSV_T_EMBEDDING:
        case MSV_T_LM_HEAD: return static_cast<int64_t>(c.vocab) * dm;
        case MSV_T_NORM_F:
        case MSV_T_NORM:
        case MSV_T_OUT_PROJ_BIAS: return dm;
        case MSV_T_IN_PROJ: return 2 * di * dm;
        case MSV_T_IN_PROJ_BIAS: return 2 * di;
        case MSV_T_CONV_WEIGHT: return di * c.d_conv;
        case MSV_T_CONV_BIAS:
        case MSV_T_DT_PROJ_BIAS:
        case MSV_T_D: return di;
        case MSV_T_X_PROJ: return (c.dt_rank + 2 * static_cast<int64_t>(c.d_state)) * di;
        case MSV_T_DT_PROJ: return di * c.dt_rank;
        case MSV_T_A_LOG: return di * c.d_state;
        case MSV_T_OUT_PROJ: return dm * di;
    }
    return 0;
}

bool tensor_is_matrix(msv_tensor t) {
    return t == MSV_T_EMBEDDING || t == MSV_T_LM_HEAD || t == MSV_T_IN_PROJ || t == MSV_T_X_PROJ ||
           t == MSV_T_DT_PROJ || t == MSV_T_OUT_PROJ;
}

const char* tensor_name(msv_tensor t) {
    switch (t) {
        case MSV_T_EMBEDDING: return "MSV_T_EMBEDDING";
        case MSV_T_NORM_F: return "MSV_T_NORM_F";
        case MSV_T_LM_HEAD: return "MSV_T_LM_HEAD";
        case MSV_T_NORM: return "MSV_T_NORM";
        case MSV_T_IN_PROJ: return "MSV_T_IN_PROJ";
        case MSV_T_IN_PROJ_BIAS: return "MSV_T_IN_PROJ_BIAS";
        case MSV_T_CONV_WEIGHT: return "MSV_T_CONV_WEIGHT";
        case MSV_T_CONV_BIAS: return "MSV_T_CONV_BIAS";
        case MSV_T_X_PROJ: return "MSV_T_X_PROJ";
        case MSV_T_DT_PROJ: return "MSV_T_DT_PROJ";
        case MSV_T_DT_PROJ_BIAS: return "MSV_T_DT_PROJ_BIAS";
        case MSV_T_A_LOG: return "MSV_T_A_LOG";
        case MSV_T_D: return "MSV_T_D";
        case MSV_T_OUT_PROJ: return "MSV_T_OUT_PROJ";
        case MSV_T_OUT_PROJ_BIAS: return "MSV_T_OUT_PROJ_BIAS";
    }
    return "unknown tensor";
}

}  // namespace msv::model
