#include "model_test_util.h"

#include "model/model_tensors.h"
#include "model/step_ref.h"
#include "test_util.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace msv::test {

Shape small_shape() { return {64, 2, 128, 16, 4, 8, 200, 190, true, false, true, "small"}; }
Shape odd_shape() { return {40, 3, 72, 8, 3, 5, 101, 97, true, true, false, "odd"}; }
Shape wide_shape() { return {256, 2, 512, 16, 4, 16, 300, 300, true, false, true, "wide"}; }

msv_model_config make_config(const Shape& s, msv_dtype weights, msv_dtype state, int max_step_tokens,
                             int max_decode_batch, int use_graphs) {
    msv_model_config c{};
    c.d_model = s.d_model, c.n_layer = s.n_layer, c.d_inner = s.d_inner, c.d_state = s.d_state;
    c.d_conv = s.d_conv, c.dt_rank = s.dt_rank, c.vocab = s.vocab, c.sampleable_vocab = s.sampleable;
    c.conv_bias = s.conv_bias, c.proj_bias = s.proj_bias, c.tie_embeddings = s.tied, c.norm_eps = 1e-5f;
    c.weight_dtype = weights, c.state_dtype = state, c.max_step_tokens = max_step_tokens;
    c.max_decode_batch = max_decode_batch, c.max_logprobs = 5, c.device = 0, c.use_graphs = use_graphs;
    return c;
}

// Scales that keep activations O(1) through the layers, as trained Mamba weights do: fan-in scaled projections,
// dt = softplus(dt_proj . dt + dt_bias) in ~[1e-3, 1e-1], A = -[1 .. d_state].
Weights random_weights(const msv_model_config& c, std::mt19937& rng) {
    Weights w;
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_real_distribution<float> uni(0.0f, 1.0f);
    auto fill = [&](msv_tensor t, int layer) {
        std::vector<float> v(static_cast<size_t>(msv::model::tensor_count(c, t)));
        const float in_dm = 1.0f / std::sqrt(float(c.d_model)), in_di = 1.0f / std::sqrt(float(c.d_inner));
        for (size_t i = 0; i < v.size(); ++i) {
            switch (t) {
                case MSV_T_EMBEDDING:
                case MSV_T_LM_HEAD: v[i] = normal(rng); break;
                case MSV_T_NORM:
                case MSV_T_NORM_F: v[i] = 0.5f + uni(rng); break;
                case MSV_T_IN_PROJ: v[i] = normal(rng) * in_dm; break;
                case MSV_T_CONV_WEIGHT: v[i] = (uni(rng) - 0.5f); break;
                case MSV_T_X_PROJ:
                case MSV_T_OUT_PROJ: v[i] = normal(rng) * in_di; break;
                case MSV_T_DT_PROJ: v[i] = normal(rng) / std::sqrt(float(c.dt_rank)) * 0.5f; break;
                case MSV_T_DT_PROJ_BIAS: {
                    const float dt = std::exp(std::log(1e-3f) + uni(rng) * (std::log(1e-1f) - std::log(1e-3f)));
                    v[i] = dt + std::log(-std::expm1(-dt));  // inverse softplus
                    break;
                }
                case MSV_T_A_LOG: v[i] = std::log(float(i % c.d_state + 1)); break;
                case MSV_T_D: v[i] = 1.0f + 0.1f * normal(rng); break;
                default: v[i] = 0.1f * normal(rng); break;  // biases
            }
        }
        if (msv::model::tensor_is_matrix(t) && c.weight_dtype != MSV_F32)
            for (float& x : v) x = round_to(c.weight_dtype, x);
        w[{t, layer}] = std::move(v);
    };
    for (msv_tensor t : msv::model::kModelTensors)
        if (msv::model::tensor_present(c, t)) fill(t, 0);
    for (int l = 0; l < c.n_layer; ++l)
        for (msv_tensor t : msv::model::kLayerTensors)
            if (msv::model::tensor_present(c, t)) fill(t, l);
    return w;
}

