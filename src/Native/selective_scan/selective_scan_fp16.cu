// Explicit instantiation only: one dtype per translation unit so the three compile in parallel.
#include "selective_scan/selective_scan_kernel.cuh"

template msv_status msv::gpu::launch_selective_scan_fwd<MSV_F16>(const msv_scan_params&, void*);
