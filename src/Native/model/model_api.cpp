// extern "C" msv_model_* / msv_snapshot_* / msv_device_query: validate every argument (model_validate.h), then hand
// over to msv::backend (model_backend.h). The lifecycle order (tensors before finalize, pool after it, once each)
// is checked here too, so no backend has to.
#include "common/error.h"
#include "common/validate.h"
#include "model/model_backend.h"
#include "model/model_tensors.h"
#include "model/model_validate.h"
#include "model/snapshot_format.h"

#include <string>

namespace {

using msv::backend::model_config;
using msv::backend::model_finalized;
using msv::backend::model_slots;

msv_status invalid(const char* function, const std::string& what) {
    return msv::set_error(MSV_ERR_INVALID_ARGUMENT, std::string(function) + ": " + what);
}

// The model exists, is finalized and has its pool: what every slot operation and step needs.
msv_status require_pool(const msv_model* m, const char* function) {
    if (m == nullptr) return invalid(function, "model is NULL");
    if (model_slots(m) == 0) return invalid(function, "no state pool yet: call msv_model_allocate_pool first");
    return MSV_OK;
}

msv_status require_slot(const msv_model* m, int32_t slot, const char* function, const char* field) {
    if (slot >= 0 && slot < model_slots(m)) return MSV_OK;
    return invalid(function, std::string(field) + " " + std::to_string(slot) + " out of range [0, " +
                                 std::to_string(model_slots(m)) + ")");
}

// The checks msv_model_step and msv_model_step_begin share: the pool, the count in flight (none for a step that
// waits, fewer than two for a begin), then the step itself.
msv_status check_step(msv_model* m, const msv_step* s, const char* fn, bool begin) {
    if (s != nullptr && s->out_bad_entry != nullptr) *s->out_bad_entry = -1;
    if (msv_status st = require_pool(m, fn); st != MSV_OK) return st;
    const int32_t in_flight = msv::backend::model_steps_in_flight(m);
    if (!begin && in_flight > 0)
        return invalid(fn, std::string(in_flight == 1 ? "a step" : "two steps") +
                               " begun with msv_model_step_begin not ended yet: call msv_model_step_end first");
    if (begin && in_flight >= 2)
        return invalid(fn, "two steps are begun and not ended, the most allowed: call msv_model_step_end first");
    msv::model::PreviousStep previous;
    previous.n_samples = msv::backend::model_previous_samples(m);
    previous.decode_only = msv::backend::model_from_previous_decode_only(m);
    return msv::model::validate_step(s, model_config(m), model_slots(m), previous, s ? s->out_bad_entry : nullptr, fn);
}

}  // namespace

extern "C" MSV_API msv_status msv_device_query(int32_t device, msv_device_info* out) {
    return msv::guarded("msv_device_query", [&] {
        msv::Validator v("msv_device_query");
        v.at_least(device, 0, "device").not_null(out, "out");
        return v.ok() ? msv::backend::device_query(device, out) : v.status();
    });
}

extern "C" MSV_API msv_status msv_model_create(const msv_model_config* config, msv_model** out) {
    return msv::guarded("msv_model_create", [&] {
        if (out == nullptr) return invalid("msv_model_create", "out is NULL");
        *out = nullptr;
        const msv_status s = msv::model::validate_config(config);
        return s != MSV_OK ? s : msv::backend::model_create(*config, out);
    });
}

extern "C" MSV_API void msv_model_destroy(msv_model* m) {
    if (m != nullptr) msv::backend::model_destroy(m);
}

extern "C" MSV_API msv_status msv_model_set_tensor(msv_model* m, msv_tensor t, int32_t layer, const void* host,
                                                   msv_dtype src, int64_t count) {
    return msv::guarded("msv_model_set_tensor", [&] {
        if (m == nullptr) return invalid("msv_model_set_tensor", "model is NULL");
        if (model_finalized(m)) return invalid("msv_model_set_tensor", "the model is already finalized");
        const msv_status s = msv::model::validate_tensor(model_config(m), t, layer, host, src, count);
        if (s != MSV_OK) return s;
        return msv::backend::model_set_tensor(m, t, msv::model::is_layer_tensor(t) ? layer : 0, host, src, count);
    });
}

extern "C" MSV_API msv_status msv_model_finalize(msv_model* m, int64_t* weight_bytes) {
    return msv::guarded("msv_model_finalize", [&] {
        if (m == nullptr) return invalid("msv_model_finalize", "model is NULL");
        if (model_finalized(m)) return invalid("msv_model_finalize", "the model is already finalized");
        return msv::backend::model_finalize(m, weight_bytes);
    });
}

extern "C" MSV_API msv_status msv_model_memory(msv_model* m, int64_t* bytes_per_slot, int64_t* free_bytes) {
    return msv::guarded("msv_model_memory", [&] {
        if (m == nullptr) return invalid("msv_model_memory", "model is NULL");
        return msv::backend::model_memory(m, bytes_per_slot, free_bytes);
    });
}

extern "C" MSV_API msv_status msv_model_allocate_pool(msv_model* m, int32_t slots) {
    return msv::guarded("msv_model_allocate_pool", [&] {
        const char* fn = "msv_model_allocate_pool";
        if (m == nullptr) return invalid(fn, "model is NULL");
        if (!model_finalized(m)) return invalid(fn, "the model is not finalized: call msv_model_finalize first");
        if (model_slots(m) != 0) return invalid(fn, "the pool is already allocated");
        if (slots <= 0) return invalid(fn, "slots must be > 0, got " + std::to_string(slots));
        return msv::backend::model_allocate_pool(m, slots);
    });
}

