// What each msv_tensor is for a given config: its element count, whether the config has it, its name, and whether
// it is stored in the weight dtype (matrices) or in fp32. Shared by the validation layer and every backend.
#pragma once

#include "mambaserve.h"

#include <cstdint>

namespace msv::model {

// True for MSV_T_NORM and the per-layer ids after it.
inline bool is_layer_tensor(msv_tensor t) { return t >= MSV_T_NORM; }

// True for the ids mambaserve.h defines.
bool is_known_tensor(int32_t t);

// Does a model of this config have tensor t (LM head only when untied, biases only when enabled)?
bool tensor_present(const msv_model_config& c, msv_tensor t);

// Element count of tensor t for this config.
int64_t tensor_count(const msv_model_config& c, msv_tensor t);

// Stored in weight_dtype (embedding, LM head, the four projection matrices); everything else is fp32.
bool tensor_is_matrix(msv_tensor t);

// "MSV_T_IN_PROJ" etc.
const char* tensor_name(msv_tensor t);

// Every tensor id, model-level first, for loops that check completeness.
constexpr msv_tensor kModelTensors[] = {MSV_T_EMBEDDING, MSV_T_NORM_F, MSV_T_LM_HEAD};
constexpr msv_tensor kLayerTensors[] = {MSV_T_NORM,   MSV_T_IN_PROJ,      MSV_T_IN_PROJ_BIAS, MSV_T_CONV_WEIGHT,
                                        MSV_T_CONV_BIAS, MSV_T_X_PROJ,    MSV_T_DT_PROJ,      MSV_T_DT_PROJ_BIAS,
                                        MSV_T_A_LOG,  MSV_T_D,            MSV_T_OUT_PROJ,     MSV_T_OUT_PROJ_BIAS};

}  // namespace msv::model
