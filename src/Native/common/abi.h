// The managed mirrors (src/Engine/Interop/Msv*Params.cs) assume these LP64 layouts; the interop tests assert the
// same numbers on the C# side, so a field added on one side only fails a build or a test, not a kernel call.
#pragma once

#include "mambaserve.h"

#include <cstddef>

#if defined(__LP64__) || defined(_WIN64)
static_assert(sizeof(msv_scan_params) == 224 && offsetof(msv_scan_params, slot_idx) == 216, "msv_scan_params ABI");
static_assert(sizeof(msv_state_update_params) == 176 && offsetof(msv_state_update_params, slot_idx) == 168,
              "msv_state_update_params ABI");
static_assert(sizeof(msv_conv1d_params) == 120 && offsetof(msv_conv1d_params, slot_idx) == 112,
              "msv_conv1d_params ABI");
static_assert(sizeof(msv_rmsnorm_params) == 80 && offsetof(msv_rmsnorm_params, eps) == 72, "msv_rmsnorm_params ABI");
static_assert(sizeof(msv_linear_params) == 64 && offsetof(msv_linear_params, weight_dtype) == 12 &&
                  offsetof(msv_linear_params, out_row_stride) == 56,
              "msv_linear_params ABI");
static_assert(sizeof(msv_device_info) == 440 && offsetof(msv_device_info, reason) == 184, "msv_device_info ABI");
static_assert(sizeof(msv_model_config) == 84 && offsetof(msv_model_config, use_graphs) == 72 &&
                  offsetof(msv_model_config, mixer_rms_eps) == 80,
              "msv_model_config ABI");
static_assert(sizeof(msv_sampling) == 80 && offsetof(msv_sampling, ban_bits) == 72, "msv_sampling ABI");
static_assert(sizeof(msv_sample_target) == 24 && offsetof(msv_sample_target, sampling) == 16, "msv_sample_target ABI");
static_assert(sizeof(msv_step_entry) == 48 && offsetof(msv_step_entry, n_samples) == 24 &&
                  offsetof(msv_step_entry, stop_ids) == 32 && offsetof(msv_step_entry, reserved) == 44,
              "msv_step_entry ABI");
static_assert(sizeof(msv_step) == 72 && offsetof(msv_step, out_bad_entry) == 64, "msv_step ABI");
#endif
