// Explicit instantiation: the small-batch GEMV kernels for bf16 weights (model_gpu_gemv.cuh).
#include "model/model_gpu_gemv.cuh"

namespace msv::gpu::model {
template msv_status launch_gemv_typed<bf16>(GemvKind, bool, const GemvArgs&, int, cudaStream_t, bool);
}  // namespace msv::gpu::model
