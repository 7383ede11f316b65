// Slot operations and snapshots on the GPU: a slot's state is two contiguous ranges (conv, SSM) of the pools, so
// copy, zero, snapshot and restore are two device copies or memsets each; snapshots stay in device memory.
#include "common/error.h"
#include "model/model_gpu.h"
#include "model/snapshot_format.h"

#include <cstring>
#include <string>

namespace msv::gpu::model {
Snapshot::~Snapshot() {
    const std::lock_guard<std::recursive_mutex> hold(device_memory_lock());
    if (!data) return;
    // Nothing on the device uses the payload any more: every snapshot, restore and export waits for its copies.
    if (recycle && recycle->free.size() < recycle->keep)
        recycle->free.push_back(data);
    else
        (void)cudaFree(data);
}

SnapshotBuffers::~SnapshotBuffers() {
    const std::lock_guard<std::recursive_mutex> hold(device_memory_lock());
    for (void* p : free) (void)cudaFree(p);
}

// A snapshot's payload is the export's (conv state fp32, then SSM state): the conv state converts on the way in and
// out of the pool, which holds it in the weight type.
int64_t Model::snapshot_payload_bytes() const { return msv::model::state_payload_bytes(cfg_); }

size_t Model::conv_slot_bytes() const { return size_t(d_.conv_slot) * dsize(cfg_.weight_dtype); }

void* Model::conv_at(int slot, int l) const {
    return static_cast<char*>(conv_pool_) +
           (int64_t(slot) * d_.conv_slot + int64_t(l) * d_.di * (d_.dc - 1)) * int64_t(dsize(cfg_.weight_dtype));
}

size_t Model::ssm_slot_bytes() const { return size_t(d_.ssm_slot) * dsize(cfg_.state_dtype); }

void* Model::ssm_at(int slot, int l) const {
    return static_cast<char*>(ssm_pool_) +
           (int64_t(slot) * d_.ssm_slot + int64_t(l) * d_.di * d_.ds) * int64_t(dsize(cfg_.state_dtype));
}

msv_status Model::copy_slot_async(int src, int dst) {
    if (cudaError_t e = cudaMemcpyAsync(conv_at(dst), conv_at(src), conv_slot_bytes(), cudaMemcpyDeviceToDevice, stream_);
        e != cudaSuccess)
        return fail(e, "slot copy");
    if (cudaError_t e = cudaMemcpyAsync(ssm_at(dst), ssm_at(src), ssm_slot_bytes(), cudaMemcpyDeviceToDevice, stream_);
        e != cudaSuccess)
        return fail(e, "slot copy");
    return MSV_OK;
}

msv_status Model::copy_slot(int src, int dst) {
    if (msv_status s = check_lost(); s != MSV_OK) return s;
    if (msv_status s = copy_slot_async(src, dst); s != MSV_OK) return s;
    return sync("msv_model_copy_slot");
}

msv_status Model::zero_slot(int slot) {
    if (msv_status s = check_lost(); s != MSV_OK) return s;
    if (cudaError_t e = cudaMemsetAsync(conv_at(slot), 0, conv_slot_bytes(), stream_); e != cudaSuccess)
        return fail(e, "msv_model_zero_slot");
    if (cudaError_t e = cudaMemsetAsync(ssm_at(slot), 0, ssm_slot_bytes(), stream_); e != cudaSuccess)
        return fail(e, "msv_model_zero_slot");
    return sync("msv_model_zero_slot");
}

msv_status Model::zero_pools() {
    if (msv_status s = check_lost(); s != MSV_OK) return s;
    const size_t n = size_t(slots_) + 1;
    cudaError_t e = cudaMemsetAsync(conv_pool_, 0, n * conv_slot_bytes(), stream_);
    if (e == cudaSuccess) e = cudaMemsetAsync(ssm_pool_, 0, n * ssm_slot_bytes(), stream_);
    if (e == cudaSuccess) e = cudaMemsetAsync(counts_, 0, size_t(slots_) * d_.vs * 4, stream_);
    if (e == cudaSuccess) e = cudaMemsetAsync(seen_, 0, size_t(slots_) * d_.vs, stream_);
    if (e != cudaSuccess) return fail(e, "msv_model_allocate_pool: zeroing the pools");
    return sync("msv_model_allocate_pool");
}

// Between a snapshot's payload (conv then SSM) and a slot of the pools, either way; the conv state through the
// conversion kernel (fp32 in the payload, the weight type in the pool: exact both ways for states the model wrote).
msv_status Model::move_snapshot(int slot, void* payload, bool to_slot) {
    const size_t cb = size_t(msv::model::conv_payload_bytes(cfg_)), sb = ssm_slot_bytes();
    void* conv = conv_at(slot);
    void* ssm = ssm_at(slot);
    char* p = static_cast<char*>(payload);
    const msv_dtype wt = cfg_.weight_dtype;
    const int64_t n = d_.conv_slot;
    if (msv_status s = to_slot ? launch_convert(conv, wt, n, n, p, MSV_F32, 0, n, stream_)
                               : launch_convert(p, MSV_F32, n, n, conv, wt, 0, n, stream_);
        s != MSV_OK)
        return s;
    const cudaError_t e = to_slot ? cudaMemcpyAsync(ssm, p + cb, sb, cudaMemcpyDeviceToDevice, stream_)
                                  : cudaMemcpyAsync(p + cb, ssm, sb, cudaMemcpyDeviceToDevice, stream_);
    if (e != cudaSuccess) return fail(e, to_slot ? "msv_model_restore" : "msv_model_snapshot");
    return sync(to_slot ? "msv_model_restore" : "msv_model_snapshot");
}

msv_status Model::new_snapshot(std::unique_ptr<Snapshot>* out) {
    auto snap = std::make_unique<Snapshot>();
    snap->model_id = id_, snap->cfg = cfg_, snap->bytes = snapshot_payload_bytes();
    snap->recycle = snapshot_buffers_;
    {
        const std::lock_guard<std::recursive_mutex> hold(device_memory_lock());
        if (!snapshot_buffers_->free.empty()) {
            snap->data = snapshot_buffers_->free.back();
            snapshot_buffers_->free.pop_back();
        }
    }
    if (snap->data == nullptr) {
        if (msv_status s = alloc_device(&snap->data, size_t(snap->bytes), "snapshot", false); s != MSV_OK) return s;
    }
    *out = std::move(snap);
    return MSV_OK;
}

msv_status Model::snapshot(int slot, std::unique_ptr<Snapshot>* out) {
    if (msv_status s = check_lost(); s != MSV_OK) return s;
    std::unique_ptr<Snapshot> snap;
    if (msv_status s = new_snapshot(&snap); s != MSV_OK) return s;
    if (msv_status s = move_snapshot(slot, snap->data, false); s != MSV_OK) return s;
    *out = std::move(snap);
    return MSV_OK;
}

msv_status Model::restore(int slot, const Snapshot& snap) {
    if (msv_status s = check_lost(); s != MSV_OK) return s;
    return move_snapshot(slot, snap.data, true);
}

msv_status Model::snapshot_from_host(const void* host, int64_t bytes, std::unique_ptr<Snapshot>* out) {
    if (msv_status s = check_lost(); s != MSV_OK) return s;
    const int64_t header = static_cast<int64_t>(sizeof(msv::model::SnapshotHeader));
    std::unique_ptr<Snapshot> snap;
    if (msv_status s = new_snapshot(&snap); s != MSV_OK) return s;
    if (bytes != header + snap->bytes)
        return set_error(MSV_ERR_INVALID_ARGUMENT, "msv_model_snapshot_from_host: wrong size");
    // On the model's stream, which does not wait for the legacy stream of a plain cudaMemcpy: a restore that follows
    // must see the whole copy (a plain cudaMemcpy from pageable memory may return before its DMA lands).
    if (cudaError_t e = cudaMemcpyAsync(snap->data, static_cast<const char*>(host) + header, size_t(snap->bytes),
                                        cudaMemcpyHostToDevice, stream_);
        e != cudaSuccess)
        return fail(e, "msv_model_snapshot_from_host");
    if (msv_status s = sync("msv_model_snapshot_from_host"); s != MSV_OK) return s;
    *out = std::move(snap);
    return MSV_OK;
}

// Export: the shared header, then the payload as it sits in device memory.
msv_status snapshot_export(const Snapshot& snap, void* host, int64_t bytes) {
    const msv::model::SnapshotHeader h = msv::model::make_snapshot_header(snap.cfg);
    if (bytes != int64_t(sizeof h) + snap.bytes)
        return set_error(MSV_ERR_INVALID_ARGUMENT, "msv_snapshot_read: bytes must be " +
                                                       std::to_string(int64_t(sizeof h) + snap.bytes));
    std::memcpy(host, &h, sizeof h);
    const cudaError_t e = cudaMemcpy(static_cast<char*>(host) + sizeof h, snap.data, size_t(snap.bytes),
                                     cudaMemcpyDeviceToHost);
    if (e != cudaSuccess) return set_error(MSV_ERR_DEVICE, std::string("msv_snapshot_read: ") + cudaGetErrorString(e));
    return MSV_OK;
}

}  // namespace msv::gpu::model