GpuModel::GpuModel(const msv_model_config& c, const Weights& w, int slots) {
    msv_ok(msv_model_create(&c, &m_), "msv_model_create");
    for (const auto& [key, v] : w)
        msv_ok(msv_model_set_tensor(m_, static_cast<msv_tensor>(key.first), key.second, v.data(), MSV_F32,
                                    static_cast<int64_t>(v.size())),
               "msv_model_set_tensor");
    msv_ok(msv_model_finalize(m_, nullptr), "msv_model_finalize");
    msv_ok(msv_model_allocate_pool(m_, slots), "msv_model_allocate_pool");
}

GpuModel::~GpuModel() { msv_model_destroy(m_); }

std::unique_ptr<GpuModel> gpu_model_with(const char* name, const char* value, const msv_model_config& c,
                                         const Weights& w, int slots) {
    ScopedEnv env(name, value);
    return std::make_unique<GpuModel>(c, w, slots);
}

RefModel::RefModel(const msv_model_config& c, const Weights& w, int slots) : model(c), sampler(slots, c.sampleable_vocab) {
    for (const auto& [key, v] : w) model.set_tensor(static_cast<msv_tensor>(key.first), key.second, v.data(), MSV_F32);
    model.allocate_pool(slots);
}

msv_sampling greedy() {
    msv_sampling s{};
    s.temperature = 0.0f, s.top_p = 1.0f, s.repetition_penalty = 1.0f, s.logprobs = -1;
    return s;
}

namespace {

// Builds the msv_step of `entries` over `out` and calls `run` on it.
template <typename Run>
StepResult run_step(const msv_model_config& c, std::vector<Entry>& entries, Run&& run) {
    std::vector<msv_step_entry> es;
    std::vector<msv_sample_target> ts;
    int64_t logit_rows = 0;
    for (Entry& e : entries) {
        msv_step_entry x{};
        x.tokens = e.tokens.data(), x.slot = e.slot, x.n_tokens = static_cast<int32_t>(e.tokens.size());
        x.all_logits = e.all_logits, x.first_sample = static_cast<int32_t>(ts.size());
        x.n_samples = static_cast<int32_t>(e.targets.size());
        for (Target& t : e.targets) ts.push_back({t.slot, t.reset, t.position, &t.sampling});
        if (e.all_logits) logit_rows += x.n_tokens;
        es.push_back(x);
    }
    StepResult r;
    const size_t n = ts.size();
    r.logits.assign(static_cast<size_t>(logit_rows) * c.vocab, NAN);
    r.tokens.assign(n, -7), r.logprobs.assign(n, NAN);
    r.top_ids.assign(n * c.max_logprobs, -7), r.top_logprobs.assign(n * c.max_logprobs, NAN);
    msv_step s{};
    s.entries = es.data(), s.samples = ts.data(), s.n_entries = static_cast<int32_t>(es.size());
    s.n_samples = static_cast<int32_t>(n);
    s.out_tokens = r.tokens.data(), s.out_logprobs = r.logprobs.data();
    s.out_top_ids = r.top_ids.data(), s.out_top_logprobs = r.top_logprobs.data();
    s.out_logits = logit_rows > 0 ? r.logits.data() : nullptr;
    run(s);
    return r;
}

}  // namespace

StepResult run_gpu(msv_model* m, const msv_model_config& c, std::vector<Entry> entries) {
    return run_step(c, entries, [&](const msv_step& s) { msv_ok(msv_model_step(m, &s), "msv_model_step"); });
}

StepResult run_ref(RefModel& r, const msv_model_config& c, std::vector<Entry> entries) {
    return run_step(c, entries, [&](const msv_step& s) { msv::ref::run_step(r.model, r.sampler, s); });
}

