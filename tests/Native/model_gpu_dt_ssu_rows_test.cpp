// The BLAS path's state update with dt_proj folded in (model_gpu_ssu_rows.cuh, launch_dt_ssu_rows): on tensor cores
// (bf16 weights on the H200) and by FMAs (fp32 weights; bf16 with MSV_DT_SSU_MMA=0, the path HIP takes), against
// the dt_proj product + state update it replaces (MSV_DT_SSU_ROWS=0), and batched against alone. The shapes cover
// an odd dt_rank (odd: 5, so the last MMA operand word is half padding), d_state 8 (two or one threads a channel)
// and 16, partial tiles of rows (3, 9, 13 of 16) and channels (d_inner 72 of a block's 64 or 128).
#include "model_test_util.h"
#include "test_util.h"

#include <string>

namespace msv::test {
namespace {

// Every decode row takes the BLAS path (fused path off) with every product on our GEMM (whose rows never depend on
// the batch: ModelGpuMma) and the folded state update from one row on, so decoding alone runs the kernel at 1 row
// that the batch runs at 16, 12 and 5: a row's dt never depends on the other rows.
TEST(ModelGpuDtSsuRows, BatchedRows_EqualDecodingAlone) {
    ScopedEnv blas_path("MSV_FUSED_DECODE", "0"), mma("MSV_MMA_MAX_ROWS", "64"), from("MSV_DT_SSU_ROWS", "1");
    for (const char* mma : {"1", "0"}) {
        ScopedEnv product("MSV_DT_SSU_MMA", mma);
        for (const Shape& shape : {wide_shape(), odd_shape()}) {
            SCOPED_TRACE(shape.name + (mma[0] == '1' ? ", tensor cores" : ", FMAs"));
            expect_batched_equals_alone(shape, 16, {16, 12, 16, 5});
        }
    }
}

// The same decode steps with dt_proj folded in and as its own product: the same math, summed in other orders (and
// with x_proj on our GEMM or the vendor BLAS), so within bf16 rounding; a dt of the wrong row or channel, a lost
// K step or a state of the wrong slot would be far outside 1e-2 relative L2.
TEST(ModelGpuDtSsuRows, Bf16_MatchesTheDtProjProduct) {
    const unsigned seed = fresh_seed();
    std::mt19937 rng(seed);
    ScopedEnv blas_path("MSV_FUSED_DECODE", "0");
    for (const Shape& shape : {wide_shape(), odd_shape()}) {
        for (const msv_dtype state : {MSV_F32, MSV_BF16}) {
            const msv_model_config c = make_config(shape, MSV_BF16, state);
            const Weights w = random_weights(c, rng);
            for (const char* x_proj_rows : {"256", "0"}) {
                ScopedEnv small("MSV_SMALL_PROJ_ROWS", x_proj_rows);
                const auto script = [&](const char* from_rows, const char* mma) {
                    ScopedEnv rows("MSV_DT_SSU_ROWS", from_rows), product("MSV_DT_SSU_MMA", mma);
                    GpuModel m(c, w, 16);
                    return run_script(m.get(), c, 16, {16, 3, 9, 13, 1}, seed, false);
                };
                const StepResult want = script("0", "1");
                for (const char* mma : {"1", "0"}) {
                    const StepResult got = script("1", mma);
                    ASSERT_EQ(got.logits.size(), want.logits.size());
                    EXPECT_TRUE(logits_close(got.logits, want.logits, c.vocab, MSV_BF16, 0.0, 1e-2))
                        << shape.name << (state == MSV_BF16 ? ", bf16 state" : ", fp32 state") << ", x_proj rows "
                        << x_proj_rows << ", mma " << mma << ", seed " << seed;
                }
            }
        }
    }
}

// fp32 weights (the exactness mode): the FMA product against the vendor BLAS's fp32 dt_proj, within fp32 rounding.
TEST(ModelGpuDtSsuRows, Fp32_MatchesTheDtProjProduct) {
    const unsigned seed = fresh_seed();
    std::mt19937 rng(seed);
    ScopedEnv blas_path("MSV_FUSED_DECODE", "0");
    for (const Shape& shape : {small_shape(), odd_shape()}) {
        const msv_model_config c = make_config(shape, MSV_F32, MSV_F32);
        const Weights w = random_weights(c, rng);
        const auto script = [&](const char* from_rows) {
            ScopedEnv rows("MSV_DT_SSU_ROWS", from_rows);
            GpuModel m(c, w, 16);
            return run_script(m.get(), c, 16, {16, 3, 9, 13, 1}, seed, false);
        };
        const StepResult got = script("1"), want = script("0");
        ASSERT_EQ(got.logits.size(), want.logits.size());
        EXPECT_TRUE(logits_close(got.logits, want.logits, c.vocab, MSV_F32, 1e-4)) << shape.name << ", seed " << seed;
    }
}

}  // namespace
}  // namespace msv::test
