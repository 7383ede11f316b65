// Fused residual add + RMSNorm. Params and math: msv_rmsnorm_params in mambaserve.h.
#pragma once

#include "mambaserve.h"

namespace msv::ref {
// Plain fp32 loops on host pointers. x and out fp32; residual fp32.
void rmsnorm_residual(const msv_rmsnorm_params& p);
}  // namespace msv::ref

namespace msv::backend {
msv_status rmsnorm_residual(const msv_rmsnorm_params& p, void* stream);
}  // namespace msv::backend
