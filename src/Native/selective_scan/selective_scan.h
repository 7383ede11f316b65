// Selective scan over a chunk (prefill). Params and math: msv_scan_params in mambaserve.h.
#pragma once

#include "mambaserve.h"

namespace msv::ref {
// Plain fp32 loops on host pointers: the oracle for GPU tests and the CPU implementation. Activations fp32.
void selective_scan_fwd(const msv_scan_params& p);
}  // namespace msv::ref

namespace msv::backend {
// Implemented by cpu/cpu_backend.cpp (CPU build) or gpu/ (GPU builds); params are already validated.
msv_status selective_scan_fwd(const msv_scan_params& p, void* stream);
}  // namespace msv::backend
