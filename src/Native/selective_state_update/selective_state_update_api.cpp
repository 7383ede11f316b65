// extern "C" entry point: validate once, then hand over to the backend.
#include "selective_state_update/selective_state_update.h"

#include "common/validate.h"

#include <string>

namespace {

msv_status validate(const msv_state_update_params* p) {
    msv::Validator v("msv_selective_state_update");
    v.not_null(p, "params");
    if (!v.ok()) return v.status();
    v.positive(p->batch, "batch").positive(p->dim, "dim").positive(p->dstate, "dstate");
    v.dtype(p->dtype, "dtype");
    v.check(p->state_dtype == MSV_F32 || p->state_dtype == MSV_BF16, [&] {
        return "state_dtype must be MSV_F32 or MSV_BF16, got " + std::to_string(static_cast<int>(p->state_dtype));
    });
    v.not_null(p->x, "x").not_null(p->delta, "delta").not_null(p->B, "B").not_null(p->C, "C");
    v.not_null(p->out, "out").not_null(p->A, "A").not_null(p->state, "state").not_null(p->slot_idx, "slot_idx");
    v.view(p->x_batch_stride, 0, p->batch, 1, p->dim, "x", false);
    v.view(p->delta_batch_stride, 0, p->batch, 1, p->dim, "delta", false);
    v.view(p->B_batch_stride, 0, p->batch, 1, p->dstate, "B", false);
    v.view(p->C_batch_stride, 0, p->batch, 1, p->dstate, "C", false);
    if (p->z) v.view(p->z_batch_stride, 0, p->batch, 1, p->dim, "z", false);
    v.view(p->out_batch_stride, 0, p->batch, 1, p->dim, "out", true);
    v.at_least(p->state_slot_stride, p->batch > 1 ? static_cast<int64_t>(p->dim) * p->dstate : 0, "state_slot_stride");
    return v.finish();
}

}  // namespace

extern "C" MSV_API msv_status msv_selective_state_update(const msv_state_update_params* p, void* stream) {
    return msv::guarded("msv_selective_state_update", [&] {
        const msv_status s = validate(p);
        return s != MSV_OK ? s : msv::backend::selective_state_update(*p, stream);
    });
}
