// One step (msv_model_step) on the GPU: plan the rows on the host, write every input into the pinned buffer and
// copy it with one transfer, enqueue the forward (a graph replay for a pure decode step), the forks and the
// sampler, copy the outputs back with one transfer, synchronise once, scatter the outputs to the caller's arrays.
// msv_model_step_begin stops before the synchronisation (an event marks the output copy) and msv_model_step_end
// waits for that event and scatters; the pinned buffers alternate between two halves, one per step in flight.
#include "common/error.h"
#include "model/model_gpu.h"
#include "model/model_gpu_graphs.h"
#include "model/sampler_math.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string>

namespace msv::gpu::model {
namespace {

size_t align16(size_t n) { return (n + 15) / 16 * 16; }

// A bump allocator over the pinned input buffer; device addresses mirror host offsets.
class InputWriter {
public:
    InputWriter(void* host, void* device, size_t capacity) : host_(static_cast<char*>(host)), device_(static_cast<char*>(device)), cap_(capacity) {}
    template <typename T> T* take(size_t count, T** device_view, size_t at = SIZE_MAX) {
        const size_t off = at != SIZE_MAX ? at : align16(used_);
        const size_t end = off + count * sizeof(T);
        if (end > cap_) throw std::length_error("step inputs exceed the pinned buffer");
        used_ = std::max(used_, end);
        *device_view = reinterpret_cast<T*>(device_ + off);
        return reinterpret_cast<T*>(host_ + off);
    }
    size_t used() const { return used_; }

private:
    char* host_;
    char* device_;
    size_t cap_;
    size_t used_ = 0;
};

}  // namespace

struct StepRunner {
    Model& m;
    const msv_step& s;
    const int half;                 // the pinned buffers' half of this step
    const char* const what;         // the API call, in error messages
    std::vector<int> sample_entry;  // sample index -> its entry
    std::vector<int> target_order;  // device target -> sample index
    std::vector<int> row0;          // entry -> first residual row
    std::vector<int> head0;         // entry -> first logits row (-1: none); its samples use its last logits row
    std::vector<int32_t> head;      // logits row -> residual row
    size_t var_used = 0;

    StepRunner(Model& model, const msv_step& step, int buffer_half, const char* call)
        : m(model), s(step), half(buffer_half), what(call) {}

    char* pinned_in() const { return Model::pinned_half(m.pinned_in_, m.in_bytes_, half); }
    char* pinned_var() const { return Model::pinned_half(m.pinned_var_, m.var_bytes_, half); }
    // "msv_model_step: inputs", say.
    std::string where(const char* part) const { return std::string(what) + ": " + part; }

    bool pure_decode() const {
        if (s.n_entries <= 0 || s.n_entries > m.cfg_.max_decode_batch) return false;
        for (int e = 0; e < s.n_entries; ++e)
            if (s.entries[e].n_tokens != 1) return false;
        return true;
    }

    void map_samples() {
        sample_entry.assign(s.n_samples, -1);
        for (int e = 0; e < s.n_entries; ++e)
            for (int k = 0; k < s.entries[e].n_samples; ++k) sample_entry[s.entries[e].first_sample + k] = e;
    }

    // Logits rows in entry order: every row of an all_logits entry, the last row of an entry that samples.
    void plan_head() {
        head0.assign(s.n_entries, -1);
        head.clear();
        for (int e = 0; e < s.n_entries; ++e) {
            const msv_step_entry& en = s.entries[e];
            if (en.all_logits) {
                head0[e] = static_cast<int>(head.size());
                for (int t = 0; t < en.n_tokens; ++t) head.push_back(row0[e] + t);
            } else if (en.n_samples > 0) {
                head0[e] = static_cast<int>(head.size());
                head.push_back(row0[e] + en.n_tokens - 1);
            }
        }
    }
    int sample_row(int e) const { return head0[e] + (s.entries[e].all_logits ? s.entries[e].n_tokens - 1 : 0); }

    // A plain greedy target (SampleTarget::plain), where the model uses the plain greedy kernel: greedy, with no
    // bias, bans, penalties or top-N (a bias entry counts even where its id is past the sampleable vocabulary).
    bool plain(const msv_sampling& p) const {
        return m.plain_greedy_ && msv::sampler::is_greedy_temperature(p.temperature) && p.n_bias == 0 &&
               p.ban_bits == nullptr && p.repetition_penalty == 1.0f && p.presence_penalty == 0.0f &&
               p.frequency_penalty == 0.0f && p.logprobs <= 0;
    }