extern "C" MSV_API msv_status msv_model_step(msv_model* m, const msv_step* s) {
    return msv::guarded("msv_model_step", [&] {
        const msv_status st = check_step(m, s, "msv_model_step", false);
        return st != MSV_OK ? st : msv::backend::model_step(m, *s);
    });
}

extern "C" MSV_API msv_status msv_model_step_begin(msv_model* m, const msv_step* s) {
    return msv::guarded("msv_model_step_begin", [&] {
        const msv_status st = check_step(m, s, "msv_model_step_begin", true);
        return st != MSV_OK ? st : msv::backend::model_step_begin(m, *s);
    });
}

extern "C" MSV_API msv_status msv_model_step_end(msv_model* m) {
    return msv::guarded("msv_model_step_end", [&] {
        if (msv_status st = require_pool(m, "msv_model_step_end"); st != MSV_OK) return st;
        if (msv::backend::model_steps_in_flight(m) == 0)
            return invalid("msv_model_step_end", "no step in flight (begun with msv_model_step_begin and not ended)");
        return msv::backend::model_step_end(m);
    });
}

extern "C" MSV_API msv_status msv_model_step_wait_mark(msv_model* m) {
    return msv::guarded("msv_model_step_wait_mark", [&] {
        if (msv_status st = require_pool(m, "msv_model_step_wait_mark"); st != MSV_OK) return st;
        return msv::backend::model_step_wait_mark(m);
    });
}

extern "C" MSV_API msv_status msv_model_copy_slot(msv_model* m, int32_t src, int32_t dst) {
    return msv::guarded("msv_model_copy_slot", [&] {
        const char* fn = "msv_model_copy_slot";
        if (msv_status st = require_pool(m, fn); st != MSV_OK) return st;
        if (msv_status st = require_slot(m, src, fn, "src"); st != MSV_OK) return st;
        if (msv_status st = require_slot(m, dst, fn, "dst"); st != MSV_OK) return st;
        return src == dst ? MSV_OK : msv::backend::model_copy_slot(m, src, dst);
    });
}

extern "C" MSV_API msv_status msv_model_zero_slot(msv_model* m, int32_t slot) {
    return msv::guarded("msv_model_zero_slot", [&] {
        if (msv_status st = require_pool(m, "msv_model_zero_slot"); st != MSV_OK) return st;
        if (msv_status st = require_slot(m, slot, "msv_model_zero_slot", "slot"); st != MSV_OK) return st;
        return msv::backend::model_zero_slot(m, slot);
    });
}

extern "C" MSV_API msv_status msv_model_snapshot(msv_model* m, int32_t slot, msv_snapshot** out) {
    return msv::guarded("msv_model_snapshot", [&] {
        const char* fn = "msv_model_snapshot";
        if (out == nullptr) return invalid(fn, "out is NULL");
        *out = nullptr;
        if (msv_status st = require_pool(m, fn); st != MSV_OK) return st;
        if (msv_status st = require_slot(m, slot, fn, "slot"); st != MSV_OK) return st;
        return msv::backend::model_snapshot(m, slot, out);
    });
}

extern "C" MSV_API msv_status msv_model_restore(msv_model* m, int32_t slot, const msv_snapshot* s) {
    return msv::guarded("msv_model_restore", [&] {
        const char* fn = "msv_model_restore";
        if (msv_status st = require_pool(m, fn); st != MSV_OK) return st;
        if (msv_status st = require_slot(m, slot, fn, "slot"); st != MSV_OK) return st;
        if (s == nullptr) return invalid(fn, "snapshot is NULL");
        if (msv::backend::snapshot_owner(s) != m)
            return invalid(fn, "the snapshot belongs to another model (export and import it to move it)");
        return msv::backend::model_restore(m, slot, s);
    });
}

extern "C" MSV_API int64_t msv_snapshot_bytes(const msv_snapshot* s) {
    return s == nullptr ? -1 : msv::backend::snapshot_bytes(s);
}

extern "C" MSV_API msv_status msv_snapshot_read(const msv_snapshot* s, void* host, int64_t bytes) {
    return msv::guarded("msv_snapshot_read", [&] {
        const char* fn = "msv_snapshot_read";
        if (s == nullptr) return invalid(fn, "snapshot is NULL");
        if (host == nullptr) return invalid(fn, "host is NULL");
        const int64_t expected = msv::backend::snapshot_bytes(s);
        if (bytes != expected)
            return invalid(fn, "bytes must be " + std::to_string(expected) + ", got " + std::to_string(bytes));
        return msv::backend::snapshot_read(s, host, bytes);
    });
}

extern "C" MSV_API msv_status msv_model_snapshot_from_host(msv_model* m, const void* host, int64_t bytes,
                                                           msv_snapshot** out) {
    return msv::guarded("msv_model_snapshot_from_host", [&] {
        const char* fn = "msv_model_snapshot_from_host";
        if (out == nullptr) return invalid(fn, "out is NULL");
        *out = nullptr;
        if (msv_status st = require_pool(m, fn); st != MSV_OK) return st;
        if (host == nullptr) return invalid(fn, "host is NULL");
        if (auto why = msv::model::check_snapshot_export(model_config(m), host, bytes); !why.empty())
            return invalid(fn, why);
        return msv::backend::model_snapshot_from_host(m, host, bytes, out);
    });
}

extern "C" MSV_API void msv_snapshot_free(msv_snapshot* s) {
    if (s != nullptr) msv::backend::snapshot_free(s);
}
