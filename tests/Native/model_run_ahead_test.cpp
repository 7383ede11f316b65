// msv_model_step_begin / msv_model_step_end and msv_step_entry.from_previous (mambaserve.h): decode steps run ahead
// of the host, each begun from the draws of the step before it while that step is still in flight, give bit for bit
// what msv_model_step gives when the host feeds the same tokens back; every refusal leaves the model as it was. In the
// GPU test binary and, against libmambaserve_cpu (what the managed runner's tests load), in mambaserve_cpu_tests
// (tests/Native/CMakeLists.txt with MSV_BACKEND=cpu).
#include "model_test_util.h"
#include "test_util.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

namespace msv::test {
namespace {

bool cpu_library() { return std::strcmp(msv_backend_name(), "cpu") == 0; }

// Refused as an invalid argument, with a message that contains `part`.
::testing::AssertionResult refused(msv_status st, const char* part) {
    const std::string msg = msv_last_error();
    if (st != MSV_ERR_INVALID_ARGUMENT)
        return ::testing::AssertionFailure() << "status " << st << " (\"" << msg << "\"), not a refusal";
    if (msg.find(part) == std::string::npos)
        return ::testing::AssertionFailure() << "message \"" << msg << "\" lacks \"" << part << "\"";
    return ::testing::AssertionSuccess();
}

// One row of a step: its slot and input (host tokens, or from_previous k >= 1 and no tokens); each row draws one
// sample for its own slot.
struct Row {
    int slot;
    std::vector<int32_t> tokens;
    int from_previous = 0;
};

struct Outputs {
    std::vector<int32_t> tokens, top_ids;
    std::vector<float> logprobs, top_logprobs, logits;
};

// The arrays of one msv_step. The inputs (entries, tokens, samples) may be reused as soon as a begin returns, which
// clobber() does to catch a backend that reads them later; the outputs stay until the step ends.
struct StepIo {
    std::vector<std::vector<int32_t>> tokens;
    std::vector<msv_step_entry> entries;
    std::vector<msv_sample_target> samples;
    Outputs out;
    int32_t bad = -2;

