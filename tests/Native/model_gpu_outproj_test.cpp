// out_proj of the BLAS path in K slices (MSV_OUTPROJ_SLICES, model_gpu_forward.cpp): one strided-batched vendor
// product (or, at the rows our tensor-core GEMM takes, its split-K) writes each slice's sums, and the next layer's
// RMSNorm kernel adds them (and the bias) into the residual before it normalises; after the last layer it adds them
// alone. Every decode row and prompt here takes the BLAS path (fused path off) with slices from one row up, so the
// slices run at every row count and prompt length.
#include "model_test_util.h"
#include "test_util.h"

#include <map>
#include <string>

namespace msv::test {
namespace {

// d_inner 320 divides into 2, 4, 5 and 8 slices of whole 16-byte pieces; out_proj bias, three layers (a middle
// layer's norm after the slices, and the last layer's residual alone), d_model 38 (a scalar tail past the float4
// pieces).
Shape sliced_shape() { return {38, 3, 320, 16, 4, 8, 150, 150, true, true, false, "sliced"}; }
// d_model past the norm kernel's cached pieces (4 x 256 float4 a row): pieces read again and a scalar tail.
Shape wide_row_shape() { return {4106, 2, 64, 16, 4, 8, 60, 60, true, true, false, "wide-row"}; }

// The BLAS path for every row with slices from one row up; the products of up to `gemm_rows` rows on our GEMM.
struct BlasPath {
    explicit BlasPath(const char* gemm_rows = "0")
        : mma("MSV_MMA_MAX_ROWS", gemm_rows), small("MSV_SMALL_PROJ_ROWS", gemm_rows) {}
    ScopedEnv fused{"MSV_FUSED_DECODE", "0"}, min_rows{"MSV_OUTPROJ_SLICE_MIN", "1"}, max_rows{"MSV_OUTPROJ_SLICE_MAX", "256"};
    ScopedEnv mma, small;
};

// Decode batches of `batches` rows, then prompts of 29 and 60 tokens, with `slices` ("0": one product).
StepResult script(const msv_model_config& c, const Weights& w, const char* slices, unsigned seed,
                  const std::vector<int>& batches = {16, 9, 3, 1}, const char* gemm_rows = "0") {
    BlasPath blas(gemm_rows);
    ScopedEnv env("MSV_OUTPROJ_SLICES", slices);
    GpuModel m(c, w, 16);
    StepResult r = run_script(m.get(), c, 16, batches, seed, false);
    std::mt19937 prompts(seed + 1);
    for (int n : {29, 60}) {
        const StepResult p = run_gpu(m.get(), c, {{n % 16, random_tokens(prompts, n, c.vocab), true, {}}});
        r.logits.insert(r.logits.end(), p.logits.begin(), p.logits.end());
    }
    return r;
}

// Against out_proj as one product: both accumulate bf16 products in fp32 and differ in summation order only; a lost,
// doubled or misplaced slice, row or bias would be far outside 1e-2 relative L2.
TEST(ModelGpuOutProj, Slices_MatchOneProduct) {
    const unsigned seed = fresh_seed();
    // Per slice count, whether some shape's logits differ in a bit from one product's: the slices ran. On the tiny
    // shape alone they may not (activations are rounded to bf16 between layers, and every rounding can agree).
    std::map<std::string, bool> differs;
    // The wide shape with d_inner 640, so that 5 slices (which neither 64 nor 512 divide) run on a wide shape too.
    Shape wide = wide_shape();
    wide.d_inner = 640, wide.name = "wide-640";
    for (const Shape& shape : {sliced_shape(), wide_row_shape(), wide}) {
        std::mt19937 rng(seed);
        const msv_model_config c = make_config(shape, MSV_BF16, MSV_F32);
        const Weights w = random_weights(c, rng);
        const StepResult one = script(c, w, "0", seed);
        for (const char* slices : {"2", "4", "5", "8"}) {
            if (shape.d_inner % std::stoi(slices) != 0) continue;
            const StepResult sliced = script(c, w, slices, seed);
            ASSERT_EQ(sliced.logits.size(), one.logits.size());
            differs[slices] = differs[slices] || sliced.logits != one.logits;
            EXPECT_TRUE(logits_close(sliced.logits, one.logits, c.vocab, MSV_BF16, 0.0, 1e-2))
                << shape.name << ", " << slices << " slices, seed " << seed;
        }
    }
    for (const auto& [slices, ran] : differs) EXPECT_TRUE(ran) << slices << " slices, seed " << seed;
}

// At the rows our GEMM takes (here every product up to 16 rows: its 1- and 2-tile kernels) the slices are its
// split-K (model_gpu_mma.cu) where it ran out_proj as one grid with the residual added in its epilogue: the two
// within 1e-2 and not bit-equal; and, since that GEMM's sums have an order fixed by N, K and the slice count, a
// batch's rows equal each row decoded alone, bit for bit.
TEST(ModelGpuOutProj, GemmSlices_MatchOneGrid_BatchedEqualsAlone) {
    const unsigned seed = fresh_seed();
    std::mt19937 rng(seed);
    const msv_model_config c = make_config(wide_shape(), MSV_BF16, MSV_F32);
    const Weights w = random_weights(c, rng);
    const std::vector<int> batches{16, 9, 5, 2, 1};
    const StepResult one = script(c, w, "0", seed, batches, "16"), sliced = script(c, w, "4", seed, batches, "16");
    ASSERT_EQ(sliced.logits.size(), one.logits.size());
    EXPECT_NE(sliced.logits, one.logits);
    EXPECT_TRUE(logits_close(sliced.logits, one.logits, c.vocab, MSV_BF16, 0.0, 1e-2)) << "seed " << seed;
    BlasPath gemm("16");
    ScopedEnv env("MSV_OUTPROJ_SLICES", "4");
    expect_batched_equals_alone(wide_shape(), 16, {16, 9, 16, 5, 2});
}

// fp32 weights (the exactness mode) within 2e-3 of the fp32 reference, step by step: prompts, then decodes of
// several rows, with 4 slices.
TEST(ModelGpuOutProj, Slices_Fp32Weights_MatchReference) {
    const unsigned seed = fresh_seed();
    std::mt19937 rng(seed);
    const msv_model_config c = make_config(sliced_shape(), MSV_F32, MSV_F32);
    const Weights w = random_weights(c, rng);
    BlasPath blas;
    ScopedEnv env("MSV_OUTPROJ_SLICES", "4");
    GpuModel gpu(c, w, 8);
    RefModel ref(c, w, 8);
    const auto both = [&](const std::vector<Entry>& entries, const std::string& what) {
        const StepResult g = run_gpu(gpu.get(), c, entries), r = run_ref(ref, c, entries);
        EXPECT_TRUE(logits_close(g.logits, r.logits, c.vocab, MSV_F32)) << what << ", seed " << seed;
    };
    std::vector<Entry> prompts;
    for (int s = 0; s < 6; ++s) prompts.push_back({s, random_tokens(rng, 3 + 5 * s, c.vocab), true, {}});
    both(prompts, "prompts");
    for (int step = 0; step < 3; ++step) {
        std::vector<Entry> decode;
        for (int s = 0; s < 6; ++s) decode.push_back({s, random_tokens(rng, 1, c.vocab), true, {}});
        both(decode, "decode step " + std::to_string(step));
    }
}

}  // namespace
}  // namespace msv::test
