// extern "C" entry point: validate once, then hand over to the backend.
#include "rmsnorm/rmsnorm.h"

#include "common/validate.h"

#include <cmath>

namespace {

msv_status validate(const msv_rmsnorm_params* p) {
    msv::Validator v("msv_rmsnorm_residual");
    v.not_null(p, "params");
    if (!v.ok()) return v.status();
    v.positive(p->rows, "rows").positive(p->dim, "dim");
    v.dtype(p->dtype, "dtype");
    v.not_null(p->residual, "residual").not_null(p->out, "out").not_null(p->weight, "weight");
    if (p->x) v.view(0, p->x_row_stride, 1, p->rows, p->dim, "x", false);
    v.view(0, p->residual_row_stride, 1, p->rows, p->dim, "residual", true);
    v.view(0, p->out_row_stride, 1, p->rows, p->dim, "out", true);
    v.check(p->eps >= 0.0f && std::isfinite(p->eps), [] { return std::string("eps must be finite and >= 0"); });
    return v.finish();
}

}  // namespace

extern "C" MSV_API msv_status msv_rmsnorm_residual(const msv_rmsnorm_params* p, void* stream) {
    return msv::guarded("msv_rmsnorm_residual", [&] {
        const msv_status s = validate(p);
        return s != MSV_OK ? s : msv::backend::rmsnorm_residual(*p, stream);
    });
}