    msv_step view() {
        msv_step s{};
        s.entries = entries.data(), s.samples = samples.data();
        s.n_entries = static_cast<int32_t>(entries.size()), s.n_samples = static_cast<int32_t>(samples.size());
        s.out_tokens = out.tokens.data(), s.out_logprobs = out.logprobs.data();
        s.out_top_ids = out.top_ids.data(), s.out_top_logprobs = out.top_logprobs.data();
        s.out_logits = out.logits.empty() ? nullptr : out.logits.data();
        s.out_bad_entry = &bad;
        return s;
    }
    void clobber() {
        for (auto& t : tokens) std::fill(t.begin(), t.end(), -1);
        std::memset(static_cast<void*>(entries.data()), 0xAB, entries.size() * sizeof(msv_step_entry));
        std::memset(static_cast<void*>(samples.data()), 0xAB, samples.size() * sizeof(msv_sample_target));
    }
};

// Row r's sample is sample_of[r] (empty: r), at `position`, reset with its prompt when `reset`; row logits_row sets
// all_logits.
std::unique_ptr<StepIo> make_io(const msv_model_config& c, const std::vector<Row>& rows, std::vector<int> sample_of,
                                int position, bool reset, const std::vector<msv_sampling>& sampling,
                                int logits_row = -1) {
    auto io = std::make_unique<StepIo>();
    const size_t n = rows.size();
    if (sample_of.empty()) {
        sample_of.resize(n);
        std::iota(sample_of.begin(), sample_of.end(), 0);
    }
    io->tokens.resize(n);
    io->entries.resize(n);
    io->samples.resize(n);
    int64_t logit_rows = 0;
    for (size_t r = 0; r < n; ++r) {
        io->tokens[r] = rows[r].tokens;
        msv_step_entry& e = io->entries[r];
        e.tokens = rows[r].from_previous > 0 ? nullptr : io->tokens[r].data();
        e.slot = rows[r].slot;
        e.n_tokens = rows[r].from_previous > 0 ? 1 : static_cast<int32_t>(rows[r].tokens.size());
        e.all_logits = static_cast<int>(r) == logits_row;
        e.first_sample = sample_of[r], e.n_samples = 1;
        e.from_previous = rows[r].from_previous;
        io->samples[size_t(sample_of[r])] = {rows[r].slot, reset ? 1 : 0, position, &sampling[size_t(rows[r].slot)]};
        if (e.all_logits) logit_rows += e.n_tokens;
    }
    const int N = c.max_logprobs;
    io->out.tokens.assign(n, -7), io->out.logprobs.assign(n, -7.0f);
    io->out.top_ids.assign(n * N, -7), io->out.top_logprobs.assign(n * N, -7.0f);
    io->out.logits.assign(size_t(logit_rows) * c.vocab, -7.0f);
    return io;
}

void expect_same(const Outputs& a, const Outputs& b, const std::string& what) {
    SCOPED_TRACE(what);
    for (int32_t t : a.tokens) EXPECT_GE(t, 0) << "a token was not written";
    EXPECT_EQ(a.tokens, b.tokens);
    ASSERT_EQ(a.logprobs.size(), b.logprobs.size());
    EXPECT_EQ(0, std::memcmp(a.logprobs.data(), b.logprobs.data(), a.logprobs.size() * 4)) << "logprobs differ";
    EXPECT_EQ(a.top_ids, b.top_ids);
    ASSERT_EQ(a.top_logprobs.size(), b.top_logprobs.size());
    EXPECT_EQ(0, std::memcmp(a.top_logprobs.data(), b.top_logprobs.data(), a.top_logprobs.size() * 4))
        << "top logprobs differ";
    ASSERT_EQ(a.logits.size(), b.logits.size());
    EXPECT_EQ(0, std::memcmp(a.logits.data(), b.logits.data(), a.logits.size() * 4)) << "logits differ";
}

// Per slot: plain greedy, or (mixed) by slot greedy with repetition and frequency penalties and top-3 logprobs,
// seeded top-p at temperature 0.8 with both penalties, seeded top-k / min-p at temperature 1.1 with a presence
// penalty; the prompt is the repetition penalty's seen set.
std::vector<msv_sampling> samplings(int slots, bool plain, const std::vector<std::vector<int32_t>>& prompts) {
    std::vector<msv_sampling> out(size_t(slots), greedy());
    for (int s = 0; s < slots; ++s) {
        msv_sampling& p = out[size_t(s)];
        p.n_prompt = static_cast<int32_t>(prompts[size_t(s)].size()), p.prompt_ids = prompts[size_t(s)].data();
        if (plain) continue;
        p.seed = 1000 + 17 * s;
        switch ((s + 1) % 3) {
            case 0: p.repetition_penalty = 1.3f, p.frequency_penalty = 0.5f, p.logprobs = 3; break;
            case 1:
                p.temperature = 0.8f, p.top_p = 0.9f, p.repetition_penalty = 1.2f, p.frequency_penalty = 0.3f;
                break;
            default: p.temperature = 1.1f, p.top_k = 20, p.min_p = 0.02f, p.presence_penalty = 0.4f; break;
        }
    }
    return out;
}

// Prompts of 1-5 tokens (slots 1, 4, 7, ... one token: decode rows of the prefill step, which run first).
std::vector<std::vector<int32_t>> prompts(std::mt19937& rng, int slots, int vocab) {
    std::vector<std::vector<int32_t>> out;
    for (int s = 0; s < slots; ++s) out.push_back(random_tokens(rng, s % 3 == 1 ? 1 : 2 + s % 4, vocab));
    return out;
}

constexpr int kSlots = 16;

// ---- run ahead against the host ---------------------------------------------------------------------------------

struct AheadCase {
    msv_dtype weights;
    int rows;
    bool plain;
};

std::string case_name(const AheadCase& c) {
    return std::string("w") + dtype_name(c.weights) + "_rows" + std::to_string(c.rows) +
           (c.plain ? "_greedy" : "_mixed");
}
std::string ahead_name(const ::testing::TestParamInfo<AheadCase>& info) { return case_name(info.param); }
void PrintTo(const AheadCase& c, std::ostream* os) { *os << case_name(c); }

// One step of the script: row r runs slot slots[r] and draws the step's sample sample_of[r].
struct Plan {
    std::vector<int> slots, sample_of;
    bool prefill = false;
    int logits_row = -1;
    int sample_of_slot(int slot) const {
        for (size_t r = 0; r < slots.size(); ++r)
            if (slots[r] == slot) return sample_of[r];
        return -1;
    }
};

// A prefill of `rows` prompts whose samples are in reverse entry order (so the GPU's generic step sorts its targets
// into another order than the samples'), then 6 decode steps: the second with its samples in another order than
// its entries, the third with its entries reversed, the fourth with one row stopped, the fifth rotated.
std::vector<Plan> script(int rows) {
    std::vector<Plan> plans(1);
    plans[0].prefill = true, plans[0].logits_row = 0;
    for (int r = 0; r < rows; ++r) plans[0].slots.push_back(r), plans[0].sample_of.push_back(rows - 1 - r);
    std::vector<int> live(static_cast<size_t>(rows));
    std::iota(live.begin(), live.end(), 0);
    for (int k = 1; k <= 6; ++k) {
        if (k == 3) std::reverse(live.begin(), live.end());
        if (k == 4 && live.size() > 1) live.pop_back();
        if (k == 5) std::rotate(live.begin(), live.begin() + 1, live.end());
        Plan d;
        d.slots = live;
        const int n = static_cast<int>(live.size());
        for (int r = 0; r < n; ++r) d.sample_of.push_back(k == 2 ? (r + 1) % n : r);
        d.logits_row = k == 2 ? 0 : -1;
        plans.push_back(d);
    }
    return plans;
}

class ModelRunAhead : public ::testing::TestWithParam<AheadCase> {};

TEST_P(ModelRunAhead, DecodeSteps_EqualHostFedSteps) {
    const AheadCase& tc = GetParam();
    if (tc.weights != MSV_F32 && cpu_library()) GTEST_SKIP() << "the cpu library runs fp32 weights only";
    const unsigned seed = fresh_seed();
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    const msv_model_config c = make_config(small_shape(), tc.weights, MSV_F32, 256, 16, 1);
    const Weights w = random_weights(c, rng);
    const auto prompt = prompts(rng, kSlots, c.vocab);
    const std::vector<msv_sampling> sampling = samplings(kSlots, tc.plain, prompt);
    GpuModel host(c, w, kSlots);
    // The run-ahead model with the step mark (read at msv_model_create) halfway through its layers: its decode graphs
    // carry the mark's side branch, and it waits for each step's mark as the engine does.
    std::unique_ptr<GpuModel> marked;
    {
        ScopedEnv mark("MSV_AHEAD_MARK", "50");
        marked = std::make_unique<GpuModel>(c, w, kSlots);
    }
    GpuModel& ahead = *marked;
    const std::vector<Plan> plans = script(tc.rows);

    // Step k's rows: the prompt, or one token from the previous step (ahead: its sample on the model; host: the token
    // the host read).
    auto rows_of = [&](size_t k, const Outputs* previous) {
        std::vector<Row> rows;
        for (int slot : plans[k].slots) {
            if (plans[k].prefill) rows.push_back({slot, prompt[size_t(slot)], 0});
            else if (previous == nullptr) rows.push_back({slot, {}, plans[k - 1].sample_of_slot(slot) + 1});
            else rows.push_back({slot, {previous->tokens[size_t(plans[k - 1].sample_of_slot(slot))]}, 0});
        }
        return make_io(c, rows, plans[k].sample_of, static_cast<int>(k), plans[k].prefill, sampling,
                       plans[k].logits_row);
    };

    // The host's way: msv_model_step, each step's tokens fed back.
    std::vector<Outputs> want;
    for (size_t k = 0; k < plans.size(); ++k) {
        auto io = rows_of(k, k == 0 ? nullptr : &want.back());
        const msv_step s = io->view();
        msv_ok(msv_model_step(host.get(), &s), "msv_model_step");
        want.push_back(io->out);
    }

    // The engine's way: wait for k's mark, begin k + 1 from k, then end k.
    std::vector<std::unique_ptr<StepIo>> ios;
    for (size_t k = 0; k < plans.size(); ++k) {
        if (k > 0) msv_ok(msv_model_step_wait_mark(ahead.get()), "msv_model_step_wait_mark");
        ios.push_back(rows_of(k, nullptr));
        const msv_step s = ios.back()->view();
        msv_ok(msv_model_step_begin(ahead.get(), &s), "msv_model_step_begin");
        EXPECT_EQ(ios.back()->bad, -1);
        ios.back()->clobber();
        if (k > 0) msv_ok(msv_model_step_end(ahead.get()), "msv_model_step_end");
    }
    msv_ok(msv_model_step_end(ahead.get()), "msv_model_step_end");
    EXPECT_TRUE(refused(msv_model_step_end(ahead.get()), "no step in flight"));

    for (size_t k = 0; k < plans.size(); ++k) expect_same(ios[k]->out, want[k], "step " + std::to_string(k));
}

INSTANTIATE_TEST_SUITE_P(Rows, ModelRunAhead,
                         ::testing::Values(AheadCase{MSV_F32, 1, true}, AheadCase{MSV_F32, 1, false},
                                           AheadCase{MSV_F32, 3, true}, AheadCase{MSV_F32, 3, false},
                                           AheadCase{MSV_F32, 12, true}, AheadCase{MSV_F32, 12, false},
                                           AheadCase{MSV_BF16, 1, false}, AheadCase{MSV_BF16, 3, true},
                                           AheadCase{MSV_BF16, 3, false}, AheadCase{MSV_BF16, 12, false}),
                         ahead_name);

// ---- refusals (each leaves the model as its twin, which never saw the refused call), slot operations in flight --

class ModelRunAheadRules : public ::testing::Test {
protected:
    void SetUp() override {
        seed_ = fresh_seed();
        std::mt19937 rng(seed_);
        c_ = make_config(small_shape(), MSV_F32, MSV_F32, 256, 16, 1);
        const Weights w = random_weights(c_, rng);
        prompt_ = prompts(rng, kSlots, c_.vocab);
        sampling_ = samplings(kSlots, false, prompt_);
        {
            ScopedEnv mark("MSV_AHEAD_MARK", "50");  // m_ with the step mark; the twin without (the default is 75)
            m_ = std::make_unique<GpuModel>(c_, w, kSlots);
        }
        {
            ScopedEnv off("MSV_AHEAD_MARK", "off");
            twin_ = std::make_unique<GpuModel>(c_, w, kSlots);
        }
    }

