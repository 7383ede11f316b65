// Causal depthwise conv1d with conv state, over a chunk (fwd) or one token (update). Params: msv_conv1d_params.
#pragma once

#include "mambaserve.h"

namespace msv::ref {
// Plain fp32 loops on host pointers. Activations fp32; conv state fp32.
void causal_conv1d_fwd(const msv_conv1d_params& p);
void causal_conv1d_update(const msv_conv1d_params& p);
}  // namespace msv::ref

namespace msv::backend {
msv_status causal_conv1d_fwd(const msv_conv1d_params& p, void* stream);
msv_status causal_conv1d_update(const msv_conv1d_params& p, void* stream);
}  // namespace msv::backend
