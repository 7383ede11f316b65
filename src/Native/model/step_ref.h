// One msv_step on the reference model and sampler: the semantics every backend's msv_model_step must match.
#pragma once

#include "mambaserve.h"
#include "model/model_ref.h"
#include "model/sampler_ref.h"

namespace msv::ref {

// `step` must be valid for the model (model_validate.h's validate_step). In order:
//  1. every entry, each on its own (Model::forward from its slot's state), in entry order; an entry with all_logits
//     writes its rows to out_logits (rows concatenated in entry order), one with targets keeps its last row;
//  2. the forks: each target whose slot differs from its entry's gets a copy of the entry's state after the chunk;
//  3. sampling: each target, reset first when asked (prompt_ids), draws from its entry's last row with its own slot's
//     sampler state (Sampler::draw), writing out_tokens / out_logprobs and, when not NULL, its row of out_top_*.
void run_step(Model& model, Sampler& sampler, const msv_step& step);

}  // namespace msv::ref
