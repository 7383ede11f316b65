// fp32 fused residual add + RMSNorm, one pass to add and sum squares, one pass to scale.
#include "rmsnorm/rmsnorm.h"

#include "common/math.h"

namespace msv::ref {

void rmsnorm_residual(const msv_rmsnorm_params& p) {
    const int64_t work = static_cast<int64_t>(p.rows) * p.dim;
#pragma omp parallel for schedule(static) if (work >= kParallelMinWork)
    for (int64_t r = 0; r < p.rows; ++r) {
        float* res = p.residual + r * p.residual_row_stride;
        const float* x = p.x ? static_cast<const float*>(p.x) + r * p.x_row_stride : nullptr;
        float* out = static_cast<float*>(p.out) + r * p.out_row_stride;
        float sumsq = 0.0f;
        for (int i = 0; i < p.dim; ++i) {
            const float v = x ? res[i] + x[i] : res[i];
            res[i] = v;
            sumsq += v * v;
        }
        const float scale = 1.0f / std::sqrt(sumsq / static_cast<float>(p.dim) + p.eps);
        for (int i = 0; i < p.dim; ++i) out[i] = res[i] * scale * p.weight[i];
    }
}

}  // namespace msv::ref
