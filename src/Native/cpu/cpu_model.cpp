// msv::backend::model_* for the CPU library: the fp32 reference model (model/model_ref.h) and sampler
// (model/sampler_ref.h) are the implementation; host memory throughout. Arguments arrive validated (model_api.cpp).
#include "common/error.h"
#include "model/model_backend.h"
#include "model/model_ref.h"
#include "model/sampler_ref.h"
#include "model/snapshot_format.h"
#include "model/step_ref.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

struct msv_model {
    explicit msv_model(const msv_model_config& c) : model(c) {}
    msv::ref::Model model;
    std::unique_ptr<msv::ref::Sampler> sampler;
    bool finalized = false;
    // Steps: msv_model_step_begin runs the step to its end at once and writes its outputs then (end only promises
    // them by its return), so a begun step leaves nothing for its end but a count.
    int32_t in_flight = 0;
    // The tokens the step begun last drew, by sample index (from_previous reads them); valid only when `previous`.
    std::vector<int32_t> previous_tokens;
    bool previous = false;
};

struct msv_snapshot {
    const msv_model* owner;
    msv_model_config config;
    std::vector<uint8_t> payload;  // model/snapshot_format.h's payload, without the header
};

namespace msv::backend {
namespace {

int64_t host_free_bytes() {
    const long pages = sysconf(_SC_AVPHYS_PAGES);
    const long page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? static_cast<int64_t>(pages) * page : 0;
}

// Sampler state per slot: a seen flag and an output count per sampleable id.
int64_t sampler_bytes_per_slot(const msv_model_config& c) {
    return static_cast<int64_t>(c.sampleable_vocab) * (sizeof(uint8_t) + sizeof(int32_t));
}

}  // namespace

msv_status device_query(int32_t, msv_device_info* out) {
    std::memset(out, 0, sizeof *out);
    std::strncpy(out->reason, "cpu library", sizeof out->reason - 1);
    return MSV_OK;
}

msv_status model_create(const msv_model_config& config, msv_model** out) {
    if (config.weight_dtype != MSV_F32)
        return set_error(MSV_ERR_UNSUPPORTED, "msv_model_create: the cpu library runs the fp32 reference model, so "
                                              "weight_dtype must be MSV_F32, got " +
                                                  std::to_string(static_cast<int>(config.weight_dtype)));
    *out = new msv_model(config);
    return MSV_OK;
}

void model_destroy(msv_model* m) { delete m; }

const msv_model_config& model_config(const msv_model* m) { return m->model.config(); }
bool model_finalized(const msv_model* m) { return m->finalized; }
int32_t model_slots(const msv_model* m) { return m->model.slots(); }
const msv_model* snapshot_owner(const msv_snapshot* s) { return s->owner; }

msv_status model_set_tensor(msv_model* m, msv_tensor t, int32_t layer, const void* host, msv_dtype src, int64_t) {
    m->model.set_tensor(t, layer, host, src);
    return MSV_OK;
}

msv_status model_finalize(msv_model* m, int64_t* weight_bytes) {
    const std::string missing = m->model.missing_tensor();
    if (!missing.empty()) return set_error(MSV_ERR_INVALID_ARGUMENT, "msv_model_finalize: " + missing + " was never set");
    m->finalized = true;
    if (weight_bytes) *weight_bytes = m->model.weight_bytes();
    return MSV_OK;
}

msv_status model_memory(msv_model* m, int64_t* bytes_per_slot, int64_t* free_bytes) {
    const msv_model_config& c = m->model.config();
    if (bytes_per_slot) *bytes_per_slot = model::state_payload_bytes(c) + sampler_bytes_per_slot(c);
    if (free_bytes) *free_bytes = host_free_bytes();
    return MSV_OK;
}

msv_status model_allocate_pool(msv_model* m, int32_t slots) {
    const msv_model_config& c = m->model.config();
    try {
        m->model.allocate_pool(slots);
        m->sampler = std::make_unique<ref::Sampler>(slots, c.sampleable_vocab);
    } catch (const std::bad_alloc&) {
        const int64_t per_slot = model::state_payload_bytes(c) + sampler_bytes_per_slot(c);
        return set_error(MSV_ERR_OUT_OF_MEMORY, "msv_model_allocate_pool: " + std::to_string(slots) + " slots of " +
                                                    std::to_string(per_slot) + " bytes did not fit in host memory (" +
                                                    std::to_string(host_free_bytes()) + " bytes free)");
    }
    return MSV_OK;
}

msv_status model_step(msv_model* m, const msv_step& s) {
    // from_previous entries read the previous step's draws: the step runs on a copy of the entries that points each
    // of them at its token.
    std::vector<msv_step_entry> entries(s.entries, s.entries + s.n_entries);
    std::vector<int32_t> tokens(entries.size());
    // Entries whose token is one of their stop ids keep their slot's state: it is put back after the step.
    std::vector<std::pair<int32_t, std::vector<uint8_t>>> held;
    for (size_t i = 0; i < entries.size(); ++i)
        if (entries[i].from_previous > 0) {
            tokens[i] = m->previous_tokens[static_cast<size_t>(entries[i].from_previous - 1)];
            entries[i].tokens = &tokens[i];
            const int32_t* stop = entries[i].stop_ids;
            if (std::find(stop, stop + entries[i].n_stop_ids, tokens[i]) != stop + entries[i].n_stop_ids) {
                held.emplace_back(entries[i].slot, std::vector<uint8_t>(size_t(model::state_payload_bytes(m->model.config()))));
                m->model.read_state(entries[i].slot, held.back().second.data());
            }
        }
    msv_step run = s;
    run.entries = entries.data();
    // A step that throws half way (host memory) leaves no previous step: its draws may be half written.
    m->previous = false;
    ref::run_step(m->model, *m->sampler, run);
    for (const auto& [slot, state] : held) m->model.write_state(slot, state.data());
    m->previous_tokens.assign(s.out_tokens, s.out_tokens + s.n_samples);
    m->previous = true;
    return MSV_OK;
}

msv_status model_step_begin(msv_model* m, const msv_step& s) {
    const msv_status st = model_step(m, s);
    if (st == MSV_OK) ++m->in_flight;
    return st;
}

msv_status model_step_end(msv_model* m) {
    --m->in_flight;
    return MSV_OK;
}

// A step ran to its end at its begin: it is past any mark.
msv_status model_step_wait_mark(msv_model*) { return MSV_OK; }
int32_t model_steps_in_flight(const msv_model* m) { return m->in_flight; }
int32_t model_previous_samples(const msv_model* m) {
    return m->previous ? static_cast<int32_t>(m->previous_tokens.size()) : -1;
}
bool model_from_previous_decode_only(const msv_model*) { return false; }

msv_status model_copy_slot(msv_model* m, int32_t src, int32_t dst) {
    m->model.copy_slot(src, dst);
    return MSV_OK;
}

msv_status model_zero_slot(msv_model* m, int32_t slot) {
    m->model.zero_slot(slot);
    return MSV_OK;
}

msv_status model_snapshot(msv_model* m, int32_t slot, msv_snapshot** out) {
    const msv_model_config& c = m->model.config();
    auto snapshot = std::make_unique<msv_snapshot>(
        msv_snapshot{m, c, std::vector<uint8_t>(static_cast<size_t>(model::state_payload_bytes(c)))});
    m->model.read_state(slot, snapshot->payload.data());
    *out = snapshot.release();
    return MSV_OK;
}

msv_status model_restore(msv_model* m, int32_t slot, const msv_snapshot* s) {
    m->model.write_state(slot, s->payload.data());
    return MSV_OK;
}

int64_t snapshot_bytes(const msv_snapshot* s) { return model::snapshot_export_bytes(s->config); }

msv_status snapshot_read(const msv_snapshot* s, void* host, int64_t) {
    const model::SnapshotHeader header = model::make_snapshot_header(s->config);
    std::memcpy(host, &header, sizeof header);
    std::memcpy(static_cast<uint8_t*>(host) + sizeof header, s->payload.data(), s->payload.size());
    return MSV_OK;
}

msv_status model_snapshot_from_host(msv_model* m, const void* host, int64_t bytes, msv_snapshot** out) {
    const auto* payload = static_cast<const uint8_t*>(host) + sizeof(model::SnapshotHeader);
    const size_t size = static_cast<size_t>(bytes) - sizeof(model::SnapshotHeader);
    *out = new msv_snapshot{m, m->model.config(), std::vector<uint8_t>(payload, payload + size)};
    return MSV_OK;
}

void snapshot_free(msv_snapshot* s) { delete s; }

}  // namespace msv::backend