    // Runs rows as one step on `m` (begin: msv_model_step_begin, not ended here); the io keeps the outputs.
    std::unique_ptr<StepIo> run(msv_model* m, const std::vector<Row>& rows, int position, bool begin = false) {
        auto io = make_io(c_, rows, {}, position, position == 0, sampling_);
        const msv_step s = io->view();
        if (begin) msv_ok(msv_model_step_begin(m, &s), "msv_model_step_begin");
        else msv_ok(msv_model_step(m, &s), "msv_model_step");
        return io;
    }
    // The prompts of `slots` as one step (position 0, reset).
    std::vector<Row> prefill(std::vector<int> slots) const {
        std::vector<Row> rows;
        for (int s : slots) rows.push_back({s, prompt_[size_t(s)], 0});
        return rows;
    }
    // A step of rows on m (from_previous as given) and, fed the tokens of `twin_previous` instead, on the twin.
    void expect_twin_agrees(const std::vector<Row>& rows, const Outputs& twin_previous, int position,
                            const char* what) {
        std::vector<Row> fed = rows;
        for (Row& r : fed)
            if (r.from_previous > 0)
                r.tokens = {twin_previous.tokens[size_t(r.from_previous - 1)]}, r.from_previous = 0;
        const auto a = run(m_->get(), rows, position);
        const auto b = run(twin_->get(), fed, position);
        expect_same(a->out, b->out, std::string(what) + ", seed " + std::to_string(seed_));
    }
    // The step refused on m: the status, the message, *out_bad_entry.
    void expect_refused(std::unique_ptr<StepIo> io, bool begin, const char* part, int bad) {
        const msv_step s = io->view();
        EXPECT_TRUE(refused(begin ? msv_model_step_begin(m_->get(), &s) : msv_model_step(m_->get(), &s), part));
        EXPECT_EQ(io->bad, bad);
    }

