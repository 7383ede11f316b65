// Launchers of the GPU kernels, one explicit instantiation per activation dtype in <family>_{fp32,fp16,bf16}.cu.
// Params are validated by <family>_api.cpp and the supported ranges (dstate, width) by gpu_backend.cpp; `stream`
// is the caller's cudaStream_t / hipStream_t (NULL: the default stream).
#pragma once

#include "mambaserve.h"

namespace msv::gpu {

// The scan keeps a tile of B and C rows and the carried state in shared memory, sized for this many states.
constexpr int kScanMaxState = 16;
constexpr int kConvMinWidth = 2;
constexpr int kConvMaxWidth = 4;

template <msv_dtype DT> msv_status launch_selective_scan_fwd(const msv_scan_params& p, void* stream);
// pdl (the state update, the conv update): launched with programmatic dependent launch, as in the model's decode
// graphs (gpu/launch_kernel.cuh); the C API launches plainly.
template <msv_dtype DT>
msv_status launch_selective_state_update(const msv_state_update_params& p, void* stream, bool pdl = false);
template <msv_dtype DT> msv_status launch_causal_conv1d_fwd(const msv_conv1d_params& p, void* stream);
template <msv_dtype DT>
msv_status launch_causal_conv1d_update(const msv_conv1d_params& p, void* stream, bool pdl = false);
template <msv_dtype DT> msv_status launch_rmsnorm_residual(const msv_rmsnorm_params& p, void* stream);

}  // namespace msv::gpu
