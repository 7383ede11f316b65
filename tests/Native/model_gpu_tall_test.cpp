// The tall GEMM of the BLAS path (model_gpu_tall.cu: x_proj and dt_proj with batch rows as the MMA's M side),
// against itself and against the vendor BLAS. MSV_TALL_PROJ_ROWS=1 gives it every step's x_proj and dt_proj (by
// default the model does not use it: an experiment measured slower than the vendor BLAS, docs/gpu-model.md).
#include "model_test_util.h"
#include "test_util.h"

namespace msv::test {
namespace {

// Decoding alone runs the tall GEMM at 1 row where the batch runs it at 12 and 16 (in_proj and out_proj on the GEMM
// of few rows, also row-invariant): a row's sums do not depend on the other rows, and their order (N, K and the
// slice count) not on the row count.
TEST(ModelGpuTall, BatchedRows_EqualDecodingAlone) {
    ScopedEnv blas_path("MSV_FUSED_DECODE", "0"), rows("MSV_MMA_MAX_ROWS", "64"), tall("MSV_TALL_PROJ_ROWS", "1");
    expect_batched_equals_alone(wide_shape(), 16, {16, 12, 16, 5});
    expect_batched_equals_alone(odd_shape(), 16, {9, 16, 3});
}

// The same steps with x_proj and dt_proj through the vendor BLAS (every other product there in both): both accumulate bf16 products in fp32, so they differ only in summation
// order and the bf16 rounding that follows; a lost or doubled slice, a misplaced fragment, row block or output
// block, or a stale shared-memory chunk past K's end would be far outside 1e-2 relative L2. Prompts of 29, 60 and
// 150 rows take one, one and three row blocks; the wide shape's x_proj runs in 16 slices of one step, the odd
// shape's (K = 72: 9 chunks) in 3 slices with a part-filled last step, and its dt_proj (K = 5 in a row of 8) in one.
TEST(ModelGpuTall, Logits_MatchVendorBlas) {
    const unsigned seed = fresh_seed();
    std::mt19937 rng(seed);
    for (const Shape& shape : {wide_shape(), odd_shape()}) {
        const msv_model_config c = make_config(shape, MSV_BF16, MSV_F32);
        const Weights w = random_weights(c, rng);
        const auto script = [&](const char* tall_rows) {
            ScopedEnv tall("MSV_TALL_PROJ_ROWS", tall_rows), small("MSV_SMALL_PROJ_ROWS", "0"),
                mma("MSV_MMA_MAX_ROWS", "0");
            GpuModel m(c, w, 16);
            StepResult r = run_script(m.get(), c, 16, {16, 9, 3}, seed, false);
            std::mt19937 prompts(seed + 1);
            for (int n : {29, 60, 150}) {
                const StepResult p = run_gpu(m.get(), c, {{n % 16, random_tokens(prompts, n, c.vocab), true, {}}});
                r.logits.insert(r.logits.end(), p.logits.begin(), p.logits.end());
            }
            return r;
        };
        const StepResult a = script("1"), b = script("0");
        ASSERT_EQ(a.logits.size(), b.logits.size());
        EXPECT_TRUE(logits_close(a.logits, b.logits, c.vocab, MSV_BF16, 0.0, 1e-2)) << shape.name << " seed " << seed;
    }
}

// More slices than x_proj has steps (MSV_TALL_PROJ_SPLITS=32 on the wide shape's 16 steps): the model launches only
// the slices that hold a step, and the result matches the default slicing within the rounding of a different order.
TEST(ModelGpuTall, MoreSlicesThanSteps_MatchDefault) {
    const unsigned seed = fresh_seed();
    std::mt19937 rng(seed);
    const msv_model_config c = make_config(wide_shape(), MSV_BF16, MSV_F32);
    const Weights w = random_weights(c, rng);
    const auto script = [&](const char* splits) {
        ScopedEnv tall("MSV_TALL_PROJ_ROWS", "1"), slices("MSV_TALL_PROJ_SPLITS", splits);
        GpuModel m(c, w, 16);
        return run_script(m.get(), c, 16, {16, 7}, seed, false);
    };
    const StepResult a = script("32"), b = script("3");
    ASSERT_EQ(a.logits.size(), b.logits.size());
    EXPECT_TRUE(logits_close(a.logits, b.logits, c.vocab, MSV_BF16, 0.0, 1e-2)) << "seed " << seed;
}

}  // namespace
}  // namespace msv::test
