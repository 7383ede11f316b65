// Explicit instantiation: the fused dt_proj + state updates for float activations
// (model_gpu_ssu.cuh, model_gpu_ssu_rows.cuh).
#include "model/model_gpu_ssu_rows.cuh"

namespace msv::gpu::model {
template msv_status launch_dt_ssu_t<float>(msv_dtype, int, const DtSsuArgs&, cudaStream_t, bool);
template msv_status launch_dt_ssu_rows_t<float>(msv_dtype, const DtSsuArgs&, bool, cudaStream_t, bool);
template msv_status dt_ssu_rows_prepare_t<float>(msv_dtype, const DtSsuArgs&, size_t);
}  // namespace msv::gpu::model