    // The sampler kernels the step's targets need: none but the plain greedy kernel when every target is plain;
    // the chunked kernels' first (which finishes a greedy target) when every target is greedy, where the model
    // allows it; else all of them.
    SamplerKernels sampler_kernels() const {
        bool all_plain = m.plain_greedy_, all_greedy = m.greedy_only_steps_;
        for (int i = 0; i < s.n_samples; ++i) {
            const msv_sampling& p = *s.samples[i].sampling;
            all_plain = all_plain && plain(p);
            all_greedy = all_greedy && msv::sampler::is_greedy_temperature(p.temperature);
        }
        return all_plain ? SamplerKernels::kPlain : all_greedy ? SamplerKernels::kGreedy : SamplerKernels::kAll;
    }

    // Stop ids of all entries together (msv_step_entry.stop_ids).
    size_t stop_id_count() const {
        size_t n = 0;
        for (int e = 0; e < s.n_entries; ++e) n += size_t(s.entries[e].n_stop_ids);
        return n;
    }

    // The entries' stop ids for the decode's launch_hold_stopped: row r's first index into them in first[r] (the
    // fixed layout's, `rows` + 1 of them: padding rows have none), the ids in the sampler inputs' buffer; returns
    // their device address, or null when no entry has any.
    const int32_t* stage_stop_ids(int32_t* first, int rows) {
        const size_t ids = stop_id_count();
        first[0] = 0;
        for (int r = 0; r < rows; ++r) first[r + 1] = first[r] + (r < s.n_entries ? s.entries[r].n_stop_ids : 0);
        if (ids == 0) return nullptr;
        auto* stop = reinterpret_cast<int32_t*>(pinned_var() + var_used);
        const auto* dev = reinterpret_cast<const int32_t*>(static_cast<char*>(m.device_var_) + var_used);
        var_used += align16(ids * 4);
        for (int e = 0; e < s.n_entries; ++e)
            if (s.entries[e].n_stop_ids > 0)
                std::memcpy(stop + first[e], s.entries[e].stop_ids, size_t(s.entries[e].n_stop_ids) * 4);
        return dev;
    }

    // Bytes of one ban mask (msv_sampling.ban_bits).
    size_t ban_bytes() const { return size_t(m.cfg_.sampleable_vocab + 31) / 32 * 4; }

    // Bytes of bias lists, ban masks and prompt ids the targets need on the device.
    msv_status stage_var() {
        size_t need = 0;
        for (int i = 0; i < s.n_samples; ++i) {
            const msv_sampling& p = *s.samples[i].sampling;
            need += align16(size_t(p.n_bias) * 8) + (s.samples[i].reset ? align16(size_t(p.n_prompt) * 4) : 0);
            if (p.ban_bits != nullptr) need += align16(ban_bytes());
        }
        need += align16(stop_id_count() * 4);
        if (need > m.var_bytes_) {
            // A step in flight may still be copying from its half of the pinned buffer, or its sampler reading the
            // device one: both are freed here, so wait for it first.
            if (m.in_flight_ > 0)
                if (msv_status st = m.sync(what); st != MSV_OK) return st;
            const std::lock_guard<std::recursive_mutex> hold(device_memory_lock());
            if (m.pinned_var_) (void)cudaFreeHost(m.pinned_var_);
            if (m.device_var_) (void)cudaFree(m.device_var_);
            m.pinned_var_ = m.device_var_ = nullptr;
            m.var_bytes_ = 0;
            const size_t bytes = align16(std::max(need * 2, size_t(1) << 16));
            if (cudaMallocHost(&m.pinned_var_, 2 * bytes) != cudaSuccess)
                return set_error(MSV_ERR_OUT_OF_MEMORY,
                                 where("pinned sampler inputs of ") + std::to_string(2 * bytes) + " bytes");
            if (msv_status st = m.alloc_device(&m.device_var_, bytes, where("sampler inputs").c_str()); st != MSV_OK)
                return st;
            m.var_bytes_ = bytes;
        }
        return MSV_OK;
    }

