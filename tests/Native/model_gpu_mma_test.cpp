// The tensor-core GEMM of the BLAS path (model_gpu_mma.cu, bf16 weights) against itself and against the vendor BLAS,
// on the wide shape (K long enough that each of a block's warps sums several steps), at up to 64 rows (the model
// gives it 8 by default; MSV_MMA_MAX_ROWS=64 here, so its 1-, 2-, 4- and 8-tile kernels all run). Against the fp32
// reference it runs in every ModelGpu test of a bf16 / fp16 variant (decode batches of 3..8, prompts of <= 8).
#include "model_test_util.h"
#include "test_util.h"

namespace msv::test {
namespace {

// With the fused path off every decode row takes the BLAS path, so decoding alone runs the same GEMM at 1 row that
// the batch runs at 12 and 16: a row's sums do not depend on the other rows, and their order not on the row count.
TEST(ModelGpuMma, BatchedRows_EqualDecodingAlone) {
    ScopedEnv blas_path("MSV_FUSED_DECODE", "0"), rows("MSV_MMA_MAX_ROWS", "64");
    expect_batched_equals_alone(wide_shape(), 16, {16, 12, 16, 5});
}

// The same steps through the vendor BLAS (MSV_MMA_MAX_ROWS=0, MSV_SMALL_PROJ_ROWS=0): both accumulate bf16 products
// in fp32, so they differ only in summation order and the bf16 rounding of activations that follows; a lost or
// doubled K step or slice, or a misplaced fragment or row group, would be far outside 1e-2 relative L2. The prompt of
// 150 rows runs x_proj and dt_proj on our GEMM in three groups of rows (kMmaGroupRows 64), x_proj in K slices.
TEST(ModelGpuMma, Logits_MatchVendorBlas) {
    const unsigned seed = fresh_seed();
    std::mt19937 rng(seed);
    const msv_model_config c = make_config(wide_shape(), MSV_BF16, MSV_F32);
    const Weights w = random_weights(c, rng);
    // Decode batches of 16, 9 and 3 (2- and 1-tile kernels), then prompts of 29, 60 and 150 rows (4 and 8 tiles).
    const auto script = [&](const char* max_rows) {
        ScopedEnv rows("MSV_MMA_MAX_ROWS", max_rows), small("MSV_SMALL_PROJ_ROWS", max_rows[0] == '0' ? "0" : "256");
        GpuModel m(c, w, 16);
        StepResult r = run_script(m.get(), c, 16, {16, 9, 3}, seed, false);
        std::mt19937 prompts(seed + 1);
        for (int n : {29, 60, 150}) {
            const StepResult p = run_gpu(m.get(), c, {{n % 16, random_tokens(prompts, n, c.vocab), true, {}}});
            r.logits.insert(r.logits.end(), p.logits.begin(), p.logits.end());
        }
        return r;
    };
    const StepResult a = script("64"), b = script("0");
    ASSERT_EQ(a.logits.size(), b.logits.size());
    EXPECT_TRUE(logits_close(a.logits, b.logits, c.vocab, MSV_BF16, 0.0, 1e-2)) << "seed " << seed;
}

// The wide products past 8 rows (in_proj of more than 6,400 outputs, the LM head of a 7,000-token vocab: the
// one-wave shape of launch_tiles, 2 and 4 tiles of rows) on our GEMM, as in_proj runs there by default up to 16
// rows and every product with MSV_MMA_MAX_ROWS=32, against the vendor BLAS: bounds as in Logits_MatchVendorBlas.
TEST(ModelGpuMma, WideProducts_PastEightRows_MatchVendorBlas) {
    const unsigned seed = fresh_seed();
    std::mt19937 rng(seed);
    const Shape wide_products{256, 1, 3264, 16, 4, 16, 7000, 7000, true, false, true, "wide-products"};
    const msv_model_config c = make_config(wide_products, MSV_BF16, MSV_F32, 256, 32);
    const Weights w = random_weights(c, rng);
    const auto script = [&](const char* rows) {
        const std::unique_ptr<GpuModel> m = gpu_model_with("MSV_MMA_MAX_ROWS", rows, c, w, 32);
        return run_script(m->get(), c, 32, {16, 29, 9}, seed, false);
    };
    const StepResult ours = script("32"), blas = script("0");
    ASSERT_EQ(ours.logits.size(), blas.logits.size());
    EXPECT_TRUE(logits_close(ours.logits, blas.logits, c.vocab, MSV_BF16, 0.0, 1e-2)) << "seed " << seed;
}

// In a pure decode step the GEMM runs each token's conv update in in_proj's epilogue (model_gpu_mma.cu, kConv): a
// row's bits still do not depend on the batch, with in_proj and out_proj biases and d_conv 3 (the odd shape).
TEST(ModelGpuMma, ConvEpilogue_BatchedRows_EqualDecodingAlone) {
    ScopedEnv blas_path("MSV_FUSED_DECODE", "0");
    expect_batched_equals_alone(odd_shape(), 8, {8, 7, 4, 2});
}

// The conv epilogue against the conv kernel of the BLAS path (MSV_MMA_CONV=0), each decode row through our GEMM: the
// same math (the in_proj output rounded to bf16 before the conv, as in the reference), summed in the kernels' own
// orders. A conv state read from or written to the wrong slot, channel or row would be far outside 1e-2.
TEST(ModelGpuMma, ConvEpilogue_MatchesTheConvKernel) {
    const unsigned seed = fresh_seed();
    std::mt19937 rng(seed);
    ScopedEnv blas_path("MSV_FUSED_DECODE", "0");
    for (const Shape& shape : {wide_shape(), odd_shape()}) {
        const msv_model_config c = make_config(shape, MSV_BF16, MSV_F32);
        const Weights w = random_weights(c, rng);
        const auto script = [&](const char* conv_in_gemm) {
            ScopedEnv conv("MSV_MMA_CONV", conv_in_gemm);
            GpuModel m(c, w, 8);
            return run_script(m.get(), c, 8, {8, 3, 5, 8, 1, 4}, seed, false);
        };
        const StepResult a = script("1"), b = script("0");
        ASSERT_EQ(a.logits.size(), b.logits.size());
        EXPECT_TRUE(logits_close(a.logits, b.logits, c.vocab, MSV_BF16, 0.0, 1e-2)) << shape.name << " seed " << seed;
    }
}

}  // namespace
}  // namespace msv::test
