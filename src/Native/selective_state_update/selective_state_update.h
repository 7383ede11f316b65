// Selective state update (one decode token). Params and math: msv_state_update_params in mambaserve.h.
#pragma once

#include "mambaserve.h"

namespace msv::ref {
// Plain fp32 loops on host pointers. Activations fp32; state fp32 or bf16 (p.state_dtype).
void selective_state_update(const msv_state_update_params& p);
}  // namespace msv::ref

namespace msv::backend {
msv_status selective_state_update(const msv_state_update_params& p, void* stream);
}  // namespace msv::backend
