// validate_step: the rules are listed in model_validate.h. One pass over the entries (claims their slots and their
// target ranges; from_previous against the previous step), one over the targets, then the step-wide totals and
// outputs.
#include "model/model_validate.h"

#include "common/error.h"

#include <algorithm>
#include <string>
#include <vector>

namespace msv::model {
namespace {

constexpr int32_t kFree = -1;

std::string str(int64_t v) { return std::to_string(v); }
std::string range(int64_t lo, int64_t hi) { return "[" + str(lo) + ", " + str(hi) + ")"; }

// The managed engine mirrors msv_step_entry field for field (mambaserve.h gives the layout).
static_assert(sizeof(void*) != 8 || sizeof(msv_step_entry) == 48, "msv_step_entry must stay 48 bytes, no padding");

class StepChecker {
public:
    StepChecker(const msv_step& s, const msv_model_config& c, int32_t slots, const PreviousStep& previous)
        : s_(s), c_(c), slots_(slots), previous_(previous), slot_user_(slots, ""), owner_(s.n_samples, kFree) {}

    // "" or the first broken rule; bad_entry is the entry at fault (-1: the step as a whole).
    std::string run() {
        for (int32_t i = 0; i < s_.n_entries; ++i) {
            bad_entry = i;
            if (auto e = entry(i); !e.empty()) return "entry " + str(i) + ": " + e;
        }
        if (auto e = decode_only(); !e.empty()) return e;
        for (int32_t j = 0; j < s_.n_samples; ++j) {
            bad_entry = owner_[j];
            if (auto e = target(j); !e.empty()) return "sample " + str(j) + ": " + e;
        }
        bad_entry = -1;
        return totals();
    }

    int32_t bad_entry = -1;

private:
    // Marks `slot` used by `who`; "" or why it cannot be.
    std::string claim(int32_t slot, const std::string& who) {
        if (slot < 0 || slot >= slots_) return "slot " + str(slot) + " out of range " + range(0, slots_);
        if (!slot_user_[slot].empty()) return "slot " + str(slot) + " already used by " + slot_user_[slot];
        slot_user_[slot] = who;
        return {};
    }

    std::string entry(int32_t i) {
        const msv_step_entry& e = s_.entries[i];
        if (auto err = claim(e.slot, "entry " + str(i)); !err.empty()) return err;
        if (e.n_tokens < 1) return "n_tokens must be >= 1, got " + str(e.n_tokens);
        if (auto err = stop_ids(e); !err.empty()) return err;
        if (e.from_previous != 0) {
            if (auto err = from_previous(e); !err.empty()) return err;
            if (first_from_previous_ < 0) first_from_previous_ = i;
        } else {
            if (e.tokens == nullptr) return "tokens is NULL";
            for (int32_t t = 0; t < e.n_tokens; ++t) {
                if (e.tokens[t] < 0 || e.tokens[t] >= c_.vocab)
                    return "tokens[" + str(t) + "] = " + str(e.tokens[t]) + " out of range " + range(0, c_.vocab);
            }
        }
        if (e.n_tokens > 1 && first_chunk_ < 0) first_chunk_ = i;
        if (e.all_logits != 0 && e.all_logits != 1) return "all_logits must be 0 or 1, got " + str(e.all_logits);
        if (e.n_samples < 0 || e.first_sample < 0 ||
            static_cast<int64_t>(e.first_sample) + e.n_samples > s_.n_samples)
            return "samples [" + str(e.first_sample) + ", " + str(int64_t{e.first_sample} + e.n_samples) +
                   ") not inside " + range(0, s_.n_samples);
        for (int32_t j = e.first_sample; j < e.first_sample + e.n_samples; ++j) {
            if (owner_[j] != kFree) return "sample " + str(j) + " already belongs to entry " + str(owner_[j]);
            owner_[j] = i;
        }
        tokens_ += e.n_tokens;
        decodes_ += e.n_tokens == 1;
        logit_rows_ += e.all_logits ? e.n_tokens : 0;
        return {};
    }

    // "" or why the entry cannot take its token from the previous step's draws.
    std::string from_previous(const msv_step_entry& e) const {
        const std::string k = "from_previous " + str(e.from_previous);
        if (e.from_previous < 0) return "from_previous must be >= 0, got " + str(e.from_previous);
        if (e.n_tokens != 1) return k + " needs a 1-token (decode) entry, got n_tokens " + str(e.n_tokens);
        if (previous_.n_samples < 0) return k + ", but no step ran before on this model";
        if (e.from_previous - 1 >= previous_.n_samples)
            return k + " names sample " + str(e.from_previous - 1) + " of the previous step, which had " +
                   str(previous_.n_samples) + " samples";
        return {};
    }

