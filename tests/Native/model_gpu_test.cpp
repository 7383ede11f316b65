// The GPU model (msv_model_* of libmambaserve_cuda / _hip) against the fp32 reference model (msv::ref) on random
// weights, for every path a step can take: one prefill, prompt then one token at a time (the fused small-batch
// decode and its graphs), chunked prefill, entries of different lengths batched with decodes, batched decode past
// the fused path (the BLAS path), forks, snapshot restore, export / import. fp32 weights within 2e-3 absolute,
// bf16 within 3e-2 relative L2 per position (docs/gpu-engine.md); and the GPU against itself where it must be
// exact: batched decode equals decoding alone, graphs on and off. The same tests again for FalconMamba (mixer_rms:
// x_proj's output normalised before dt_proj and the scan, without the fused decode path).
#include "model_test_util.h"
#include "test_util.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

namespace msv::test {
namespace {

struct Variant {
    Shape shape;
    msv_dtype weights, state;
    int mixer_rms = 0;
};

std::string variant_name(const ::testing::TestParamInfo<Variant>& info) {
    const Variant& v = info.param;
    return v.shape.name + "_w" + dtype_name(v.weights) + "_s" + dtype_name(v.state) + (v.mixer_rms ? "_rms" : "");
}

class ModelGpu : public ::testing::TestWithParam<Variant> {
protected:
    void SetUp() override {
        seed_ = fresh_seed();
        rng_.seed(seed_);
        c_ = make_config(GetParam().shape, GetParam().weights, GetParam().state);
        c_.mixer_rms = GetParam().mixer_rms, c_.mixer_rms_eps = 1e-6f;
        w_ = random_weights(c_, rng_);
        gpu_ = std::make_unique<GpuModel>(c_, w_, kSlots);
        ref_ = std::make_unique<RefModel>(c_, w_, kSlots);
    }
    // Runs the same step on both and compares every all_logits row and every greedy token.
    void both(const std::vector<Entry>& entries, const char* what) {
        SCOPED_TRACE(std::string(what) + ", seed " + std::to_string(seed_));
        const StepResult g = run_gpu(gpu_->get(), c_, entries);
        const StepResult r = run_ref(*ref_, c_, entries);
        ASSERT_TRUE(logits_close(g.logits, r.logits, c_.vocab, c_.weight_dtype));
        ASSERT_EQ(g.tokens.size(), r.tokens.size());
        for (size_t i = 0; i < g.logprobs.size(); ++i) EXPECT_NEAR(g.logprobs[i], r.logprobs[i], lp_tol());
    }
    double lp_tol() const { return c_.weight_dtype == MSV_F32 ? 2e-3 : 0.25; }
    static Entry prefill(int slot, std::vector<int32_t> tokens, bool sample = true) {
        Entry e{slot, std::move(tokens), true, {}};
        if (sample) e.targets.push_back({slot, 1, 0, greedy()});
        return e;
    }
    Entry token(int slot) { return prefill(slot, random_tokens(rng_, 1, c_.vocab)); }