    SampleTarget make_target(int si, int row) {
        const msv_sample_target& t = s.samples[si];
        const msv_sampling& p = *t.sampling;
        SampleTarget d{};
        d.slot = t.slot, d.row = row, d.reset = t.reset, d.position = t.position, d.seed = p.seed;
        d.temperature = p.temperature, d.top_p = p.top_p, d.min_p = p.min_p, d.repetition = p.repetition_penalty;
        d.presence = p.presence_penalty, d.frequency = p.frequency_penalty, d.top_k = p.top_k;
        d.logprobs = p.logprobs, d.n_bias = p.n_bias, d.n_prompt = t.reset ? p.n_prompt : 0, d.plain = plain(p);
        char* host = pinned_var();
        char* dev = static_cast<char*>(m.device_var_);
        if (p.n_bias > 0) {
            std::memcpy(host + var_used, p.bias_ids, size_t(p.n_bias) * 4);
            std::memcpy(host + var_used + size_t(p.n_bias) * 4, p.bias_values, size_t(p.n_bias) * 4);
            d.bias_ids = reinterpret_cast<const int32_t*>(dev + var_used);
            d.bias_values = reinterpret_cast<const float*>(dev + var_used + size_t(p.n_bias) * 4);
            var_used += align16(size_t(p.n_bias) * 8);
        }
        if (p.ban_bits != nullptr) {
            std::memcpy(host + var_used, p.ban_bits, ban_bytes());
            d.ban_bits = reinterpret_cast<const uint32_t*>(dev + var_used);
            var_used += align16(ban_bytes());
        }
        if (d.n_prompt > 0) {
            std::memcpy(host + var_used, p.prompt_ids, size_t(p.n_prompt) * 4);
            d.prompt_ids = reinterpret_cast<const int32_t*>(dev + var_used);
            var_used += align16(size_t(p.n_prompt) * 4);
        }
        return d;
    }

    msv_status upload(size_t in_used) {
        if (var_used > 0)
            if (cudaError_t e =
                    cudaMemcpyAsync(m.device_var_, pinned_var(), var_used, cudaMemcpyHostToDevice, m.stream_);
                e != cudaSuccess)
                return m.fail(e, where("sampler inputs").c_str());
        if (cudaError_t e = cudaMemcpyAsync(m.device_in_, pinned_in(), in_used, cudaMemcpyHostToDevice, m.stream_);
            e != cudaSuccess)
            return m.fail(e, where("inputs").c_str());
        return MSV_OK;
    }

    // Forks: the entry's state after its chunk is copied to each target slot that differs from the entry's.
    msv_status forks() {
        for (int si = 0; si < s.n_samples; ++si) {
            const int e = sample_entry[si];
            if (s.samples[si].slot != s.entries[e].slot)
                if (msv_status st = m.copy_slot_async(s.entries[e].slot, s.samples[si].slot); st != MSV_OK) return st;
        }
        return MSV_OK;
    }

    // all_logits rows in [h0, h1) of the logits buffer (row h0 at buffer row 0) to the caller.
    msv_status copy_logits(int h0, int h1) {
        int64_t out_row = 0;
        for (int e = 0; e < s.n_entries; ++e) {
            const msv_step_entry& en = s.entries[e];
            if (!en.all_logits) continue;
            const int a = std::max(h0, head0[e]), b = std::min(h1, head0[e] + en.n_tokens);
            if (a < b) {
                float* dst = s.out_logits + (out_row + (a - head0[e])) * int64_t(m.d_.vocab);
                const float* src = m.buf_.logits + int64_t(a - h0) * m.d_.vocab;
                if (cudaError_t err = cudaMemcpyAsync(dst, src, size_t(b - a) * m.d_.vocab * 4, cudaMemcpyDeviceToHost,
                                                      m.stream_);
                    err != cudaSuccess)
                    return m.fail(err, where("logits").c_str());
            }
            out_row += en.n_tokens;
        }
        return MSV_OK;
    }

    // The outputs' copy into this half of the pinned buffer; Model::finish_step scatters them after the step's event.
    msv_status copy_outputs(int n_targets) {
        const int64_t rec = target_out_bytes(m.cfg_.max_logprobs);
        if (n_targets > 0)
            if (cudaError_t e = cudaMemcpyAsync(Model::pinned_half(m.pinned_out_, m.out_bytes_, half), m.device_out_,
                                                size_t(n_targets) * rec, cudaMemcpyDeviceToHost, m.stream_);
                e != cudaSuccess)
                return m.fail(e, where("outputs").c_str());
        return MSV_OK;
    }

