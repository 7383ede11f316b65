// Explicit instantiation only: one dtype per translation unit so the three compile in parallel.
#include "selective_state_update/selective_state_update_kernel.cuh"

template msv_status msv::gpu::launch_selective_state_update<MSV_F16>(const msv_state_update_params&, void*, bool);
