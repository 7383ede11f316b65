// Kernel launch with or without programmatic dependent launch: the model's kernels, and the kernel families the
// model also launches inside its decode graphs (the state update).
#pragma once

#include "common/error.h"
#include "common/vendor.h"

#include <utility>

namespace msv::gpu {

// With `pdl` (CUDA 11.8+, used on sm_90): the kernel may begin while the previous kernel on the stream finishes;
// it must call msv_pdl_wait() before touching that kernel's data. Stream capture records the programmatic edge,
// so graphs keep the overlap. HIP: a plain launch.
template <typename... Params, typename... Args>
inline cudaError_t launch_kernel(void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem, cudaStream_t s,
                                 bool pdl, Args&&... args) {
#if !defined(MSV_HIP) && CUDART_VERSION >= 11080
    if (pdl) {
        cudaLaunchConfig_t cfg{};
        cfg.gridDim = grid, cfg.blockDim = block, cfg.dynamicSmemBytes = smem, cfg.stream = s;
        cudaLaunchAttribute attr[1];
        attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
        attr[0].val.programmaticStreamSerializationAllowed = 1;
        cfg.attrs = attr, cfg.numAttrs = 1;
        return cudaLaunchKernelEx(&cfg, kernel, std::forward<Args>(args)...);
    }
#else
    (void)pdl;
#endif
    kernel<<<grid, block, smem, s>>>(std::forward<Args>(args)...);
    return cudaGetLastError();
}

}  // namespace msv::gpu