    // "" or why the entry's stop ids cannot be read: they belong to from_previous entries (a token the host passes
    // is its own choice to feed).
    static std::string stop_ids(const msv_step_entry& e) {
        if (e.reserved != 0) return "reserved must be 0, got " + str(e.reserved);
        if (e.n_stop_ids < 0) return "n_stop_ids must be >= 0, got " + str(e.n_stop_ids);
        if (e.n_stop_ids == 0) return {};
        if (e.from_previous == 0)
            return "n_stop_ids " + str(e.n_stop_ids) + " on an entry without from_previous (stop ids hold back a " +
                   "token read from the previous step only)";
        if (e.stop_ids == nullptr) return "stop_ids is NULL with n_stop_ids " + str(e.n_stop_ids);
        return {};
    }

    // Where the backend reads from_previous tokens only in its decode path: "" or why this step is not one.
    std::string decode_only() {
        if (!previous_.decode_only || first_from_previous_ < 0 || first_chunk_ < 0) return {};
        bad_entry = first_from_previous_;
        return "entry " + str(first_from_previous_) +
               ": from_previous needs a step of 1-token (decode) entries alone on this backend (the device reads the " +
               "previous step's token in the decode path only), but entry " + str(first_chunk_) + " has " +
               str(s_.entries[first_chunk_].n_tokens) + " tokens";
    }

    std::string target(int32_t j) {
        if (owner_[j] == kFree) return "belongs to no entry";
        const msv_sample_target& t = s_.samples[j];
        const msv_step_entry& e = s_.entries[owner_[j]];
        if (t.slot == e.slot) {
            if (own_target_.size() <= static_cast<size_t>(owner_[j])) own_target_.resize(s_.n_entries, kFree);
            if (own_target_[owner_[j]] != kFree)
                return "slot " + str(t.slot) + " already sampled by sample " + str(own_target_[owner_[j]]);
            own_target_[owner_[j]] = j;
        } else if (auto err = claim(t.slot, "sample " + str(j)); !err.empty()) {
            return err;
        }
        if (t.reset != 0 && t.reset != 1) return "reset must be 0 or 1, got " + str(t.reset);
        if (t.position < 0) return "position must be >= 0, got " + str(t.position);
        if (t.sampling == nullptr) return "sampling is NULL";
        max_logprobs_ = std::max(max_logprobs_, t.sampling->logprobs);
        return check_sampling(*t.sampling, c_, t.reset != 0);
    }

    std::string totals() const {
        if (tokens_ > c_.max_step_tokens)
            return "the step carries " + str(tokens_) + " tokens, more than max_step_tokens " + str(c_.max_step_tokens);
        if (decodes_ > c_.max_decode_batch)
            return "the step has " + str(decodes_) + " 1-token entries, more than max_decode_batch " +
                   str(c_.max_decode_batch);
        if (s_.n_samples > 0 && (s_.out_tokens == nullptr || s_.out_logprobs == nullptr))
            return "out_tokens or out_logprobs is NULL";
        if (max_logprobs_ > 0 && (s_.out_top_ids == nullptr || s_.out_top_logprobs == nullptr))
            return "out_top_ids or out_top_logprobs is NULL, but a sample asks for " + str(max_logprobs_) + " logprobs";
        if (logit_rows_ > 0 && s_.out_logits == nullptr) return "out_logits is NULL, but an entry sets all_logits";
        return {};
    }

    const msv_step& s_;
    const msv_model_config& c_;
    const int32_t slots_;
    const PreviousStep previous_;
    int32_t first_from_previous_ = -1, first_chunk_ = -1;  // the first entry of each kind, -1: none
    std::vector<std::string> slot_user_;  // "" or who uses the slot in this step
    std::vector<int32_t> owner_;          // sample -> entry
    std::vector<int32_t> own_target_;     // entry -> its own (non-fork) target
    int64_t tokens_ = 0, decodes_ = 0, logit_rows_ = 0;
    int32_t max_logprobs_ = 0;
};

}  // namespace

msv_status validate_step(const msv_step* s, const msv_model_config& c, int32_t slots, const PreviousStep& previous,
                         int32_t* bad_entry, const char* function) {
    if (bad_entry) *bad_entry = -1;
    const std::string fn = std::string(function) + ": ";
    if (s == nullptr) return set_error(MSV_ERR_INVALID_ARGUMENT, fn + "step is NULL");
    if (s->n_entries < 0 || s->n_samples < 0)
        return set_error(MSV_ERR_INVALID_ARGUMENT, fn + "n_entries and n_samples must be >= 0, got " +
                                                       str(s->n_entries) + " and " + str(s->n_samples));
    if ((s->n_entries > 0 && s->entries == nullptr) || (s->n_samples > 0 && s->samples == nullptr))
        return set_error(MSV_ERR_INVALID_ARGUMENT, fn + "entries or samples is NULL");
    StepChecker checker(*s, c, slots, previous);
    const std::string error = checker.run();
    if (error.empty()) return MSV_OK;
    if (bad_entry) *bad_entry = checker.bad_entry;
    return set_error(MSV_ERR_INVALID_ARGUMENT, fn + error);
}

}  // namespace msv::model
