// The GPU model against itself where it must be exact (batched decode equals decoding alone; graphs on and off),
// the device sampler against the reference sampler on the same logits, and the errors it reports.
#include "model_test_util.h"
#include "test_util.h"
#include "model/sampler_math.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace msv::test {
namespace {

// Rows of the fused path (forced up to 8 rows per step here; by default it takes 1 row, or 1 and 2) are computed
// independently of the batch: bit-identical logits and the same sampled tokens, in bf16 (the production dtype).
TEST(ModelGpuExact, BatchedDecode_UpToEightRows_EqualsDecodingAlone) {
    ScopedEnv fused("MSV_FUSED_MAX_ROWS", "8");
    expect_batched_equals_alone(small_shape(), 8, {8, 8, 5, 3});
}

// fp32 weights past the fused path: the projections go through the vendor BLAS, equal to decoding alone within fp32
// rounding.
TEST(ModelGpuExact, BatchedDecode_BlasRows_CloseToDecodingAlone) {
    const unsigned seed = fresh_seed();
    std::mt19937 rng(seed);
    const msv_model_config c = make_config(small_shape(), MSV_F32, MSV_F32);
    const Weights w = random_weights(c, rng);
    GpuModel batched(c, w, 16), alone(c, w, 16);
    const StepResult a = run_script(batched.get(), c, 12, {12, 12}, seed, false);
    const StepResult b = run_script(alone.get(), c, 12, {12, 12}, seed, true);
    EXPECT_TRUE(logits_close(a.logits, b.logits, c.vocab, MSV_F32, 1e-4)) << "seed " << seed;
}

// A replayed graph launches the kernels an eager step launches: identical logits and tokens at every bucket.
TEST(ModelGpuExact, Graphs_OnAndOff_Identical) {
    const unsigned seed = fresh_seed();
    std::mt19937 rng(seed);
    const msv_model_config on = make_config(small_shape(), MSV_BF16, MSV_BF16, 256, 16, 1);
    msv_model_config off = on;
    off.use_graphs = 0;
    const Weights w = random_weights(on, rng);
    GpuModel g(on, w, 16), e(off, w, 16);
    // 10 and 12 rows run bucket 12, 13 and 16 bucket 16.
    const StepResult a = run_script(g.get(), on, 16, {1, 3, 8, 12, 16, 2, 10, 13}, seed, false);
    const StepResult b = run_script(e.get(), off, 16, {1, 3, 8, 12, 16, 2, 10, 13}, seed, false);
    ASSERT_EQ(a.logits.size(), b.logits.size());
    EXPECT_EQ(0, std::memcmp(a.logits.data(), b.logits.data(), a.logits.size() * 4)) << "seed " << seed;
    EXPECT_EQ(a.tokens, b.tokens) << "seed " << seed;
}

// Programmatic dependent launch lets each kernel start while the one before it finishes, loading ahead only what
// that kernel does not write (the state update: all but delta). With it and without it, the same bits at the fused
// path's rows and the BLAS path's (on a device without it both models launch plainly and agree trivially).
TEST(ModelGpuExact, ProgrammaticLaunch_OnAndOff_Identical) {
    const unsigned seed = fresh_seed();
    std::mt19937 rng(seed);
    const msv_model_config c = make_config(small_shape(), MSV_BF16, MSV_BF16, 256, 16, 1);
    const Weights w = random_weights(c, rng);
    GpuModel on(c, w, 16);
    const std::unique_ptr<GpuModel> off = gpu_model_with("MSV_PDL", "0", c, w, 16);
    const StepResult a = run_script(on.get(), c, 16, {1, 3, 8, 12, 16, 2}, seed, false);
    const StepResult b = run_script(off->get(), c, 16, {1, 3, 8, 12, 16, 2}, seed, false);
    ASSERT_EQ(a.logits.size(), b.logits.size());
    EXPECT_EQ(0, std::memcmp(a.logits.data(), b.logits.data(), a.logits.size() * 4)) << "seed " << seed;
    EXPECT_EQ(a.tokens, b.tokens) << "seed " << seed;
}

// ---- the sampler --------------------------------------------------------------------------------------------------

msv_sampling params_for(int slot, std::vector<int32_t>& bias_ids, std::vector<float>& bias_values) {
    msv_sampling p = greedy();
    p.seed = 0x9E3779B97F4A7C15ull * (slot + 1);
    p.logprobs = 5;
    switch (slot % 8) {
        case 0: p.repetition_penalty = 1.3f, p.frequency_penalty = 0.5f, p.presence_penalty = 0.2f; break;
        case 1: p.temperature = 0.7f, p.top_p = 0.9f; break;
        case 2: p.temperature = 1.0f, p.top_k = 5; break;
        case 3: p.temperature = 0.8f, p.min_p = 0.1f; break;
        case 4: p.temperature = 1.2f, p.top_k = 20, p.top_p = 0.8f, p.min_p = 0.02f, p.repetition_penalty = 1.1f; break;
        case 5: p.temperature = 1.0f; break;
        case 6: p.logprobs = 0; break;
        default: p.temperature = 0.5f, p.top_p = 0.95f, p.frequency_penalty = 0.3f; break;
    }
    // Larger top_k in the second half: 225 gathers a few hundred tokens; 900 (with top_p) more than the collect kernel
    // takes, so the threshold kernel searches the row itself (in a vocabulary larger than top_k).
    if (slot >= 8 && (slot % 8 == 2 || slot % 8 == 4)) p.top_k *= 45;
    if (slot % 8 == 7 || slot % 8 == 0 || slot % 8 == 4) {
        p.n_bias = static_cast<int32_t>(bias_ids.size());
        p.bias_ids = bias_ids.data(), p.bias_values = bias_values.data();
    }
    return p;
}

// A vocabulary over several of the sampler's 1024-id chunks (the last one partial), beside the small shape's one chunk.
Shape many_chunk_vocab_shape() {
    Shape s = small_shape();
    s.vocab = 5000, s.sampleable = 4997, s.name = "vocab5000";
    return s;
}

// The GPU's tokens against msv::ref::Sampler drawing from the GPU's own logits rows with the same history: greedy
// must agree always; a draw may differ only where a sum's rounding decides (a top-p boundary), so the rate is
// bounded. Logprobs and the top-N agree to rounding.
// `slots` beyond the sampler's kSamplerTargets (256) sample in several launches per step; their prompts are shorter,
// so that the first step's prefill fits one step.
// `bans`: every step, a quarter of the slots get a fresh ban mask (msv_sampling.ban_bits) over ~90% of the ids, and
// their tokens must avoid it.
void expect_draws_match_reference(const Shape& shape, int slots = 16, bool bans = false) {
    const unsigned seed = fresh_seed();
    std::mt19937 rng(seed);
    const int kSlots = slots, kSteps = slots > 16 ? 6 : 24;
    auto prompt_length = [&](int s) { return slots > 16 ? 1 + s % 4 : 4 + s; };
    int prompt_tokens = 0;
    for (int s = 0; s < kSlots; ++s) prompt_tokens += prompt_length(s);
    const msv_model_config c = make_config(shape, MSV_F32, MSV_F32, std::max(256, prompt_tokens), std::max(16, slots));
    const Weights w = random_weights(c, rng);
    GpuModel g(c, w, kSlots);
    msv::ref::Sampler ref(kSlots, c.sampleable_vocab);
    // Ids past the sampleable vocabulary are ignored; in the large vocabulary the +40 entries, spread over the chunks,
    // put the top-k and top-p thresholds among themselves.
    std::vector<int32_t> bias_ids = {3, 17, 17, 150, 195, 1023, 1024, 2047, 3000, 4100, 4996, 4997};
    std::vector<float> bias_values = {2.0f, -1.0f, 0.5f, 5.0f, 9.0f, 40.0f, 40.0f, 40.5f, 40.0f, 39.5f, 40.0f, 60.0f};
    std::vector<std::vector<int32_t>> prompt(kSlots), history(kSlots);
    std::vector<msv_sampling> params(kSlots);
    for (int s = 0; s < kSlots; ++s) {
        prompt[s] = random_tokens(rng, prompt_length(s), c.vocab);
        params[s] = params_for(s, bias_ids, bias_values);
        params[s].prompt_ids = prompt[s].data(), params[s].n_prompt = static_cast<int32_t>(prompt[s].size());
    }
    int draws = 0, greedy_draws = 0, mismatches = 0;
    std::vector<int32_t> next(kSlots);
    std::vector<std::vector<uint32_t>> masks(kSlots);
    for (int step = 0; step <= kSteps; ++step) {
        std::vector<Entry> entries;
        for (int s = 0; s < kSlots; ++s) {
            if (bans && s % 4 == 1) {
                masks[s].assign((c.sampleable_vocab + 31) / 32, 0u);
                for (int id = 0; id < c.sampleable_vocab; ++id)
                    if (rng() % 10 != 0) masks[s][id >> 5] |= 1u << (id & 31);
                params[s].ban_bits = masks[s].data();
            }
            Entry e{s, step == 0 ? prompt[s] : std::vector<int32_t>{next[s]}, true, {}};
            e.targets.push_back({s, step == 0, step, params[s]});
            entries.push_back(e);
        }
        const StepResult r = run_gpu(g.get(), c, entries);
        int64_t row = 0;
        for (int s = 0; s < kSlots; ++s) {
            row += static_cast<int64_t>(entries[s].tokens.size());
            const float* logits = r.logits.data() + (row - 1) * c.vocab;
            if (step == 0) ref.reset(s, prompt[s].data(), static_cast<int>(prompt[s].size()));
            std::vector<int32_t> ids(c.max_logprobs);
            std::vector<float> lps(c.max_logprobs);
            const msv::ref::Drawn d = ref.draw(s, logits, params[s], step, ids.data(), lps.data(), c.max_logprobs);
            const int32_t got = r.tokens[s];
            if (params[s].ban_bits != nullptr)
                EXPECT_FALSE(msv::sampler::banned(params[s].ban_bits, got)) << "slot " << s << " step " << step << ": " << got;
            ++draws;
            const bool is_greedy = params[s].temperature < 1e-5f;
            greedy_draws += is_greedy;
            if (got != d.token) {
                ++mismatches;
                EXPECT_FALSE(is_greedy) << "greedy slot " << s << " step " << step << ": " << got << " vs " << d.token;
                // Re-align the reference's history with the GPU's: reset, then record the GPU's tokens by
                // greedy draws from one-hot rows.
                history[s].push_back(got);
                ref.reset(s, prompt[s].data(), static_cast<int>(prompt[s].size()));
                std::vector<float> one_hot(c.vocab, 0.0f);
                for (int32_t t : history[s]) {
                    one_hot[t] = 1.0f;
                    ref.draw(s, one_hot.data(), greedy(), 0, nullptr, nullptr, 0);
                    one_hot[t] = 0.0f;
                }
            } else {
                history[s].push_back(got);
                EXPECT_NEAR(r.logprobs[s], d.logprob, 1e-4) << "slot " << s;
                for (int k = 0; k < c.max_logprobs; ++k) {
                    EXPECT_EQ(r.top_ids[s * c.max_logprobs + k], ids[k]) << "slot " << s << " rank " << k;
                    if (ids[k] >= 0) EXPECT_NEAR(r.top_logprobs[s * c.max_logprobs + k], lps[k], 1e-4);
                }
            }
            next[s] = got;
        }
    }
    EXPECT_GT(draws - greedy_draws, 0);
    EXPECT_LE(mismatches * 50, draws) << mismatches << " of " << draws << " draws differ (seed " << seed << ")";
    std::printf("sampler (%s, %d slots): %d of %d draws differ from the reference (%d greedy)\n", shape.name.c_str(),
                slots, mismatches, draws, greedy_draws);
}

TEST(ModelGpuSampler, Draws_MatchReferenceSampler) { expect_draws_match_reference(small_shape()); }
TEST(ModelGpuSampler, Draws_MatchReferenceSampler_VocabOverManyChunks) {
    expect_draws_match_reference(many_chunk_vocab_shape());
}
TEST(ModelGpuSampler, Draws_WithBanBits_MatchReferenceSampler) {
    expect_draws_match_reference(many_chunk_vocab_shape(), 16, true);
}
// 300 targets a step: the prefill step's and every decode step's (a graph bucket of 300 rows) sampler runs in two
// launches, the second starting at target 256.
TEST(ModelGpuSampler, Draws_MatchReferenceSampler_MoreTargetsThanOneLaunch) {
    expect_draws_match_reference(many_chunk_vocab_shape(), 300);
}

// The same seed gives the same tokens whatever else is in the batch.
void expect_same_seed_same_tokens(const Shape& shape) {
    const unsigned seed = fresh_seed();
    std::mt19937 rng(seed);
    const msv_model_config c = make_config(shape, MSV_BF16, MSV_F32);
    const Weights w = random_weights(c, rng);
    GpuModel g(c, w, 16);
    const std::vector<int32_t> prompt = random_tokens(rng, 6, c.vocab);
    msv_sampling p = greedy();
    p.temperature = 1.0f, p.seed = 42;
    // The prompt runs alone (a many-row prefill's BLAS rounding depends on the rows); the decodes run beside
    // `others` other sequences.
    auto sequence = [&](int slot, int others) {
        std::vector<int32_t> out;
        Entry first{slot, prompt, false, {}};
        first.targets.push_back({slot, 1, 0, p});
        int32_t tok = run_gpu(g.get(), c, {first}).tokens[0];
        out.push_back(tok);
        for (int o = 0; o < others; ++o) run_gpu(g.get(), c, {{10 + o, random_tokens(rng, 3, c.vocab), false, {}}});
        for (int step = 1; step < 8; ++step) {
            std::vector<Entry> entries;
            Entry e{slot, {tok}, false, {}};
            e.targets.push_back({slot, 0, step, p});
            entries.push_back(e);
            for (int o = 0; o < others; ++o) {
                Entry x{10 + o, random_tokens(rng, 1, c.vocab), false, {}};
                x.targets.push_back({10 + o, step == 1, step, p});
                entries.push_back(x);
            }
            tok = run_gpu(g.get(), c, entries).tokens[0];
            out.push_back(tok);
        }
        return out;
    };
    EXPECT_EQ(sequence(0, 0), sequence(1, 5)) << "seed " << seed;
}

TEST(ModelGpuSampler, SameSeed_SameTokens_WhateverTheBatch) { expect_same_seed_same_tokens(small_shape()); }
TEST(ModelGpuSampler, SameSeed_SameTokens_WhateverTheBatch_VocabOverManyChunks) {
    expect_same_seed_same_tokens(many_chunk_vocab_shape());
}

// A step whose targets are all greedy runs the sampler's first kernel alone (its own decode graphs): the same
// tokens, logprobs and top-N, bit for bit, as the whole sampler (MSV_GREEDY_ONLY=0), with penalties, a logit bias
// and logprobs; greedy-only steps alternate with mixed ones (sampling targets beside greedy ones, the whole sampler),
// so the later kernels' per-target counters must stay right across the steps that skip them. Decode steps of 1, 3 and
// 12 rows (graph buckets of the fused and BLAS paths) and one greedy prefill + decode step (no graph).
TEST(ModelGpuSampler, GreedyOnlySteps_MatchTheWholeSampler) {
    const unsigned seed = fresh_seed();
    std::mt19937 rng(seed);
    const msv_model_config c = make_config(many_chunk_vocab_shape(), MSV_BF16, MSV_F32, 256, 16, 1);
    const Weights w = random_weights(c, rng);
    GpuModel skip(c, w, 16);
    const std::unique_ptr<GpuModel> whole = gpu_model_with("MSV_GREEDY_ONLY", "0", c, w, 16);
    std::vector<int32_t> bias_ids = {5, 1500, 4000};
    std::vector<float> bias_values = {3.0f, 2.5f, -1.0f};
    const auto params = [&](int slot, bool sampling) {
        msv_sampling p = greedy();
        p.logprobs = 5, p.seed = 77 + slot;
        if (slot % 3 == 1) p.repetition_penalty = 1.3f, p.frequency_penalty = 0.4f;
        if (slot % 3 == 2) p.n_bias = 3, p.bias_ids = bias_ids.data(), p.bias_values = bias_values.data();
        if (sampling && slot % 2 == 0) p.temperature = 0.8f, p.top_p = 0.9f;
        return p;
    };
    std::vector<std::vector<int32_t>> prompts;
    for (int s = 0; s < 12; ++s) prompts.push_back(random_tokens(rng, 3 + s % 4, c.vocab));
    std::vector<int32_t> next(12, 0);
    const std::vector<int> rows = {1, 3, 12, 12, 3, 12, 1, 12};
    int compared = 0;
    for (size_t step = 0; step <= rows.size(); ++step) {
        // Step 0: every prompt, one entry each. Odd steps mix sampling targets in; step 4 (greedy) also prefills slot
        // 12's prompt beside the decodes.
        const bool sampling = step % 2 == 1;
        std::vector<Entry> entries;
        const int n = step == 0 ? 12 : rows[step - 1];
        for (int s = 0; s < n; ++s) {
            Entry e{s, step == 0 ? prompts[s] : std::vector<int32_t>{next[s]}, false, {}};
            e.targets.push_back({s, step == 0, static_cast<int32_t>(step), params(s, sampling)});
            entries.push_back(e);
        }
        if (step == 4) {
            Entry e{12, random_tokens(rng, 5, c.vocab), false, {}};
            e.targets.push_back({12, true, 0, params(12, false)});
            entries.push_back(e);
        }
        const auto run = [&](GpuModel& m) {
            if (step > 0) return run_gpu(m.get(), c, entries);
            StepResult all;  // prompts one at a time
            for (const Entry& e : entries) {
                const StepResult r = run_gpu(m.get(), c, {e});
                all.tokens.insert(all.tokens.end(), r.tokens.begin(), r.tokens.end());
                all.logprobs.insert(all.logprobs.end(), r.logprobs.begin(), r.logprobs.end());
                all.top_ids.insert(all.top_ids.end(), r.top_ids.begin(), r.top_ids.end());
                all.top_logprobs.insert(all.top_logprobs.end(), r.top_logprobs.begin(), r.top_logprobs.end());
            }
            return all;
        };
        const StepResult a = run(skip), b = run(*whole);
        ASSERT_EQ(a.tokens, b.tokens) << "step " << step << " seed " << seed;
        ASSERT_EQ(a.top_ids, b.top_ids) << "step " << step << " seed " << seed;
        ASSERT_EQ(a.logprobs.size(), b.logprobs.size());
        EXPECT_EQ(0, std::memcmp(a.logprobs.data(), b.logprobs.data(), a.logprobs.size() * 4)) << "step " << step;
        ASSERT_EQ(a.top_logprobs.size(), b.top_logprobs.size());
        EXPECT_EQ(0, std::memcmp(a.top_logprobs.data(), b.top_logprobs.data(), a.top_logprobs.size() * 4))
            << "step " << step;
        for (int s = 0; s < n; ++s) next[s] = a.tokens[s];
        compared += static_cast<int>(a.tokens.size());
    }
    EXPECT_EQ(12 + 1 + 3 + 12 + 13 + 3 + 12 + 1 + 12, compared);
}

// Plain greedy targets (greedy, no bias, bans, penalties or top-N) take the plain greedy kernel, one block a row,
// whatever else the step holds: steps of plain targets alone (its own decode graphs), beside greedy targets with
// penalties and top-N (the chunked kernels' first too), and beside sampling targets (every kernel); decode steps of
// 1, 3 and 12 rows and steps that prefill (no graph). Against the same model with the chunked kernels alone
// (MSV_PLAIN_GREEDY=0): the same tokens everywhere; a plain target's logprob to rounding (its sums are the plain
// kernel's own), every other result bit for bit, so the plain kernel's resets and counts of the slots leave the
// penalties of later steps exactly as the chunked kernels do. Vocabularies of 5,000 ids (16-byte rows: float4 loads
// and a tail past the sampleable 4,997) and 101 (scalar loads).
void expect_plain_greedy_matches_chunks(const Shape& shape) {
    const unsigned seed = fresh_seed();
    std::mt19937 rng(seed);
    const msv_model_config c = make_config(shape, MSV_BF16, MSV_F32, 256, 16, 1);
    const Weights w = random_weights(c, rng);
    GpuModel plain(c, w, 16);
    const std::unique_ptr<GpuModel> chunks = gpu_model_with("MSV_PLAIN_GREEDY", "0", c, w, 16);
    // Slots 4k and 4k + 1 plain always (logprobs -1 and 0); 4k + 2 greedy with penalties and top-N on steps 1, 4, 7
    // (3n + 1); 4k + 3 sampling on steps 2, 5, 8 (3n + 2); plain otherwise.
    const auto params = [&](int slot, int step) {
        msv_sampling p = greedy();
        p.seed = 91 + slot;
        if (slot % 4 == 1) p.logprobs = 0;
        if (slot % 4 == 2 && step % 3 == 1) p.logprobs = 3, p.repetition_penalty = 1.3f, p.frequency_penalty = 0.4f;
        if (slot % 4 == 3 && step % 3 == 2) p.temperature = 0.8f, p.top_p = 0.9f;
        return p;
    };
    const auto is_plain = [&](int slot, int step) {
        const msv_sampling p = params(slot, step);
        return p.temperature == 0.0f && p.repetition_penalty == 1.0f && p.logprobs <= 0;
    };
    std::vector<int32_t> next(13, 0);
    const std::vector<int> rows = {1, 3, 12, 12, 3, 12, 1, 12};
    int plain_rows = 0;
    for (int step = 0; step <= static_cast<int>(rows.size()); ++step) {
        // Step 0 prefills every prompt in one step; step 4 also prefills slot 12's beside the decodes.
        std::vector<Entry> entries;
        std::vector<int> slots;
        const int n = step == 0 ? 12 : rows[step - 1];
        for (int s = 0; s < n; ++s) slots.push_back(s);
        if (step == 4) slots.push_back(12);
        for (int s : slots) {
            const bool prompt = step == 0 || s == 12;
            Entry e{s, prompt ? random_tokens(rng, 3 + s % 4, c.vocab) : std::vector<int32_t>{next[s]}, false, {}};
            e.targets.push_back({s, prompt, prompt ? 0 : step, params(s, step)});
            entries.push_back(e);
        }
        const StepResult a = run_gpu(plain.get(), c, entries), b = run_gpu(chunks->get(), c, entries);
        ASSERT_EQ(a.tokens, b.tokens) << "step " << step << " seed " << seed;
        ASSERT_EQ(a.top_ids, b.top_ids) << "step " << step << " seed " << seed;
        ASSERT_EQ(a.top_logprobs.size(), b.top_logprobs.size());
        EXPECT_EQ(0, std::memcmp(a.top_logprobs.data(), b.top_logprobs.data(), a.top_logprobs.size() * 4))
            << "step " << step;
        for (size_t i = 0; i < slots.size(); ++i) {
            const int s = slots[i];
            if (is_plain(s, step)) {
                EXPECT_NEAR(a.logprobs[i], b.logprobs[i], 1e-5) << "step " << step << " slot " << s;
                ++plain_rows;
            } else {
                EXPECT_EQ(0, std::memcmp(&a.logprobs[i], &b.logprobs[i], 4)) << "step " << step << " slot " << s;
            }
            next[s] = a.tokens[i];
        }
    }
    EXPECT_GT(plain_rows, 40) << "seed " << seed;
}

TEST(ModelGpuSampler, PlainGreedyTargets_MatchTheChunkedSampler) {
    expect_plain_greedy_matches_chunks(many_chunk_vocab_shape());
}
TEST(ModelGpuSampler, PlainGreedyTargets_MatchTheChunkedSampler_UnalignedRows) {
    expect_plain_greedy_matches_chunks(odd_shape());
}

// ---- errors and the device --------------------------------------------------------------------------------------

TEST(ModelGpuErrors, WeightsLargerThanTheDevice_OutOfMemoryNamesTheBytes) {
    Shape huge = small_shape();
    huge.d_model = 8192, huge.vocab = 1 << 24, huge.sampleable = 1 << 24;  // a 256 GiB bf16 embedding
    const msv_model_config c = make_config(huge, MSV_BF16, MSV_F32);
    msv_model* m = nullptr;
    EXPECT_EQ(MSV_ERR_OUT_OF_MEMORY, msv_model_create(&c, &m));
    EXPECT_EQ(nullptr, m);
    EXPECT_NE(std::string::npos, std::string(msv_last_error()).find("asked for")) << msv_last_error();
    EXPECT_NE(std::string::npos, std::string(msv_last_error()).find("free")) << msv_last_error();
}

// The device's warp is a whole number of the kernels' cooperating groups (32 on NVIDIA and RDNA, 64 on CDNA).
TEST(ModelGpuErrors, DeviceQuery_ReportsTheDeviceAndItsWarp) {
    msv_device_info info{};
    msv_ok(msv_device_query(0, &info), "msv_device_query");
    ASSERT_GE(info.count, 1) << info.reason;
    EXPECT_GT(std::strlen(info.name), 0u);
    EXPECT_GT(std::strlen(info.arch), 0u);
    EXPECT_GT(info.total_bytes, 0);
    EXPECT_GT(info.free_bytes, 0);
    EXPECT_EQ(0, info.warp_size % MSV_GROUP) << "warp " << info.warp_size;
    msv_device_info none{};
    msv_ok(msv_device_query(info.count, &none), "msv_device_query past the last device");
    EXPECT_GT(std::strlen(none.reason), 0u);
}

}  // namespace
}  // namespace msv::test
