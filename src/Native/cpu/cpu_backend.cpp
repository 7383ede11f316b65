// The CPU backend: the fp32 reference kernels are the implementation. Host pointers, no stream (ignored).
// Only fp32 activations are implemented; a bf16 SSM state is supported in the state update.
#include "causal_conv1d/causal_conv1d.h"
#include "common/error.h"
#include "linear/linear.h"
#include "rmsnorm/rmsnorm.h"
#include "selective_scan/selective_scan.h"
#include "selective_state_update/selective_state_update.h"

#include <algorithm>
#include <string>
#include <vector>

namespace {

msv_status require_f32(msv_dtype dtype, const char* function) {
    if (dtype == MSV_F32) return MSV_OK;
    return msv::set_error(MSV_ERR_UNSUPPORTED, std::string(function) + ": the cpu backend supports only MSV_F32 " +
                                                   "activations, got dtype " + std::to_string(static_cast<int>(dtype)));
}

// Host memory, so the slot indices can be checked here (a GPU backend cannot without a device sync). A repeated
// slot would make two threads update one state at once: a silent, nondeterministic corruption, so it is refused.
msv_status require_slots(const int32_t* slot_idx, int32_t batch, const char* function) {
    for (int32_t b = 0; b < batch; ++b) {
        if (slot_idx[b] < 0)
            return msv::set_error(MSV_ERR_INVALID_ARGUMENT, std::string(function) + ": slot_idx[" + std::to_string(b) +
                                                                "] is negative: " + std::to_string(slot_idx[b]));
    }
    std::vector<int32_t> sorted(slot_idx, slot_idx + batch);
    std::sort(sorted.begin(), sorted.end());
    const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
    if (dup != sorted.end())
        return msv::set_error(MSV_ERR_INVALID_ARGUMENT,
                              std::string(function) + ": slot_idx repeats slot " + std::to_string(*dup));
    return MSV_OK;
}

// The checks every slot-indexed kernel of this backend needs (params with dtype, slot_idx and batch), in that order.
template <typename Params>
msv_status require_f32_slots(const Params& p, const char* function) {
    if (msv_status s = require_f32(p.dtype, function); s != MSV_OK) return s;
    return require_slots(p.slot_idx, p.batch, function);
}

}  // namespace

extern "C" MSV_API const char* msv_backend_name(void) { return "cpu"; }

namespace msv::backend {

msv_status selective_scan_fwd(const msv_scan_params& p, void*) {
    if (msv_status s = require_f32_slots(p, "msv_selective_scan_fwd"); s != MSV_OK) return s;
    ref::selective_scan_fwd(p);
    return MSV_OK;
}

msv_status selective_state_update(const msv_state_update_params& p, void*) {
    if (msv_status s = require_f32_slots(p, "msv_selective_state_update"); s != MSV_OK) return s;
    ref::selective_state_update(p);
    return MSV_OK;
}

msv_status causal_conv1d_fwd(const msv_conv1d_params& p, void*) {
    if (msv_status s = require_f32_slots(p, "msv_causal_conv1d_fwd"); s != MSV_OK) return s;
    ref::causal_conv1d_fwd(p);
    return MSV_OK;
}

msv_status causal_conv1d_update(const msv_conv1d_params& p, void*) {
    if (msv_status s = require_f32_slots(p, "msv_causal_conv1d_update"); s != MSV_OK) return s;
    ref::causal_conv1d_update(p);
    return MSV_OK;
}

msv_status rmsnorm_residual(const msv_rmsnorm_params& p, void*) {
    if (msv_status s = require_f32(p.dtype, "msv_rmsnorm_residual"); s != MSV_OK) return s;
    ref::rmsnorm_residual(p);
    return MSV_OK;
}

msv_status linear(const msv_linear_params& p, void*) {
    ref::linear(p);
    return MSV_OK;
}

}  // namespace msv::backend
