// Turns a launch's CUDA/HIP error into the C API's status + thread-local message.
#pragma once

#include "common/error.h"
#include "common/vendor.h"

#include <string>

namespace msv::gpu {

// Launches are asynchronous: this catches configuration errors (bad grid, no kernel image for this GPU);
// faults inside a kernel surface at the caller's next synchronisation.
inline msv_status check_launch(const char* function) {
    const cudaError_t err = cudaGetLastError();
    if (err == cudaSuccess) return MSV_OK;
    return set_error(MSV_ERR_DEVICE, std::string(function) + ": " + cudaGetErrorString(err));
}

}  // namespace msv::gpu
