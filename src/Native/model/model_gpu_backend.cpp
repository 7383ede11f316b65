// msv::backend::model_* (model/model_backend.h) for the CUDA and HIP libraries: the opaque handles wrap
// msv::gpu::model::Model and Snapshot. model_api.cpp has validated every argument before these run.
#include "common/error.h"
#include "model/model_backend.h"
#include "model/model_gpu.h"
#include "model/snapshot_format.h"

#include <cstring>
#include <string>

#include <unistd.h>

using msv::gpu::model::Model;
using msv::gpu::model::Snapshot;

struct msv_model {
    std::unique_ptr<Model> impl;
};

struct msv_snapshot {
    std::unique_ptr<Snapshot> impl;
    const msv_model* owner = nullptr;
};

namespace msv::backend {
namespace {

void copy_text(char* dst, size_t cap, const std::string& s) {
    std::strncpy(dst, s.c_str(), cap - 1);
    dst[cap - 1] = '\0';
}

// Why no device is usable, in the words the managed side shows: which of device, driver or permission.
std::string no_device_reason(cudaError_t err) {
#if defined(MSV_HIP)
    if (access("/dev/kfd", F_OK) != 0) return "driver: no /dev/kfd (the amdgpu kernel driver is not loaded)";
    if (access("/dev/kfd", R_OK | W_OK) != 0)
        return "permission: /dev/kfd exists but this user cannot open it (add the user to the render and video groups)";
#endif
    if (err == cudaErrorNoDevice) return "device: the runtime sees no GPU";
    if (err == cudaErrorInsufficientDriver) return std::string("driver: ") + cudaGetErrorString(err);
    return std::string("device query failed: ") + cudaGetErrorString(err);
}

}  // namespace

msv_status device_query(int32_t device, msv_device_info* out) {
    std::memset(out, 0, sizeof *out);
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess || count == 0) {
        (void)cudaGetLastError();
        copy_text(out->reason, sizeof out->reason, no_device_reason(err == cudaSuccess ? cudaErrorNoDevice : err));
        return MSV_OK;
    }
    out->count = count;
    if (device >= count) {
        copy_text(out->reason, sizeof out->reason,
                  "device: index " + std::to_string(device) + " of " + std::to_string(count) + " devices");
        return MSV_OK;
    }
    cudaDeviceProp prop{};
    if (cudaError_t e = cudaGetDeviceProperties(&prop, device); e != cudaSuccess)
        return set_error(MSV_ERR_DEVICE, std::string("msv_device_query: ") + cudaGetErrorString(e));
    copy_text(out->name, sizeof out->name, prop.name);
#if defined(MSV_HIP)
    copy_text(out->arch, sizeof out->arch, prop.gcnArchName);
#else
    copy_text(out->arch, sizeof out->arch, "sm_" + std::to_string(prop.major * 10 + prop.minor));
#endif
    out->warp_size = prop.warpSize;
    out->total_bytes = static_cast<int64_t>(prop.totalGlobalMem);
    int current = 0;
    size_t free_b = 0, total_b = 0;
    if (cudaGetDevice(&current) == cudaSuccess && cudaSetDevice(device) == cudaSuccess &&
        cudaMemGetInfo(&free_b, &total_b) == cudaSuccess)
        out->free_bytes = static_cast<int64_t>(free_b);
    (void)cudaSetDevice(current);
    (void)cudaGetLastError();
    return MSV_OK;
}

msv_status model_create(const msv_model_config& config, msv_model** out) {
    std::unique_ptr<Model> m;
    if (msv_status s = Model::create(config, &m); s != MSV_OK) return s;
    *out = new msv_model{std::move(m)};
    return MSV_OK;
}

void model_destroy(msv_model* m) { delete m; }
const msv_model_config& model_config(const msv_model* m) { return m->impl->config(); }
bool model_finalized(const msv_model* m) { return m->impl->finalized(); }
int32_t model_slots(const msv_model* m) { return m->impl->slots(); }
const msv_model* snapshot_owner(const msv_snapshot* s) { return s->owner; }

msv_status model_set_tensor(msv_model* m, msv_tensor t, int32_t layer, const void* host, msv_dtype src, int64_t count) {
    return m->impl->set_tensor(t, layer, host, src, count);
}
msv_status model_finalize(msv_model* m, int64_t* weight_bytes) { return m->impl->finalize(weight_bytes); }
msv_status model_memory(msv_model* m, int64_t* bytes_per_slot, int64_t* free_bytes) {
    return m->impl->memory(bytes_per_slot, free_bytes);
}
msv_status model_allocate_pool(msv_model* m, int32_t slots) { return m->impl->allocate_pool(slots); }
msv_status model_step(msv_model* m, const msv_step& s) { return m->impl->step(s); }
msv_status model_step_begin(msv_model* m, const msv_step& s) { return m->impl->step_begin(s); }
msv_status model_step_end(msv_model* m) { return m->impl->step_end(); }
msv_status model_step_wait_mark(msv_model* m) { return m->impl->step_wait_mark(); }
int32_t model_steps_in_flight(const msv_model* m) { return m->impl->steps_in_flight(); }
int32_t model_previous_samples(const msv_model* m) { return m->impl->previous_samples(); }
// The device reads a from_previous token in the decode path's embedding only (DecodeLayout::from).
bool model_from_previous_decode_only(const msv_model*) { return true; }
msv_status model_copy_slot(msv_model* m, int32_t src, int32_t dst) { return m->impl->copy_slot(src, dst); }
msv_status model_zero_slot(msv_model* m, int32_t slot) { return m->impl->zero_slot(slot); }

msv_status model_snapshot(msv_model* m, int32_t slot, msv_snapshot** out) {
    std::unique_ptr<Snapshot> s;
    if (msv_status st = m->impl->snapshot(slot, &s); st != MSV_OK) return st;
    *out = new msv_snapshot{std::move(s), m};
    return MSV_OK;
}

msv_status model_restore(msv_model* m, int32_t slot, const msv_snapshot* s) { return m->impl->restore(slot, *s->impl); }

int64_t snapshot_bytes(const msv_snapshot* s) { return msv::model::snapshot_export_bytes(s->impl->cfg); }

msv_status snapshot_read(const msv_snapshot* s, void* host, int64_t bytes) {
    return gpu::model::snapshot_export(*s->impl, host, bytes);
}

msv_status model_snapshot_from_host(msv_model* m, const void* host, int64_t bytes, msv_snapshot** out) {
    std::unique_ptr<Snapshot> s;
    if (msv_status st = m->impl->snapshot_from_host(host, bytes, &s); st != MSV_OK) return st;
    *out = new msv_snapshot{std::move(s), m};
    return MSV_OK;
}

void snapshot_free(msv_snapshot* s) { delete s; }

}  // namespace msv::backend
