// The export layout of a snapshot (msv_snapshot_read / msv_model_snapshot_from_host), shared by every backend so an
// export moves between libraries: a 32-byte header, then conv state [n_layer, d_inner, d_conv - 1] fp32, then SSM
// state [n_layer, d_inner, d_state] in the state dtype (fp32, or bf16 bits). Little-endian hosts only.
#pragma once

#include "mambaserve.h"

#include <cstdint>
#include <cstring>
#include <string>

namespace msv::model {

struct SnapshotHeader {
    char magic[8];                   // "MSVSNAP1"
    int32_t n_layer, d_inner, d_conv, d_state, state_dtype, reserved;
};
static_assert(sizeof(SnapshotHeader) == 32, "the header is 32 bytes, as mambaserve.h says");

inline int64_t conv_state_elements(const msv_model_config& c) {
    return static_cast<int64_t>(c.n_layer) * c.d_inner * (c.d_conv - 1);
}
inline int64_t ssm_state_elements(const msv_model_config& c) {
    return static_cast<int64_t>(c.n_layer) * c.d_inner * c.d_state;
}
inline int64_t ssm_state_element_bytes(const msv_model_config& c) { return c.state_dtype == MSV_BF16 ? 2 : 4; }
// Bytes of the payload's conv part: fp32, whatever type a backend's pool holds it in.
inline int64_t conv_payload_bytes(const msv_model_config& c) { return conv_state_elements(c) * 4; }
// Bytes of one slot's recurrent state: conv (fp32) + SSM (state dtype).
inline int64_t state_payload_bytes(const msv_model_config& c) {
    return conv_payload_bytes(c) + ssm_state_elements(c) * ssm_state_element_bytes(c);
}
inline int64_t snapshot_export_bytes(const msv_model_config& c) {
    return static_cast<int64_t>(sizeof(SnapshotHeader)) + state_payload_bytes(c);
}

inline SnapshotHeader make_snapshot_header(const msv_model_config& c) {
    SnapshotHeader h{};
    std::memcpy(h.magic, "MSVSNAP1", 8);
    h.n_layer = c.n_layer;
    h.d_inner = c.d_inner;
    h.d_conv = c.d_conv;
    h.d_state = c.d_state;
    h.state_dtype = static_cast<int32_t>(c.state_dtype);
    return h;
}

// "" when `host` (bytes long) is an export this model can import; else why not.
inline std::string check_snapshot_export(const msv_model_config& c, const void* host, int64_t bytes) {
    const int64_t expected = snapshot_export_bytes(c);
    if (bytes != expected)
        return "bytes must be " + std::to_string(expected) + " for this model, got " + std::to_string(bytes);
    SnapshotHeader h;
    std::memcpy(&h, host, sizeof h);
    const SnapshotHeader want = make_snapshot_header(c);
    if (std::memcmp(h.magic, want.magic, 8) != 0) return "not a snapshot export (bad magic)";
    if (h.n_layer != want.n_layer || h.d_inner != want.d_inner || h.d_conv != want.d_conv ||
        h.d_state != want.d_state || h.state_dtype != want.state_dtype)
        return "snapshot of another shape: n_layer " + std::to_string(h.n_layer) + ", d_inner " +
               std::to_string(h.d_inner) + ", d_conv " + std::to_string(h.d_conv) + ", d_state " +
               std::to_string(h.d_state) + ", state_dtype " + std::to_string(h.state_dtype);
    return {};
}

}  // namespace msv::model
