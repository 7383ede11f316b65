// The decode step's middle in one kernel (model_gpu_mid.cu: the conv update, x_proj and dt_proj of a pure decode
// step past in_proj's conv epilogue, bf16 weights) against the kernel chain it replaces, and batched against alone.
#include "model_test_util.h"
#include "test_util.h"

namespace msv::test {
namespace {

// x_proj in three K slices, the last one short (d_inner 320: 40 chunks of 16), and 72 outputs: two output tiles of
// 64, the second mostly empty; dt_proj's K (dt_rank 40) in two steps, the second short; d_conv 3 with biases.
Shape mid_shape() { return {128, 2, 320, 16, 3, 40, 300, 300, true, true, false, "mid"}; }

// The middle kernel (MSV_MID_ROWS=256) against the chain (MSV_MID_ROWS=0: conv update, x_proj, its slice sums and
// dt_proj as separate kernels) over decode steps of 64, 40, 17, 64 and 9 rows (graph buckets), bf16 weights with an
// fp32 and a bf16 state: the same math summed in other orders, so within bf16 tolerance; a conv state read from or
// written to the wrong slot, a lost or doubled slice, or a misplaced fragment would be far outside 1e-2.
TEST(ModelGpuMid, Logits_MatchTheKernelChain) {
    const unsigned seed = fresh_seed();
    std::mt19937 rng(seed);
    for (const Shape& shape : {mid_shape(), wide_shape(), odd_shape()})
        for (msv_dtype state : {MSV_F32, MSV_BF16}) {
            const msv_model_config c = make_config(shape, MSV_BF16, state, 256, 64);
            const Weights w = random_weights(c, rng);
            const auto script = [&](const char* mid_rows) {
                ScopedEnv mid("MSV_MID_ROWS", mid_rows);
                GpuModel m(c, w, 64);
                return run_script(m.get(), c, 64, {64, 40, 17, 64, 9}, seed, false);
            };
            const StepResult a = script("256"), b = script("0");
            ASSERT_EQ(a.logits.size(), b.logits.size());
            EXPECT_TRUE(logits_close(a.logits, b.logits, c.vocab, MSV_BF16, 0.0, 1e-2))
                << shape.name << " state " << (state == MSV_F32 ? "f32" : "bf16") << " seed " << seed;
        }
}

// A row's bits do not depend on the other rows: with the fused path and the conv epilogue off and our GEMM for the
// products, every step (batched, or each row alone) runs the middle kernel, whose sums are fixed by the shape.
TEST(ModelGpuMid, BatchedRows_EqualDecodingAlone) {
    ScopedEnv blas_path("MSV_FUSED_DECODE", "0"), rows("MSV_MMA_MAX_ROWS", "64"), conv("MSV_MMA_CONV", "0"),
        mid("MSV_MID_ROWS", "256");
    expect_batched_equals_alone(mid_shape(), 16, {16, 12, 16, 5});
    expect_batched_equals_alone(odd_shape(), 8, {8, 7, 4, 2});
}

}  // namespace
}  // namespace msv::test