::testing::AssertionResult logits_close(const std::vector<float>& got, const std::vector<float>& want, int vocab,
                                        msv_dtype weights, double abs_tol, double rel_tol) {
    if (got.size() != want.size()) return ::testing::AssertionFailure() << "sizes differ";
    const size_t rows = want.size() / vocab;
    for (size_t r = 0; r < rows; ++r) {
        double d2 = 0, w2 = 0, dmax = 0;
        size_t at = 0;
        for (int v = 0; v < vocab; ++v) {
            const double g = got[r * vocab + v], w = want[r * vocab + v];
            if (std::isnan(g) || std::isnan(w))
                return ::testing::AssertionFailure() << "NaN at row " << r << " id " << v << " (got " << g << ", want " << w << ")";
            const double d = std::fabs(g - w);
            d2 += d * d, w2 += w * w;
            if (d > dmax) dmax = d, at = v;
        }
        const double rel = std::sqrt(d2 / std::max(w2, 1e-30));
        const bool ok = weights == MSV_F32 ? dmax <= abs_tol : rel <= rel_tol;
        if (!ok)
            return ::testing::AssertionFailure() << "row " << r << ": max abs diff " << dmax << " at id " << at
                                                 << " (got " << got[r * vocab + at] << ", want " << want[r * vocab + at]
                                                 << "), relative L2 " << rel;
    }
    return ::testing::AssertionSuccess();
}

std::vector<int32_t> random_tokens(std::mt19937& rng, int n, int vocab) {
    std::uniform_int_distribution<int32_t> d(0, vocab - 1);
    std::vector<int32_t> t(static_cast<size_t>(n));
    for (int32_t& x : t) x = d(rng);
    return t;
}

StepResult run_script(msv_model* m, const msv_model_config& c, int n, const std::vector<int>& batches, unsigned seed,
                      bool alone) {
    std::mt19937 rng(seed);
    StepResult all;
    auto append = [&](const StepResult& r) {
        all.logits.insert(all.logits.end(), r.logits.begin(), r.logits.end());
        all.tokens.insert(all.tokens.end(), r.tokens.begin(), r.tokens.end());
    };
    // Prompts one at a time on both sides: a prefill of many rows goes through the BLAS, whose rounding depends on
    // the row count.
    for (int s = 0; s < n; ++s) append(run_gpu(m, c, {{s, random_tokens(rng, 2 + s % 4, c.vocab), true, {}}}));
    int position = 0;
    for (int b : batches) {
        std::vector<Entry> step;
        for (int s = 0; s < b; ++s) {
            Entry e{s, random_tokens(rng, 1, c.vocab), true, {}};
            Target t{s, position == 0, position, greedy()};
            t.sampling.temperature = 0.8f, t.sampling.top_p = 0.9f, t.sampling.seed = 1000 + s;
            e.targets.push_back(t);
            step.push_back(e);
        }
        ++position;
        if (alone)
            for (const Entry& e : step) append(run_gpu(m, c, {e}));
        else
            append(run_gpu(m, c, step));
    }
    return all;
}

void expect_batched_equals_alone(const Shape& shape, int n, const std::vector<int>& batches) {
    const unsigned seed = fresh_seed();
    std::mt19937 rng(seed);
    const msv_model_config c = make_config(shape, MSV_BF16, MSV_F32);
    const Weights w = random_weights(c, rng);
    GpuModel batched(c, w, 16), alone(c, w, 16);
    const StepResult a = run_script(batched.get(), c, n, batches, seed, false);
    const StepResult b = run_script(alone.get(), c, n, batches, seed, true);
    // Both scripts emit rows in slot order within a step, so the concatenations line up.
    ASSERT_EQ(a.logits.size(), b.logits.size()) << "seed " << seed;
    EXPECT_EQ(0, std::memcmp(a.logits.data(), b.logits.data(), a.logits.size() * 4)) << "seed " << seed;
    EXPECT_EQ(a.tokens, b.tokens) << "seed " << seed;
}

}  // namespace msv::test
