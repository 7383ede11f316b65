// Explicit instantiation only: one dtype per translation unit so the three compile in parallel.
#include "rmsnorm/rmsnorm_kernel.cuh"

template msv_status msv::gpu::launch_rmsnorm_residual<MSV_BF16>(const msv_rmsnorm_params&, void*);
