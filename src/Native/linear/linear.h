// Small-batch linear layer (CPU decode). Params and math: msv_linear_params in mambaserve.h.
#pragma once

#include "mambaserve.h"

namespace msv::ref {
// fp32 or bf16 weights, fp32 inputs and sums, on host pointers; vectorised with runtime dispatch (AVX-512 / AVX2 /
// baseline), threads over output rows.
void linear(const msv_linear_params& p);
}  // namespace msv::ref

namespace msv::backend {
msv_status linear(const msv_linear_params& p, void* stream);
}  // namespace msv::backend