    unsigned seed_ = 0;
    msv_model_config c_{};
    std::vector<std::vector<int32_t>> prompt_;
    std::vector<msv_sampling> sampling_;
    std::unique_ptr<GpuModel> m_, twin_;
};

TEST_F(ModelRunAheadRules, FromPrevious_NoPreviousStep) {
    for (bool begin : {true, false})
        expect_refused(make_io(c_, {{0, {3, 4}, 0}, {1, {}, 1}}, {}, 0, true, sampling_), begin,
                       "no step ran before on this model", 1);
    EXPECT_TRUE(refused(msv_model_step_end(m_->get()), "no step in flight"));
    const Outputs none;
    expect_twin_agrees(prefill({0, 1, 2}), none, 0, "prompts after the refusals");
}

TEST_F(ModelRunAheadRules, FromPrevious_SampleOutOfRange) {
    run(m_->get(), prefill({0, 1}), 0);
    const auto p = run(twin_->get(), prefill({0, 1}), 0);
    for (bool begin : {true, false})
        expect_refused(make_io(c_, {{0, {}, 1}, {1, {}, 3}}, {}, 1, false, sampling_), begin,
                       "from_previous 3 names sample 2 of the previous step, which had 2 samples", 1);
    // The refused steps are no previous step: samples 1 and 0 of the prompts' step, through msv_model_step.
    expect_twin_agrees({{0, {}, 2}, {1, {}, 1}}, p->out, 1, "from the prompts");
}

TEST_F(ModelRunAheadRules, FromPrevious_OnATwoTokenEntry) {
    run(m_->get(), prefill({0, 1}), 0);
    const auto p = run(twin_->get(), prefill({0, 1}), 0);
    for (bool begin : {true, false}) {
        auto io = make_io(c_, {{1, {}, 1}, {0, {}, 2}}, {}, 1, false, sampling_);
        io->tokens[1] = {5, 6};
        io->entries[1].tokens = io->tokens[1].data(), io->entries[1].n_tokens = 2;
        expect_refused(std::move(io), begin, "needs a 1-token (decode) entry, got n_tokens 2", 1);
    }
    expect_twin_agrees({{1, {}, 1}, {0, {}, 2}}, p->out, 1, "from the prompts");
}

TEST_F(ModelRunAheadRules, FromPrevious_InAStepWithAPrefillEntry_OnTheGpu) {
    if (cpu_library()) GTEST_SKIP() << "the cpu library takes from_previous in any step";
    run(m_->get(), prefill({0, 1}), 0);
    const auto p = run(twin_->get(), prefill({0, 1}), 0);
    for (bool begin : {true, false})
        expect_refused(make_io(c_, {{2, {5, 6, 7}, 0}, {0, {}, 1}}, {}, 1, false, sampling_), begin, "decode path",
                       1);
    expect_twin_agrees({{1, {}, 1}, {0, {}, 2}}, p->out, 1, "from the prompts");
}

TEST_F(ModelRunAheadRules, ThirdBegin_WhileTwoInFlight) {
    const auto p = run(m_->get(), prefill({0, 1}), 0, true);
    const auto d1 = run(m_->get(), {{0, {}, 2}, {1, {}, 1}}, 1, true);
    // One sample: were it begun and so the previous step, the step after it could not name sample 1.
    auto third = make_io(c_, {{0, {}, 1}}, {}, 2, false, sampling_);
    const msv_step s = third->view();
    EXPECT_TRUE(refused(msv_model_step_begin(m_->get(), &s), "two steps are begun and not ended"));
    EXPECT_EQ(third->bad, -1);
    msv_ok(msv_model_step_end(m_->get()), "end");
    msv_ok(msv_model_step_end(m_->get()), "end");
    EXPECT_TRUE(refused(msv_model_step_end(m_->get()), "no step in flight"));

    const auto tp = run(twin_->get(), prefill({0, 1}), 0);
    const auto td1 = run(twin_->get(), {{0, {tp->out.tokens[1]}, 0}, {1, {tp->out.tokens[0]}, 0}}, 1);
    expect_same(p->out, tp->out, "prompts");
    expect_same(d1->out, td1->out, "first decode");
    expect_twin_agrees({{1, {}, 2}, {0, {}, 1}}, td1->out, 2, "after the refused begin");
}

TEST_F(ModelRunAheadRules, End_WithNoneInFlight) {
    EXPECT_TRUE(refused(msv_model_step_end(m_->get()), "no step in flight"));
    run(m_->get(), prefill({0}), 0);
    const auto p = run(twin_->get(), prefill({0}), 0);
    EXPECT_TRUE(refused(msv_model_step_end(m_->get()), "no step in flight"));
    // The count in flight is still 0: two begins pass, a third does not.
    const auto d1 = run(m_->get(), {{0, {}, 1}}, 1, true);
    const auto d2 = run(m_->get(), {{0, {}, 1}}, 2, true);
    auto third = make_io(c_, {{0, {}, 1}}, {}, 3, false, sampling_);
    const msv_step s = third->view();
    EXPECT_TRUE(refused(msv_model_step_begin(m_->get(), &s), "two steps are begun"));
    msv_ok(msv_model_step_end(m_->get()), "end");
    msv_ok(msv_model_step_end(m_->get()), "end");
    const auto t1 = run(twin_->get(), {{0, {p->out.tokens[0]}, 0}}, 1);
    const auto t2 = run(twin_->get(), {{0, {t1->out.tokens[0]}, 0}}, 2);
    expect_same(d1->out, t1->out, "first decode");
    expect_same(d2->out, t2->out, "second decode");
}

TEST_F(ModelRunAheadRules, Step_WhileOneInFlight) {
    const auto p = run(m_->get(), prefill({0, 1}), 0, true);
    expect_refused(make_io(c_, {{0, {}, 2}, {1, {}, 1}}, {}, 1, false, sampling_), false,
                   "begun with msv_model_step_begin not ended yet", -1);
    msv_ok(msv_model_step_end(m_->get()), "end");
    const auto tp = run(twin_->get(), prefill({0, 1}), 0);
    expect_same(p->out, tp->out, "prompts");
    expect_twin_agrees({{0, {}, 2}, {1, {}, 1}}, tp->out, 1, "after the refused step");
}

// The mark: nothing to wait for with no step in flight or for an empty step; waiting twice for a step's mark, with
// two steps in flight, and after both ended changes nothing that the steps compute.
TEST_F(ModelRunAheadRules, WaitMark_ChangesNothing) {
    EXPECT_TRUE(refused(msv_model_step_wait_mark(nullptr), "model is NULL"));
    msv_ok(msv_model_step_wait_mark(m_->get()), "wait with none in flight");
    auto empty = make_io(c_, {}, {}, 0, false, sampling_);
    const msv_step s = empty->view();
    msv_ok(msv_model_step_begin(m_->get(), &s), "an empty step");
    msv_ok(msv_model_step_wait_mark(m_->get()), "wait for an empty step");
    msv_ok(msv_model_step_end(m_->get()), "end");
    const auto p = run(m_->get(), prefill({0, 1}), 0, true);
    msv_ok(msv_model_step_wait_mark(m_->get()), "wait for a prefill step's mark");
    msv_ok(msv_model_step_wait_mark(m_->get()), "wait again");
    const auto d1 = run(m_->get(), {{0, {}, 2}, {1, {}, 1}}, 1, true);
    msv_ok(msv_model_step_wait_mark(m_->get()), "wait with two in flight");
    msv_ok(msv_model_step_end(m_->get()), "end");
    msv_ok(msv_model_step_end(m_->get()), "end");
    msv_ok(msv_model_step_wait_mark(m_->get()), "wait after both ended");

    const auto tp = run(twin_->get(), prefill({0, 1}), 0);
    const auto td1 = run(twin_->get(), {{0, {tp->out.tokens[1]}, 0}, {1, {tp->out.tokens[0]}, 0}}, 1, true);
    msv_ok(msv_model_step_wait_mark(twin_->get()), "wait with the mark off");
    msv_ok(msv_model_step_end(twin_->get()), "end");
    expect_same(p->out, tp->out, "prompts");
    expect_same(d1->out, td1->out, "first decode");
    expect_twin_agrees({{1, {}, 2}, {0, {}, 1}}, td1->out, 2, "after the waits");
}

// A snapshot's export (msv_snapshot_read).
std::vector<uint8_t> export_of(const msv_snapshot* snap) {
    std::vector<uint8_t> bytes(size_t(msv_snapshot_bytes(snap)));
    msv_ok(msv_snapshot_read(snap, bytes.data(), static_cast<int64_t>(bytes.size())), "snapshot read");
    return bytes;
}

// A slot's state as msv_snapshot_read exports it.
std::vector<uint8_t> state_of(msv_model* m, int slot) {
    msv_snapshot* snap = nullptr;
    msv_ok(msv_model_snapshot(m, slot, &snap), "snapshot");
    std::vector<uint8_t> bytes = export_of(snap);
    msv_snapshot_free(snap);
    return bytes;
}

// msv_step_entry.stop_ids: a row that takes a token from the previous step which is one of its stop ids leaves its
// slot as it was; rows whose token is none of theirs (or that have none) step as the host's fed step does. The twin
// runs the same bucket of rows with the held row's token on a spare slot, so that every row's kernels are the same.
TEST_F(ModelRunAheadRules, StopIds_HoldBackAStopToken) {
    const auto tp = run(twin_->get(), prefill({0, 1, 2}), 0);
    const std::vector<int32_t>& drawn = tp->out.tokens;
    const auto p = run(m_->get(), prefill({0, 1, 2}), 0, true);
    const std::vector<uint8_t> after_prompt = state_of(twin_->get(), 0);

    auto io = make_io(c_, {{0, {}, 1}, {1, {}, 2}, {2, {}, 3}}, {}, 1, false, sampling_);
    std::vector<int32_t> held_by = {(drawn[0] + 1) % c_.vocab, drawn[0]};  // slot 0: its token is a stop id
    std::vector<int32_t> not_held = {(drawn[2] + 1) % c_.vocab, -3};       // slot 2: its token is not
    io->entries[0].stop_ids = held_by.data(), io->entries[0].n_stop_ids = 2;
    io->entries[2].stop_ids = not_held.data(), io->entries[2].n_stop_ids = 2;
    const msv_step s = io->view();
    msv_ok(msv_model_step_begin(m_->get(), &s), "msv_model_step_begin");
    EXPECT_EQ(io->bad, -1);
    io->clobber();
    std::fill(held_by.begin(), held_by.end(), -1), std::fill(not_held.begin(), not_held.end(), -1);
    msv_ok(msv_model_step_end(m_->get()), "end");
    msv_ok(msv_model_step_end(m_->get()), "end");
    expect_same(p->out, tp->out, "prompts");

    run(twin_->get(), {{9, {drawn[0]}, 0}, {1, {drawn[1]}, 0}, {2, {drawn[2]}, 0}}, 1);
    EXPECT_EQ(state_of(m_->get(), 0), after_prompt) << "the held row's slot moved, seed " << seed_;
    for (int slot : {1, 2})
        EXPECT_EQ(state_of(m_->get(), slot), state_of(twin_->get(), slot)) << "slot " << slot << ", seed " << seed_;
    // What the held row computed went to no slot of the pool: the spare slot the twin used is still zero on m.
    EXPECT_EQ(state_of(m_->get(), 9), state_of(twin_->get(), 15)) << "seed " << seed_;
    // And the held slot goes on from its prompt's state: the twin's slot 0 never stepped. (Position 0 restarts the
    // samplers: the held row's draw still counted for its slot's penalties, which a finished sample never uses.)
    expect_twin_agrees({{0, {drawn[0]}, 0}, {1, {5}, 0}, {2, {6}, 0}}, tp->out, 0, "after the held row");
}

TEST_F(ModelRunAheadRules, StopIds_Refused) {
    run(m_->get(), prefill({0, 1}), 0);
    const auto p = run(twin_->get(), prefill({0, 1}), 0);
    std::vector<int32_t> ids = {1, 2};
    for (bool begin : {true, false}) {
        auto host_token = make_io(c_, {{0, {}, 1}, {1, {4}, 0}}, {}, 1, false, sampling_);
        host_token->entries[1].stop_ids = ids.data(), host_token->entries[1].n_stop_ids = 2;
        expect_refused(std::move(host_token), begin, "n_stop_ids 2 on an entry without from_previous", 1);
        auto null_ids = make_io(c_, {{0, {}, 1}, {1, {}, 2}}, {}, 1, false, sampling_);
        null_ids->entries[1].n_stop_ids = 1;
        expect_refused(std::move(null_ids), begin, "stop_ids is NULL with n_stop_ids 1", 1);
        auto negative = make_io(c_, {{0, {}, 1}, {1, {}, 2}}, {}, 1, false, sampling_);
        negative->entries[0].n_stop_ids = -1;
        expect_refused(std::move(negative), begin, "n_stop_ids must be >= 0, got -1", 0);
        auto reserved = make_io(c_, {{0, {}, 1}, {1, {}, 2}}, {}, 1, false, sampling_);
        reserved->entries[1].reserved = 7;
        expect_refused(std::move(reserved), begin, "reserved must be 0, got 7", 1);
    }
    expect_twin_agrees({{0, {}, 1}, {1, {}, 2}}, p->out, 1, "from the prompts");
}

// Slot operations while a step is in flight see the state after it (GPU: stream order).
TEST_F(ModelRunAheadRules, SlotOperations_WhileInFlight_SeeTheBegunStep) {
    const auto p = run(m_->get(), prefill({0, 1}), 0, true);
    msv_snapshot* snap = nullptr;
    msv_ok(msv_model_snapshot(m_->get(), 0, &snap), "snapshot");
    msv_ok(msv_model_copy_slot(m_->get(), 1, 5), "copy");
    msv_ok(msv_model_step_end(m_->get()), "end");
    msv_ok(msv_model_restore(m_->get(), 6, snap), "restore");
    msv_snapshot_free(snap);

    const auto tp = run(twin_->get(), prefill({0, 1}), 0);
    msv_ok(msv_model_snapshot(twin_->get(), 0, &snap), "snapshot");
    msv_ok(msv_model_copy_slot(twin_->get(), 1, 5), "copy");
    msv_ok(msv_model_restore(twin_->get(), 6, snap), "restore");
    msv_snapshot_free(snap);
    expect_same(p->out, tp->out, "prompts");
    expect_twin_agrees({{5, {9}, 0}, {6, {11}, 0}}, tp->out, 0, "the copied and restored slots");
}

// A request that saves its state at its end takes its snapshot while the next step is begun ahead (on a GPU its
// copies follow that step in stream order). The snapshot holds the state after the step, exports it and restores
// from it before the step is ended, and snapshots dropped at once, more than the model keeps for reuse (4), free
// their payloads (memcheck runs this suite). Also the test of snapshots that returned before their copies ran
// (session "fortieth" of docs/gpu-model.md: built, measured, dropped).
TEST_F(ModelRunAheadRules, Snapshots_WhileInFlight_HoldTheStateAfterTheBegunStep) {
    const auto p = run(m_->get(), prefill({0, 1}), 0, true);
    std::vector<msv_snapshot*> snaps(7, nullptr);
    for (msv_snapshot*& s : snaps) msv_ok(msv_model_snapshot(m_->get(), 0, &s), "snapshot while in flight");
    const std::vector<uint8_t> exported = export_of(snaps[0]);  // while in flight
    msv_ok(msv_model_restore(m_->get(), 6, snaps[1]), "restore while in flight");
    for (size_t i = 1; i < snaps.size(); ++i) msv_snapshot_free(snaps[i]);
    msv_ok(msv_model_step_end(m_->get()), "end");

    const auto tp = run(twin_->get(), prefill({0, 1}), 0);
    expect_same(p->out, tp->out, "prompts");
    const std::vector<uint8_t> after_prompt = state_of(twin_->get(), 0);
    EXPECT_EQ(exported, after_prompt) << "the export, seed " << seed_;
    EXPECT_EQ(state_of(m_->get(), 6), after_prompt) << "the restored slot, seed " << seed_;
    EXPECT_EQ(export_of(snaps[0]), after_prompt) << "the export after the end, seed " << seed_;
    msv_snapshot_free(snaps[0]);
    // The recycled payloads hold what their next snapshots copy into them.
    EXPECT_EQ(state_of(m_->get(), 1), state_of(twin_->get(), 1)) << "seed " << seed_;
}

}  // namespace
}  // namespace msv::test
