// The msv_model_* functions every backend implements (cpu/cpu_model.cpp with the fp32 reference, the GPU libraries
// with their kernels). model_api.cpp validates every argument first, as documented in mambaserve.h, so a backend
// sees only: a non-NULL model, a valid config, tensor ids / layers / counts that fit the config, slots inside the
// pool, and a step whose entries, targets, slots, token ids and sampling parameters are all in range (see
// model_validate.h for the exact list). A backend still checks what only it can know (free memory, supported
// shapes and dtypes: MSV_ERR_UNSUPPORTED) and sets the message through msv::set_error.
//
// Each backend defines `struct msv_model` and `struct msv_snapshot` itself.
#pragma once

#include "mambaserve.h"

#include <cstdint>

namespace msv::backend {

msv_status device_query(int32_t device, msv_device_info* out);

msv_status model_create(const msv_model_config& config, msv_model** out);
void model_destroy(msv_model* m);

// Facts the validation layer needs; cheap, never fail.
const msv_model_config& model_config(const msv_model* m);
bool model_finalized(const msv_model* m);
int32_t model_slots(const msv_model* m);                    // 0 until model_allocate_pool
const msv_model* snapshot_owner(const msv_snapshot* s);     // the model that made or imported it (never dereferenced)

// count already equals model_tensor_count(config, t); layer is in range for per-layer tensors, 0 for the others.
msv_status model_set_tensor(msv_model* m, msv_tensor t, int32_t layer, const void* host, msv_dtype src,
                            int64_t count);
// Not yet finalized. Must fail, naming the tensor (model_tensor_name), when one was never set.
msv_status model_finalize(msv_model* m, int64_t* weight_bytes);
msv_status model_memory(msv_model* m, int64_t* bytes_per_slot, int64_t* free_bytes);
// Finalized, pool not yet allocated, slots > 0.
msv_status model_allocate_pool(msv_model* m, int32_t slots);

// Steps (model_validate.h checked the step, from_previous against model_previous_samples; model_api.cpp checked the
// count in flight). model_step runs one step to its end with none in flight; model_step_begin starts one with fewer
// than two in flight (the GPU enqueues it, the CPU runs it) and model_step_end finishes the oldest of at least one.
// The step begun last (by either) is the previous step that from_previous reads; a step that fails after
// validation, at its begin or at its end while it is the last begun, leaves none (its draws may be half written).
msv_status model_step(msv_model* m, const msv_step& s);
msv_status model_step_begin(msv_model* m, const msv_step& s);
msv_status model_step_end(msv_model* m);
// Blocks until the step begun last has passed its mark late in its forward; at once when none is in flight or it has
// no mark (the CPU runs a step at its begin). Pool allocated.
msv_status model_step_wait_mark(msv_model* m);
// Steps begun and not yet ended (0..2).
int32_t model_steps_in_flight(const msv_model* m);
// n_samples of the step begun last, whose draws from_previous reads; -1 when there is none.
int32_t model_previous_samples(const msv_model* m);
// Whether from_previous entries need a step of 1-token entries alone (the GPU reads the token in its decode path).
bool model_from_previous_decode_only(const msv_model* m);

// Slots are inside the pool; src != dst for copy.
msv_status model_copy_slot(msv_model* m, int32_t src, int32_t dst);
msv_status model_zero_slot(msv_model* m, int32_t slot);
msv_status model_snapshot(msv_model* m, int32_t slot, msv_snapshot** out);
// s belongs to m.
msv_status model_restore(msv_model* m, int32_t slot, const msv_snapshot* s);
// The export size: snapshot_export_bytes(config of its model), model/snapshot_format.h.
int64_t snapshot_bytes(const msv_snapshot* s);
// bytes == snapshot_bytes(s); writes the header and the payload.
msv_status snapshot_read(const msv_snapshot* s, void* host, int64_t bytes);
// host holds bytes == snapshot_export_bytes(config) and a header that matches the model (already checked).
msv_status model_snapshot_from_host(msv_model* m, const void* host, int64_t bytes, msv_snapshot** out);
void snapshot_free(msv_snapshot* s);

}  // namespace msv::backend
