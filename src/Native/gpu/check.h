// Turns a launch's CUDA/HIP error into the C API's status + thread-local message.
#pragma once

#include "common/error.h"
#include "common/vendor.h"

#include <string>

namespace msv::gpu {

// A launch's error (launch_kernel returns it) as a status. check_launch: the last launch's, for <<<>>> launches.
// Launches are asynchronous: this catches configuration errors (bad grid, no kernel image for this GPU);
// faults inside a kernel surface at the caller's next synchronisation.
inline msv_status launch_status(cudaError_t err, const char* function) {
    if (err == cudaSuccess) return MSV_OK;
    return set_error(MSV_ERR_DEVICE, std::string(function) + ": " + cudaGetErrorString(err));
}
inline msv_status check_launch(const char* function) { return launch_status(cudaGetLastError(), function); }

}  // namespace msv::gpu