    // A pure decode step: rows = entries in order, padded to the bucket with the scratch slot; the graph (or the
    // same kernels enqueued) computes logits for every row and samples every target.
    msv_status run_decode() {
        const int n = s.n_entries;
        const int rows = bucket_for(n, m.cfg_.max_decode_batch, m.buckets_between_);
        const DecodeLayout& L = m.decode_;
        InputWriter in(pinned_in(), m.device_in_, m.in_bytes_);
        int32_t* dv;
        SampleTarget* tv;
        int32_t* tokens = in.take<int32_t>(L.max_rows, &dv, L.tokens);
        int32_t* slots = in.take<int32_t>(L.max_rows, &dv, L.slots);
        int32_t* from = in.take<int32_t>(L.max_rows, &dv, L.from);
        int32_t* count = in.take<int32_t>(4, &dv, L.n_targets);
        const int32_t** dv_stop_ids;
        const int32_t** stop_ids = in.take<const int32_t*>(1, &dv_stop_ids, L.stop_ids);
        int32_t* stop_first = in.take<int32_t>(size_t(L.max_rows) + 1, &dv, L.stop_first);
        SampleTarget* targets = in.take<SampleTarget>(std::max(1, s.n_samples), &tv, L.targets);
        row0.resize(n);
        for (int r = 0; r < rows; ++r) {
            // from_previous k: the record of the previous step's sample k - 1 (validated: it exists).
            const int k = r < n ? s.entries[r].from_previous : 0;
            from[r] = k > 0 ? m.previous_record_[size_t(k - 1)] : -1;
            tokens[r] = r < n && k == 0 ? s.entries[r].tokens[0] : 0;
            slots[r] = r < n ? s.entries[r].slot : m.slots_;
            if (r < n) row0[r] = r;
        }
        plan_head();
        *count = s.n_samples;
        target_order.resize(s.n_samples);
        for (int si = 0; si < s.n_samples; ++si) {
            target_order[si] = si;
            targets[si] = make_target(si, sample_entry[si]);
        }
        *stop_ids = stage_stop_ids(stop_first, rows);
        if (msv_status st = upload(L.targets + size_t(s.n_samples) * sizeof(SampleTarget)); st != MSV_OK) return st;
        const SamplerKernels kernels = sampler_kernels();
        msv_status st = m.graphs_ ? m.graphs_->replay(rows, kernels, m.stream_) : m.enqueue_decode(rows, kernels);
        if (st != MSV_OK) return st;
        if ((st = forks()) != MSV_OK) return st;
        // Decode logits row r is entry r's: copy the all_logits ones.
        int64_t out_row = 0;
        for (int e = 0; e < n; ++e)
            if (s.entries[e].all_logits) {
                if (cudaError_t err = cudaMemcpyAsync(s.out_logits + out_row * m.d_.vocab, m.buf_.logits + int64_t(e) * m.d_.vocab,
                                                      size_t(m.d_.vocab) * 4, cudaMemcpyDeviceToHost, m.stream_);
                    err != cudaSuccess)
                    return m.fail(err, where("logits").c_str());
                ++out_row;
            }
        return copy_outputs(s.n_samples);
    }

