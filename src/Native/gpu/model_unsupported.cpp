// Placeholder msv::backend::model_* for the GPU libraries until the GPU model layer (issue 9, branch native-gpu)
// lands: every model call answers MSV_ERR_UNSUPPORTED, so the libraries link with -Wl,--no-undefined and export
// every msv_ name of mambaserve.h. The GPU model layer deletes this file.
#include "common/error.h"
#include "model/model_backend.h"

#include <cstring>

namespace msv::backend {
namespace {

msv_status unsupported(const char* function) {
    return set_error(MSV_ERR_UNSUPPORTED, std::string(function) + ": the GPU model layer is not built yet (issue 9)");
}

const msv_model_config kNoConfig{};

}  // namespace

msv_status device_query(int32_t, msv_device_info* out) {
    std::memset(out, 0, sizeof *out);
    std::strncpy(out->reason, "this library has no GPU model layer yet (issue 9)", sizeof out->reason - 1);
    return MSV_OK;
}

msv_status model_create(const msv_model_config&, msv_model**) { return unsupported("msv_model_create"); }
void model_destroy(msv_model*) {}
const msv_model_config& model_config(const msv_model*) { return kNoConfig; }
bool model_finalized(const msv_model*) { return false; }
int32_t model_slots(const msv_model*) { return 0; }
const msv_model* snapshot_owner(const msv_snapshot*) { return nullptr; }
msv_status model_set_tensor(msv_model*, msv_tensor, int32_t, const void*, msv_dtype, int64_t) {
    return unsupported("msv_model_set_tensor");
}
msv_status model_finalize(msv_model*, int64_t*) { return unsupported("msv_model_finalize"); }
msv_status model_memory(msv_model*, int64_t*, int64_t*) { return unsupported("msv_model_memory"); }
msv_status model_allocate_pool(msv_model*, int32_t) { return unsupported("msv_model_allocate_pool"); }
msv_status model_step(msv_model*, const msv_step&) { return unsupported("msv_model_step"); }
msv_status model_copy_slot(msv_model*, int32_t, int32_t) { return unsupported("msv_model_copy_slot"); }
msv_status model_zero_slot(msv_model*, int32_t) { return unsupported("msv_model_zero_slot"); }
msv_status model_snapshot(msv_model*, int32_t, msv_snapshot**) { return unsupported("msv_model_snapshot"); }
msv_status model_restore(msv_model*, int32_t, const msv_snapshot*) { return unsupported("msv_model_restore"); }
int64_t snapshot_bytes(const msv_snapshot*) { return -1; }
msv_status snapshot_read(const msv_snapshot*, void*, int64_t) { return unsupported("msv_snapshot_read"); }
msv_status model_snapshot_from_host(msv_model*, const void*, int64_t, msv_snapshot**) {
    return unsupported("msv_model_snapshot_from_host");
}
void snapshot_free(msv_snapshot*) {}

}  // namespace msv::backend
