// extern "C" entry point: validate once, then hand over to the backend.
#include "selective_scan/selective_scan.h"

#include "common/validate.h"

namespace {

msv_status validate(const msv_scan_params* p) {
    msv::Validator v("msv_selective_scan_fwd");
    v.not_null(p, "params");
    if (!v.ok()) return v.status();
    v.positive(p->batch, "batch").positive(p->dim, "dim").positive(p->dstate, "dstate").positive(p->seqlen, "seqlen");
    v.dtype(p->dtype, "dtype");
    v.not_null(p->u, "u").not_null(p->delta, "delta").not_null(p->B, "B").not_null(p->C, "C");
    v.not_null(p->out, "out").not_null(p->A, "A").not_null(p->state, "state").not_null(p->slot_idx, "slot_idx");
    v.view(p->u_batch_stride, p->u_row_stride, p->batch, p->seqlen, p->dim, "u", false);
    v.view(p->delta_batch_stride, p->delta_row_stride, p->batch, p->seqlen, p->dim, "delta", false);
    v.view(p->B_batch_stride, p->B_row_stride, p->batch, p->seqlen, p->dstate, "B", false);
    v.view(p->C_batch_stride, p->C_row_stride, p->batch, p->seqlen, p->dstate, "C", false);
    if (p->z) v.view(p->z_batch_stride, p->z_row_stride, p->batch, p->seqlen, p->dim, "z", false);
    v.view(p->out_batch_stride, p->out_row_stride, p->batch, p->seqlen, p->dim, "out", true);
    v.at_least(p->state_slot_stride, p->batch > 1 ? static_cast<int64_t>(p->dim) * p->dstate : 0, "state_slot_stride");
    return v.finish();
}

}  // namespace

extern "C" MSV_API msv_status msv_selective_scan_fwd(const msv_scan_params* p, void* stream) {
    return msv::guarded("msv_selective_scan_fwd", [&] {
        const msv_status s = validate(p);
        return s != MSV_OK ? s : msv::backend::selective_scan_fwd(*p, stream);
    });
}
