// Decode steps split over lanes (MSV_CHAIN_PARTS; model_gpu_forward.cpp, enqueue_decode_parts): each part's conv
// update, x_proj, dt_proj and state update on its own stream and BLAS handle, forked after in_proj and joined before
// out_proj, in graphs (buckets of 32 and 64 rows) as in eager steps.
#include "model_test_util.h"
#include "test_util.h"

namespace msv::test {
namespace {

// Against the same steps in one part: the same math on the same rows, but a part's products run at fewer rows, where
// the vendor BLAS may choose another algorithm, so bf16 weights agree within 1e-2 relative L2 and fp32 weights
// (pedantic fp32) within 1e-4 absolute. A part that read or wrote another part's rows or slots, or a join that let
// out_proj start before a lane finished, would be far outside.
TEST(ModelGpuLanes, SplitDecode_MatchesOnePart) {
    const unsigned seed = fresh_seed();
    std::mt19937 rng(seed);
    ScopedEnv blas_path("MSV_FUSED_DECODE", "0"), min_rows("MSV_CHAIN_MIN_ROWS", "24");
    struct Variant {
        msv_dtype weights, state;
    };
    for (const Variant v : {Variant{MSV_BF16, MSV_F32}, Variant{MSV_BF16, MSV_BF16}, Variant{MSV_F32, MSV_F32}}) {
        const msv_model_config c = make_config(wide_shape(), v.weights, v.state, 256, 64);
        const Weights w = random_weights(c, rng);
        // 64 rows and 40 (the 64-row graph, padded) in three parts; 25 (the 32-row graph) in three parts of 10-11.
        const auto script = [&](const char* parts) {
            ScopedEnv lanes("MSV_CHAIN_PARTS", parts);
            GpuModel m(c, w, 64);
            return run_script(m.get(), c, 64, {64, 40, 64, 25, 64}, seed, false);
        };
        const StepResult split = script("3"), one = script("1");
        ASSERT_EQ(split.logits.size(), one.logits.size());
        EXPECT_TRUE(logits_close(split.logits, one.logits, c.vocab, v.weights, 1e-4, 1e-2))
            << dtype_name(v.weights) << " weights, " << dtype_name(v.state) << " state, seed " << seed;
    }
}

}  // namespace
}  // namespace msv::test
