// extern "C" entry points: validate once, then hand over to the backend.
#include "causal_conv1d/causal_conv1d.h"

#include "common/validate.h"

#include <string>

namespace {

msv_status validate(const msv_conv1d_params* p, const char* function, bool update) {
    msv::Validator v(function);
    v.not_null(p, "params");
    if (!v.ok()) return v.status();
    v.positive(p->batch, "batch").positive(p->dim, "dim").positive(p->seqlen, "seqlen").positive(p->width, "width");
    v.check(!update || p->seqlen == 1,
            [&] { return "seqlen must be 1 for the update, got " + std::to_string(p->seqlen); });
    v.dtype(p->dtype, "dtype");
    v.not_null(p->x, "x").not_null(p->out, "out").not_null(p->weight, "weight");
    v.not_null(p->conv_state, "conv_state").not_null(p->slot_idx, "slot_idx");
    v.check(p->x != p->out, [] { return std::string("out must not alias x"); });
    v.view(p->x_batch_stride, p->x_row_stride, p->batch, p->seqlen, p->dim, "x", false);
    v.view(p->out_batch_stride, p->out_row_stride, p->batch, p->seqlen, p->dim, "out", true);
    v.at_least(p->state_slot_stride, p->batch > 1 ? static_cast<int64_t>(p->dim) * (p->width - 1) : 0,
               "state_slot_stride");
    return v.finish();
}

}  // namespace

extern "C" MSV_API msv_status msv_causal_conv1d_fwd(const msv_conv1d_params* p, void* stream) {
    return msv::guarded("msv_causal_conv1d_fwd", [&] {
        const msv_status s = validate(p, "msv_causal_conv1d_fwd", false);
        return s != MSV_OK ? s : msv::backend::causal_conv1d_fwd(*p, stream);
    });
}

extern "C" MSV_API msv_status msv_causal_conv1d_update(const msv_conv1d_params* p, void* stream) {
    return msv::guarded("msv_causal_conv1d_update", [&] {
        const msv_status s = validate(p, "msv_causal_conv1d_update", true);
        return s != MSV_OK ? s : msv::backend::causal_conv1d_update(*p, stream);
    });
}