    static constexpr int kSlots = 24;
    unsigned seed_ = 0;
    std::mt19937 rng_;
    msv_model_config c_{};
    Weights w_;
    std::unique_ptr<GpuModel> gpu_;
    std::unique_ptr<RefModel> ref_;
};

TEST_P(ModelGpu, Prefill_OneChunk_MatchesReference) {
    both({prefill(3, random_tokens(rng_, 37, c_.vocab))}, "prefill 37");
}

TEST_P(ModelGpu, PromptThenTokens_EachStep_MatchesReference) {
    both({prefill(0, random_tokens(rng_, 9, c_.vocab))}, "prompt");
    for (int i = 0; i < 6; ++i) both({token(0)}, "decode");
}

TEST_P(ModelGpu, ChunkedPrefill_MatchesReference) {
    for (int n : {1, 5, 3, 70, 2}) both({prefill(5, random_tokens(rng_, n, c_.vocab))}, "chunk");
}

// Decodes and prefills of different lengths in one step (two of equal length scan together).
TEST_P(ModelGpu, MixedStep_DecodesAndPrefills_MatchReference) {
    both({prefill(1, random_tokens(rng_, 4, c_.vocab)), prefill(2, random_tokens(rng_, 6, c_.vocab))}, "prompts");
    both({token(1), prefill(7, random_tokens(rng_, 7, c_.vocab)), token(2), prefill(8, random_tokens(rng_, 7, c_.vocab)),
          prefill(9, random_tokens(rng_, 3, c_.vocab))},
         "mixed");
    both({token(1), token(7), token(2), token(8), token(9)}, "decode after mixed");
}

// Batches of 1..16 decodes: the fused path at 1 row (1-2 without the tensor-core GEMM), the BLAS path beyond (graph
// buckets 1..16).
TEST_P(ModelGpu, BatchedDecode_EveryBucket_MatchesReference) {
    std::vector<Entry> prompts;
    for (int s = 0; s < 16; ++s) prompts.push_back(prefill(s, random_tokens(rng_, 1 + s % 5, c_.vocab)));
    both(prompts, "prompts");
    for (int n : {1, 2, 3, 4, 5, 8, 9, 12, 16}) {
        std::vector<Entry> step;
        for (int s = 0; s < n; ++s) step.push_back(token(s));
        both(step, ("decode batch " + std::to_string(n)).c_str());
    }
}

TEST_P(ModelGpu, Fork_BothBranches_MatchReference) {
    both({prefill(0, random_tokens(rng_, 8, c_.vocab))}, "prompt");
    Entry e = token(0);
    e.targets.push_back({11, 1, 0, greedy()});
    e.targets.push_back({12, 1, 0, greedy()});
    both({e}, "fork");
    both({token(0), token(11), token(12)}, "after fork");
}

TEST_P(ModelGpu, SnapshotRestore_AndExportImport_ReproduceTheState) {
    both({prefill(4, random_tokens(rng_, 10, c_.vocab))}, "prompt");
    msv_model* m = gpu_->get();
    msv_snapshot* snap = nullptr;
    msv_ok(msv_model_snapshot(m, 4, &snap), "snapshot");
    std::vector<char> bytes(static_cast<size_t>(msv_snapshot_bytes(snap)));
    msv_ok(msv_snapshot_read(snap, bytes.data(), static_cast<int64_t>(bytes.size())), "export");
    // The export's payload is the reference's state layout, with close values.
    std::vector<char> ref_payload(bytes.size() - 32);
    ref_->model.read_state(4, ref_payload.data());
    const int64_t conv = int64_t(c_.n_layer) * c_.d_inner * (c_.d_conv - 1);
    const int64_t ssm = int64_t(c_.n_layer) * c_.d_inner * c_.d_state;
    auto value = [&](const char* p, int64_t i) {
        if (i < conv) return reinterpret_cast<const float*>(p)[i];
        const char* q = p + conv * 4;
        if (c_.state_dtype == MSV_F32) return reinterpret_cast<const float*>(q)[i - conv];
        return bf16_to_float(reinterpret_cast<const uint16_t*>(q)[i - conv]);
    };
    double worst = 0, scale = 0;
    for (int64_t i = 0; i < conv + ssm; ++i) {
        worst = std::max(worst, double(std::fabs(value(bytes.data() + 32, i) - value(ref_payload.data(), i))));
        scale = std::max(scale, double(std::fabs(value(ref_payload.data(), i))));
    }
    EXPECT_LE(worst, (c_.weight_dtype == MSV_F32 && c_.state_dtype == MSV_F32 ? 1e-3 : 5e-2) * std::max(scale, 1.0));

    const std::vector<Entry> next = {prefill(4, random_tokens(rng_, 3, c_.vocab))};
    const StepResult first = run_gpu(m, c_, next);
    msv_ok(msv_model_restore(m, 4, snap), "restore");
    const StepResult again = run_gpu(m, c_, next);
    EXPECT_EQ(0, std::memcmp(first.logits.data(), again.logits.data(), first.logits.size() * 4)) << "restore";

    msv_snapshot* imported = nullptr;
    msv_ok(msv_model_snapshot_from_host(m, bytes.data(), static_cast<int64_t>(bytes.size()), &imported), "import");
    msv_ok(msv_model_restore(m, 13, imported), "restore imported");
    std::vector<Entry> other = next;
    other[0].slot = 13, other[0].targets[0].slot = 13;
    const StepResult third = run_gpu(m, c_, other);
    EXPECT_EQ(0, std::memcmp(first.logits.data(), third.logits.data(), first.logits.size() * 4)) << "import";
    msv_snapshot_free(imported);
    msv_snapshot_free(snap);
}

// Dropped snapshots' payloads are kept for the model's next snapshots (SnapshotBuffers): a snapshot taken into a
// recycled payload holds its own slot's state, two of them side by side each their own, and one that outlives the
// model frees its payload with no error (memcheck runs this suite).
TEST_P(ModelGpu, SnapshotPayloads_Recycled_HoldTheStateOfTheirOwnSlot) {
    both({prefill(4, random_tokens(rng_, 9, c_.vocab)), prefill(5, random_tokens(rng_, 7, c_.vocab))}, "prompts");
    msv_model* m = gpu_->get();
    msv_snapshot* first = nullptr;
    msv_snapshot* second = nullptr;
    msv_ok(msv_model_snapshot(m, 4, &first), "snapshot 4");
    msv_ok(msv_model_snapshot(m, 5, &second), "snapshot 5");
    msv_snapshot_free(first);
    msv_snapshot_free(second);

    msv_snapshot* of4 = nullptr;
    msv_snapshot* of5 = nullptr;
    msv_ok(msv_model_snapshot(m, 4, &of4), "snapshot 4 again");
    msv_ok(msv_model_snapshot(m, 5, &of5), "snapshot 5 again");
    msv_ok(msv_model_restore(m, 12, of4), "restore 4 into 12");
    msv_ok(msv_model_restore(m, 13, of5), "restore 5 into 13");
    const auto tokens = random_tokens(rng_, 3, c_.vocab);
    auto on = [&](int slot) {
        std::vector<Entry> entry = {prefill(slot, tokens)};
        return run_gpu(m, c_, entry).logits;
    };
    const auto from4 = on(4), from12 = on(12), from5 = on(5), from13 = on(13);
    EXPECT_EQ(0, std::memcmp(from4.data(), from12.data(), from4.size() * 4)) << "slot 4's state";
    EXPECT_EQ(0, std::memcmp(from5.data(), from13.data(), from5.size() * 4)) << "slot 5's state";
    EXPECT_NE(0, std::memcmp(from4.data(), from5.data(), from4.size() * 4)) << "two prompts, two states";
    msv_snapshot_free(of5);
    gpu_.reset();
    msv_snapshot_free(of4);
}

// Zeroed and copied slots behave as the reference's.
TEST_P(ModelGpu, CopyAndZeroSlot_MatchReference) {
    both({prefill(2, random_tokens(rng_, 5, c_.vocab))}, "prompt");
    msv_ok(msv_model_copy_slot(gpu_->get(), 2, 6), "copy");
    ref_->model.copy_slot(2, 6);
    msv_ok(msv_model_zero_slot(gpu_->get(), 2), "zero");
    ref_->model.zero_slot(2);
    both({token(2), token(6)}, "after copy and zero");
}

INSTANTIATE_TEST_SUITE_P(Shapes, ModelGpu,
                         ::testing::Values(Variant{small_shape(), MSV_F32, MSV_F32}, Variant{small_shape(), MSV_BF16, MSV_F32},
                                           Variant{small_shape(), MSV_BF16, MSV_BF16}, Variant{odd_shape(), MSV_F32, MSV_F32},
                                           Variant{odd_shape(), MSV_BF16, MSV_BF16}, Variant{odd_shape(), MSV_F16, MSV_F32},
                                           Variant{wide_shape(), MSV_BF16, MSV_F32}),
                         variant_name);
// fp32 weights take the BLAS for every product; bf16 weights our GEMM and the split x_proj of few rows
// (enqueue_small_projections) on devices that have it.
INSTANTIATE_TEST_SUITE_P(MixerRms, ModelGpu,
                         ::testing::Values(Variant{small_shape(), MSV_F32, MSV_F32, 1},
                                           Variant{odd_shape(), MSV_F32, MSV_F32, 1},
                                           Variant{small_shape(), MSV_BF16, MSV_F32, 1}),
                         variant_name);

}  // namespace
}  // namespace msv::test
