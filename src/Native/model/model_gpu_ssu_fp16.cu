// Explicit instantiation: the fused dt_proj + state update for __half activations (model_gpu_ssu.cuh).
#include "model/model_gpu_ssu.cuh"

namespace msv::gpu::model {
template msv_status launch_dt_ssu_t<__half>(msv_dtype, int, const DtSsuArgs&, cudaStream_t, bool);
}  // namespace msv::gpu::model