    // Any other step: decode rows first, then prefill entries grouped by equal length; the BLAS path; the LM head
    // and the sampler in passes of at most buf_.head_rows logits rows.
    msv_status run_generic() {
        std::vector<int> dec, pre;
        for (int e = 0; e < s.n_entries; ++e) (s.entries[e].n_tokens == 1 ? dec : pre).push_back(e);
        row0.assign(s.n_entries, 0);
        int rows = 0;
        for (int e : dec) row0[e] = rows++;
        for (int e : pre) row0[e] = rows, rows += s.entries[e].n_tokens;
        plan_head();

        // No entry takes from_previous here: validation allows it only in a step of 1-token entries on the GPU
        // (model_from_previous_decode_only), which is a pure decode step.
        InputWriter in(pinned_in(), m.device_in_, m.in_bytes_);
        RowPlan plan;
        plan.rows = rows, plan.nd = static_cast<int>(dec.size());
        int32_t* tokens = in.take<int32_t>(rows, const_cast<int32_t**>(&plan.tokens));
        for (int e = 0; e < s.n_entries; ++e)
            std::memcpy(tokens + row0[e], s.entries[e].tokens, size_t(s.entries[e].n_tokens) * 4);
        int32_t* dslots = in.take<int32_t>(std::max<size_t>(dec.size(), 1), const_cast<int32_t**>(&plan.dec_slots));
        for (size_t i = 0; i < dec.size(); ++i) dslots[i] = s.entries[dec[i]].slot;
        int32_t* dev_pslots;
        int32_t* pslots = in.take<int32_t>(std::max<size_t>(pre.size(), 1), &dev_pslots);
        for (size_t i = 0; i < pre.size();) {
            RowPlan::Group g;
            g.row0 = row0[pre[i]], g.len = s.entries[pre[i]].n_tokens, g.slots = dev_pslots + i, g.host_slots = pslots + i;
            while (i < pre.size() && g.count < kScanGroup && s.entries[pre[i]].n_tokens == g.len)
                pslots[i] = s.entries[pre[i]].slot, ++g.count, ++i;
            plan.groups.push_back(g);
        }
        const int nh = static_cast<int>(head.size());
        int32_t* dev_head;
        int32_t* hrows = in.take<int32_t>(std::max(nh, 1), &dev_head);
        std::copy(head.begin(), head.end(), hrows);
        // Targets sorted by logits row, so each LM head pass samples a contiguous range.
        target_order.resize(s.n_samples);
        std::iota(target_order.begin(), target_order.end(), 0);
        std::stable_sort(target_order.begin(), target_order.end(),
                         [&](int a, int b) { return sample_row(sample_entry[a]) < sample_row(sample_entry[b]); });
        const SamplerKernels kernels = sampler_kernels();
        const int cap = m.buf_.head_rows;
        const int passes = std::max(1, (nh + cap - 1) / cap);
        int32_t* dev_counts;
        int32_t* counts = in.take<int32_t>(passes, &dev_counts);
        SampleTarget* dev_targets;
        SampleTarget* targets = in.take<SampleTarget>(std::max(1, s.n_samples), &dev_targets);
        std::vector<int> first(passes + 1, 0);
        for (int k = 0; k < s.n_samples; ++k) {
            const int si = target_order[k];
            const int row = sample_row(sample_entry[si]);
            targets[k] = make_target(si, row % cap);
            ++first[row / cap + 1];
        }
        for (int p = 0; p < passes; ++p) counts[p] = first[p + 1], first[p + 1] += first[p];
        if (msv_status st = upload(in.used()); st != MSV_OK) return st;

        if (msv_status st = m.enqueue_embed(plan.tokens, rows); st != MSV_OK) return st;
        if (msv_status st = m.enqueue_layers_blas(plan); st != MSV_OK) return st;
        if (msv_status st = forks(); st != MSV_OK) return st;
        for (int p = 0; p < passes; ++p) {
            const int h0 = p * cap, h1 = std::min(nh, h0 + cap);
            if (h1 > h0)
                if (msv_status st = m.enqueue_head(dev_head + h0, h1 - h0, false); st != MSV_OK) return st;
            char* out = static_cast<char*>(m.device_out_) + first[p] * target_out_bytes(m.cfg_.max_logprobs);
            if (msv_status st = m.enqueue_sampler(dev_targets + first[p], dev_counts + p, counts[p], out, kernels);
                st != MSV_OK)
                return st;
            if (msv_status st = copy_logits(h0, h1); st != MSV_OK) return st;
        }
        if (cudaError_t e = m.mark_.join(m.stream_); e != cudaSuccess) return m.fail(e, where("step mark").c_str());
        return copy_outputs(s.n_samples);
    }

