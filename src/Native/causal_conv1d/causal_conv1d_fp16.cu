// Explicit instantiation only: one dtype per translation unit so the three compile in parallel.
#include "causal_conv1d/causal_conv1d_kernel.cuh"

template msv_status msv::gpu::launch_causal_conv1d_fwd<MSV_F16>(const msv_conv1d_params&, void*);
template msv_status msv::gpu::launch_causal_conv1d_update<MSV_F16>(const msv_conv1d_params&, void*, bool);
