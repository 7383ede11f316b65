// Argument checks of the msv_model_* entry points (model_api.cpp), kept apart so the rules are in one readable place.
// Each returns MSV_OK or MSV_ERR_INVALID_ARGUMENT with msv_last_error "function: what", naming the field, entry or
// sample at fault. Pointers are host memory here for every backend, so token ids and slots can be read.
#pragma once

#include "mambaserve.h"

#include <cstdint>
#include <string>

namespace msv::model {

// Every field of the config (sizes > 0, flags 0/1, dtypes, ranges); see msv_model_config in mambaserve.h.
msv_status validate_config(const msv_model_config* c);

// Tensor id known and present in this config, layer in range, host not NULL, src a dtype, count exact.
msv_status validate_tensor(const msv_model_config& c, int32_t t, int32_t layer, const void* host, msv_dtype src,
                           int64_t count);

// What from_previous entries are checked against: the sample count of the step begun before this one on the model
// (-1: none yet) and whether the backend reads such tokens only in a step of 1-token entries alone (the GPU).
struct PreviousStep {
    int32_t n_samples = -1;
    bool decode_only = false;
};

// A step against a pool of `slots` slots, named `function` in messages ("msv_model_step", "msv_model_step_begin"):
//  - the step: counts >= 0, arrays present, total tokens <= max_step_tokens, 1-token entries <= max_decode_batch,
//    the outputs a target or an entry asks for are not NULL;
//  - each entry: slot in [0, slots), n_tokens >= 1, all_logits 0/1, its target range inside [0, n_samples) and
//    disjoint from the other entries'; from_previous 0 with tokens not NULL and in [0, vocab), or from_previous
//    k >= 1 with n_tokens 1, a previous step and k - 1 < its n_samples (and, decode_only, no entry of more than one
//    token in the step); reserved 0, n_stop_ids >= 0, and n_stop_ids > 0 only on a from_previous entry, with
//    stop_ids not NULL;
//  - each target: owned by an entry, slot in range, reset 0/1, position >= 0, sampling valid (validate_sampling);
//  - slots: each used once per step (entry slots and fork targets), at most one own target per entry.
// *bad_entry (if not NULL) is set to -1, or to the entry at fault.
msv_status validate_step(const msv_step* s, const msv_model_config& c, int32_t slots, const PreviousStep& previous,
                         int32_t* bad_entry, const char* function = "msv_model_step");

// "" when the parameters are valid for this config; else the rule broken, e.g. "top_p must be in (0, 1], got 2".
// reset: whether prompt_ids will be read.
std::string check_sampling(const msv_sampling& p, const msv_model_config& c, bool reset);

}  // namespace msv::model
