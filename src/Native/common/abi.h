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
#endif
