// msv::backend for the CUDA and HIP libraries: check what the GPU kernels support beyond the API's validation,
// then dispatch on the activation dtype once and launch on the caller's stream. Host code only: the kernels
// live in <family>_kernel.cuh, instantiated per dtype in <family>_{fp32,fp16,bf16}.cu.
#include "causal_conv1d/causal_conv1d.h"
#include "common/error.h"
#include "gpu/launch.h"
#include "rmsnorm/rmsnorm.h"
#include "selective_scan/selective_scan.h"
#include "selective_state_update/selective_state_update.h"

#include <string>

// msv_linear (main's CPU decode path) has no GPU kernel: GPU builds use the vendor BLAS and answer UNSUPPORTED.
// The header test keeps this file building on trees that predate the linear family.
#if __has_include("linear/linear.h")
#include "linear/linear.h"
#define MSV_HAS_LINEAR 1
#endif

#if defined(MSV_HIP)
extern "C" MSV_API const char* msv_backend_name(void) { return "hip"; }
#else
extern "C" MSV_API const char* msv_backend_name(void) { return "cuda"; }
#endif

namespace {

msv_status unsupported(const char* function, const std::string& what) {
    return msv::set_error(MSV_ERR_UNSUPPORTED, std::string(function) + ": " + what);
}

// One switch per call: each launcher is a separate instantiation, so the kernels see the dtype at compile time.
template <typename P, typename F32, typename F16, typename BF16>
msv_status by_dtype(msv_dtype dtype, const P& p, void* stream, F32 f32, F16 f16, BF16 bf16) {
    switch (dtype) {
        case MSV_F32: return f32(p, stream);
        case MSV_F16: return f16(p, stream);
        case MSV_BF16: return bf16(p, stream);
    }
    return msv::set_error(MSV_ERR_INVALID_ARGUMENT, "unknown msv_dtype " + std::to_string(static_cast<int>(dtype)));
}

// A launcher that can take programmatic dependent launch, called plainly: the C API's callers' streams have no
// programmatic dependencies (the model's graphs launch with them).
template <typename Launcher> auto plain(Launcher launcher) {
    return [launcher](const auto& p, void* stream) { return launcher(p, stream, false); };
}

msv_status check_conv_width(const msv_conv1d_params& p, const char* function) {
    if (p.width >= msv::gpu::kConvMinWidth && p.width <= msv::gpu::kConvMaxWidth) return MSV_OK;
    return unsupported(function, "the GPU conv supports width 2..4, got " + std::to_string(p.width));
}

}  // namespace

namespace msv::backend {

using namespace msv::gpu;

msv_status selective_scan_fwd(const msv_scan_params& p, void* stream) {
    if (p.dstate > kScanMaxState)
        return unsupported("msv_selective_scan_fwd", "the GPU scan supports dstate <= " +
                                                         std::to_string(kScanMaxState) + ", got " +
                                                         std::to_string(p.dstate));
    return by_dtype(p.dtype, p, stream, launch_selective_scan_fwd<MSV_F32>, launch_selective_scan_fwd<MSV_F16>,
                    launch_selective_scan_fwd<MSV_BF16>);
}

msv_status selective_state_update(const msv_state_update_params& p, void* stream) {
    return by_dtype(p.dtype, p, stream, plain(launch_selective_state_update<MSV_F32>),
                    plain(launch_selective_state_update<MSV_F16>), plain(launch_selective_state_update<MSV_BF16>));
}

msv_status causal_conv1d_fwd(const msv_conv1d_params& p, void* stream) {
    if (msv_status s = check_conv_width(p, "msv_causal_conv1d_fwd"); s != MSV_OK) return s;
    return by_dtype(p.dtype, p, stream, launch_causal_conv1d_fwd<MSV_F32>, launch_causal_conv1d_fwd<MSV_F16>,
                    launch_causal_conv1d_fwd<MSV_BF16>);
}

msv_status causal_conv1d_update(const msv_conv1d_params& p, void* stream) {
    if (msv_status s = check_conv_width(p, "msv_causal_conv1d_update"); s != MSV_OK) return s;
    return by_dtype(p.dtype, p, stream, plain(launch_causal_conv1d_update<MSV_F32>),
                    plain(launch_causal_conv1d_update<MSV_F16>), plain(launch_causal_conv1d_update<MSV_BF16>));
}

msv_status rmsnorm_residual(const msv_rmsnorm_params& p, void* stream) {
    return by_dtype(p.dtype, p, stream, launch_rmsnorm_residual<MSV_F32>, launch_rmsnorm_residual<MSV_F16>,
                    launch_rmsnorm_residual<MSV_BF16>);
}

#if defined(MSV_HAS_LINEAR)
msv_status linear(const msv_linear_params&, void*) {
    return unsupported("msv_linear", "GPU backends have no linear kernel (use the vendor BLAS)");
}
#endif

}  // namespace msv::backend