    msv_status run() {
        map_samples();
        if (msv_status st = stage_var(); st != MSV_OK) return st;
        return pure_decode() ? run_decode() : run_generic();
    }
};

msv_status Model::enqueue_step(const msv_step& s, const char* what) {
    const int half = next_half_;
    Flight& f = flight_[half];
    // Until it is enqueued whole there is no previous step: one that fails half way may have written part of
    // device_out_. The runner still reads the last one's records (previous_record_) for this step's from_previous.
    previous_samples_ = -1;
    last_marked_ = false;
    StepRunner runner(*this, s, half, what);
    msv_status st = s.n_entries > 0 ? runner.run() : MSV_OK;
    if (st == MSV_OK)
        if (cudaError_t e = cudaEventRecord(f.done, stream_); e != cudaSuccess) st = fail(e, what);
    if (st != MSV_OK) {
        // Whatever of it was enqueued may still copy from this half, which the next step reuses: let it drain.
        (void)cudaStreamSynchronize(stream_);
        (void)cudaGetLastError();
        return st;
    }
    last_marked_ = s.n_entries > 0;
    f.n_targets = s.n_samples;
    f.target_order = std::move(runner.target_order);
    f.out_tokens = s.out_tokens, f.out_logprobs = s.out_logprobs;
    f.out_top_ids = s.out_top_ids, f.out_top_logprobs = s.out_top_logprobs;
    previous_record_.assign(size_t(s.n_samples), 0);
    for (int k = 0; k < s.n_samples; ++k) previous_record_[size_t(f.target_order[k])] = k;
    previous_samples_ = s.n_samples;
    next_half_ ^= 1;
    ++in_flight_;
    return MSV_OK;
}

msv_status Model::finish_step(const char* what) {
    const int half = next_half_ ^ (in_flight_ & 1);  // the oldest step's
    Flight& f = flight_[half];
    // The step ends here whatever happens; if it fails while it is the last begun, its draws are no previous step.
    const bool last = in_flight_ == 1;
    --in_flight_;
    msv_status st = check_lost();
    if (st == MSV_OK)
        if (cudaError_t e = cudaEventSynchronize(f.done); e != cudaSuccess) st = fail(e, what);
    if (st != MSV_OK) {
        if (last) previous_samples_ = -1;
        return st;
    }
    const int64_t rec = target_out_bytes(cfg_.max_logprobs);
    const int N = cfg_.max_logprobs;
    const char* out = pinned_half(pinned_out_, out_bytes_, half);
    for (int k = 0; k < f.n_targets; ++k) {
        const char* r = out + k * rec;
        const int si = f.target_order[k];
        std::memcpy(&f.out_tokens[si], r, 4);
        std::memcpy(&f.out_logprobs[si], r + 4, 4);
        if (f.out_top_ids && N > 0) std::memcpy(f.out_top_ids + int64_t(si) * N, r + 8, size_t(N) * 4);
        if (f.out_top_logprobs && N > 0)
            std::memcpy(f.out_top_logprobs + int64_t(si) * N, r + 8 + 4 * int64_t(N), size_t(N) * 4);
    }
    return MSV_OK;
}

// The step-gap instrumentation (MSV_STEP_GAPS) measures steps that msv_model_step runs: its events pair a step's
// start with the end of the one before, read after a wait. A begun step is not measured (its start is enqueued
// while the step before it still runs, so "idle before it" would need a third pair of events) and leaves the next
// synchronous step without a gap. The timeline (MSV_TIMELINE_FILE) is reset in stream order before every step, so
// it keeps the last step's records either way.
msv_status Model::step(const msv_step& s) {
    if (msv_status st = check_lost(); st != MSV_OK) return st;
    const bool measured = s.n_entries > 0;
    if (measured) {
        timeline_.reset(stream_);
        gaps_.begin(stream_);
    }
    msv_status st = enqueue_step(s, "msv_model_step");
    if (st == MSV_OK) {
        if (measured) gaps_.end(stream_);
        st = finish_step("msv_model_step");
    }
    if (measured) gaps_.after_sync(st == MSV_OK);
    return st;
}

msv_status Model::step_begin(const msv_step& s) {
    if (msv_status st = check_lost(); st != MSV_OK) return st;
    gaps_.skip();
    if (s.n_entries > 0) timeline_.reset(stream_);
    return enqueue_step(s, "msv_model_step_begin");
}

msv_status Model::step_end() { return finish_step("msv_model_step_end"); }

msv_status Model::step_wait_mark() {
    if (in_flight_ == 0 || !last_marked_) return MSV_OK;
    if (msv_status st = check_lost(); st != MSV_OK) return st;
    if (cudaError_t e = mark_.wait(); e != cudaSuccess) return fail(e, "msv_model_step_wait_mark");
    return MSV_OK;
}

}  // namespace msv::gpu::model
