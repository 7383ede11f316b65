// extern "C" entry point: validate once, then hand over to the backend.
#include "linear/linear.h"

#include "common/validate.h"

namespace {

msv_status validate(const msv_linear_params* p) {
    msv::Validator v("msv_linear");
    v.not_null(p, "params");
    if (!v.ok()) return v.status();
    v.positive(p->rows, "rows").positive(p->in_features, "in_features").positive(p->out_features, "out_features");
    v.not_null(p->x, "x").not_null(p->weight, "weight").not_null(p->out, "out");
    v.check(p->weight_dtype == MSV_F32 || p->weight_dtype == MSV_BF16, [&] {
        return "weight_dtype must be MSV_F32 or MSV_BF16, got " + std::to_string(static_cast<int>(p->weight_dtype));
    });
    v.view(0, p->x_row_stride, 1, p->rows, p->in_features, "x", false);
    v.view(0, p->out_row_stride, 1, p->rows, p->out_features, "out", true);
    return v.finish();
}

}  // namespace

extern "C" MSV_API msv_status msv_linear(const msv_linear_params* p, void* stream) {
    return msv::guarded("msv_linear", [&] {
        const msv_status s = validate(p);
        return s != MSV_OK ? s : msv::backend::linear(*p, stream);
    });
}
