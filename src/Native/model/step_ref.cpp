#include "model/step_ref.h"

#include <vector>

namespace msv::ref {

void run_step(Model& model, Sampler& sampler, const msv_step& step) {
    const msv_model_config& c = model.config();
    std::vector<std::vector<float>> last_rows(static_cast<size_t>(step.n_entries));
    std::vector<const float*> last(static_cast<size_t>(step.n_entries), nullptr);
    int64_t logits_row = 0;
    for (int32_t i = 0; i < step.n_entries; ++i) {
        const msv_step_entry& e = step.entries[i];
        if (e.all_logits) {
            float* rows = step.out_logits + logits_row * c.vocab;
            model.forward(e.slot, e.tokens, e.n_tokens, rows, true);
            logits_row += e.n_tokens;
            last[i] = rows + static_cast<int64_t>(e.n_tokens - 1) * c.vocab;
        } else if (e.n_samples > 0) {
            last_rows[i].resize(static_cast<size_t>(c.vocab));
            model.forward(e.slot, e.tokens, e.n_tokens, last_rows[i].data(), false);
            last[i] = last_rows[i].data();
        } else {
            model.forward(e.slot, e.tokens, e.n_tokens, nullptr, false);
        }
    }
    for (int32_t i = 0; i < step.n_entries; ++i) {
        const msv_step_entry& e = step.entries[i];
        for (int32_t j = e.first_sample; j < e.first_sample + e.n_samples; ++j) {
            if (step.samples[j].slot != e.slot) model.copy_slot(e.slot, step.samples[j].slot);
        }
    }
    const int width = c.max_logprobs;
    for (int32_t i = 0; i < step.n_entries; ++i) {
        const msv_step_entry& e = step.entries[i];
        for (int32_t j = e.first_sample; j < e.first_sample + e.n_samples; ++j) {
            const msv_sample_target& t = step.samples[j];
            if (t.reset) sampler.reset(t.slot, t.sampling->prompt_ids, t.sampling->n_prompt);
            const bool tops = step.out_top_ids != nullptr && step.out_top_logprobs != nullptr;
            const Drawn d = sampler.draw(t.slot, last[i], *t.sampling, t.position,
                                         tops ? step.out_top_ids + static_cast<int64_t>(j) * width : nullptr,
                                         tops ? step.out_top_logprobs + static_cast<int64_t>(j) * width : nullptr,
                                         width);
            step.out_tokens[j] = d.token;
            step.out_logprobs[j] = d.logprob;
        }
    }
}

}  // namespace msv::ref
