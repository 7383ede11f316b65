// GPU causal conv1d (chunk and one-token update) vs the fp32 CPU reference, with scattered slots of a conv-state
// pool in the activation type (other slots must stay NaN) and padded out rows (the pad must stay NaN).
#include "causal_conv1d/causal_conv1d.h"
#include "test_util.h"

namespace msv::test {
namespace {

struct ConvCase {
    msv_dtype dtype;
    int batch, dim, seqlen, width;
    bool bias, silu;
};

std::string case_name(const ::testing::TestParamInfo<ConvCase>& info) {
    const ConvCase& c = info.param;
    return std::string(dtype_name(c.dtype)) + "_b" + std::to_string(c.batch) + "_d" + std::to_string(c.dim) + "_L" +
           std::to_string(c.seqlen) + "_w" + std::to_string(c.width) + (c.bias ? "_bias" : "") + (c.silu ? "_silu" : "");
}

struct ConvProblem {
    ConvCase c;
    int slots;
    int64_t state_stride;
    std::vector<int32_t> slot_idx;
    Buffer xz, out, weight, bias, state;

    ConvProblem(const ConvCase& cc, std::mt19937& rng)
        : c(cc),
          slots(2 * cc.batch + 3),
          state_stride(static_cast<int64_t>(cc.dim) * (cc.width - 1) + 5),
          slot_idx(random_slots(rng, cc.batch, slots)),
          xz(cc.dtype, size_t(cc.batch) * cc.seqlen * 2 * cc.dim),
          out(cc.dtype, size_t(cc.batch) * cc.seqlen * (cc.dim + 2)),
          weight(MSV_F32, size_t(cc.dim) * cc.width),
          bias(MSV_F32, cc.dim),
          state(cc.dtype, size_t(slots) * state_stride) {
        xz.normal(rng);
        weight.normal(rng, 0.0f, 0.5f);
        bias.normal(rng);
        state.poison();
        std::normal_distribution<float> dist(0.0f, 1.0f);
        for (int32_t s : slot_idx)
            for (int64_t i = 0; i < int64_t(c.dim) * (c.width - 1); ++i)
                state.host()[s * state_stride + i] = round_to(c.dtype, dist(rng));
        out.poison();
        for (Buffer* b : {&xz, &weight, &bias, &state}) b->upload();
    }

    msv_conv1d_params params(bool host, const int32_t* slots_ptr, int t0, int len) {
        auto ptr = [&](Buffer& b, int64_t off) -> void* {
            return host ? static_cast<void*>(b.host() + off)
                        : static_cast<void*>(static_cast<char*>(b.device()) + off * dtype_size(b.dtype()));
        };
        msv_conv1d_params p{};
        p.batch = c.batch;
        p.dim = c.dim;
        p.seqlen = len;
        p.width = c.width;
        p.dtype = host ? MSV_F32 : c.dtype;
        p.x = ptr(xz, int64_t(t0) * 2 * c.dim);
        p.x_batch_stride = int64_t(c.seqlen) * 2 * c.dim;
        p.x_row_stride = 2 * c.dim;
        p.out = ptr(out, int64_t(t0) * (c.dim + 2));
        p.out_batch_stride = int64_t(c.seqlen) * (c.dim + 2);
        p.out_row_stride = c.dim + 2;
        p.weight = static_cast<const float*>(ptr(weight, 0));
        p.bias = c.bias ? static_cast<const float*>(ptr(bias, 0)) : nullptr;
        p.silu = c.silu;
        p.conv_state = ptr(state, 0);
        p.state_slot_stride = state_stride;
        p.slot_idx = slots_ptr;
        return p;
    }
};

// The GPU kernel (a chunk, or the one-token update) and the CPU reference on the same fresh inputs: out and the
// conv state must agree.
void expect_gpu_matches_reference(const ConvCase& c, bool update) {
    const unsigned seed = fresh_seed();
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    ConvProblem pb(c, rng);
    DeviceInts slots(pb.slot_idx);
    Stream stream;
    const int len = update ? 1 : c.seqlen;
    const msv_conv1d_params dp = pb.params(false, slots.get(), 0, len);
    if (update)
        msv_ok(msv_causal_conv1d_update(&dp, stream.handle()), "msv_causal_conv1d_update");
    else
        msv_ok(msv_causal_conv1d_fwd(&dp, stream.handle()), "msv_causal_conv1d_fwd");
    stream.sync();
    cuda_ok(cudaGetLastError(), "conv kernel");
    const msv_conv1d_params hp = pb.params(true, pb.slot_idx.data(), 0, len);
    if (update)
        ref::causal_conv1d_update(hp);
    else
        ref::causal_conv1d_fwd(hp);
    EXPECT_TRUE(all_close(pb.out.download(), pb.out.values(), tolerance(c.dtype))) << "out";
    EXPECT_TRUE(all_close(pb.state.download(), pb.state.values(), 1e-6)) << "conv state";
}

class CausalConv1dGpu : public ::testing::TestWithParam<ConvCase> {};

TEST_P(CausalConv1dGpu, CausalConv1dFwd_RandomInputs_MatchesCpuReference) {
    expect_gpu_matches_reference(GetParam(), false);
}

std::vector<ConvCase> conv_cases() {
    std::vector<ConvCase> cases;
    int k = 0;
    for (msv_dtype dt : {MSV_F32, MSV_F16, MSV_BF16})
        for (int L : {1, 2, 7, 64, 1000, 4099})
            for (int w : {2, 3, 4})
                for (int b : {1, 33}) {
                    cases.push_back({dt, b, k % 2 == 0 ? 72 : 40, L, w, k % 3 != 0, k % 4 != 1});
                    ++k;
                }
    return cases;
}

INSTANTIATE_TEST_SUITE_P(Shapes, CausalConv1dGpu, ::testing::ValuesIn(conv_cases()), case_name);

class CausalConv1dUpdateGpu : public ::testing::TestWithParam<ConvCase> {};

TEST_P(CausalConv1dUpdateGpu, CausalConv1dUpdate_RandomInputs_MatchesCpuReference) {
    expect_gpu_matches_reference(GetParam(), true);
}

std::vector<ConvCase> update_cases() {
    std::vector<ConvCase> cases;
    int k = 0;
    for (msv_dtype dt : {MSV_F32, MSV_F16, MSV_BF16})
        for (int w : {2, 3, 4})
            for (int b : {1, 33}) {
                cases.push_back({dt, b, k % 2 == 0 ? 300 : 40, 1, w, k % 3 != 0, k % 4 != 1});
                ++k;
            }
    return cases;
}

INSTANTIATE_TEST_SUITE_P(Shapes, CausalConv1dUpdateGpu, ::testing::ValuesIn(update_cases()), case_name);

TEST(CausalConv1dGpuChunks, CausalConv1dFwd_ChunksThenUpdates_EqualOneLongConv) {
    const unsigned seed = fresh_seed();
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    const ConvCase c{MSV_F32, 4, 70, 500, 4, true, true};
    ConvProblem pb(c, rng);
    DeviceInts slots(pb.slot_idx);
    Stream stream;
    const std::vector<float> initial = pb.state.values();

    const msv_conv1d_params whole = pb.params(false, slots.get(), 0, c.seqlen);
    msv_ok(msv_causal_conv1d_fwd(&whole, stream.handle()), "whole");
    stream.sync();
    const std::vector<float> out_whole = pb.out.download();
    const std::vector<float> state_whole = pb.state.download();

    pb.state.values() = initial;
    pb.state.upload();
    pb.out.poison();
    int t0 = 0;
    for (int len : {2, 1, 200, 295}) {  // includes chunks shorter than the window
        const msv_conv1d_params part = pb.params(false, slots.get(), t0, len);
        msv_ok(msv_causal_conv1d_fwd(&part, stream.handle()), "chunk");
        t0 += len;
    }
    for (; t0 < c.seqlen; ++t0) {  // the last tokens one at a time, as decode does
        const msv_conv1d_params one = pb.params(false, slots.get(), t0, 1);
        msv_ok(msv_causal_conv1d_update(&one, stream.handle()), "update");
    }
    stream.sync();
    EXPECT_TRUE(all_close(pb.out.download(), out_whole, 1e-6)) << "out";
    EXPECT_TRUE(all_close(pb.state.download(), state_whole, 1e-6)) << "conv state";
}

TEST(CausalConv1dGpuLimits, CausalConv1dFwd_WidthFive_ReturnsUnsupported) {
    std::mt19937 rng(fresh_seed());
    const ConvCase c{MSV_F32, 1, 8, 4, 5, true, true};
    ConvProblem pb(c, rng);
    DeviceInts slots(pb.slot_idx);
    const msv_conv1d_params p = pb.params(false, slots.get(), 0, c.seqlen);
    EXPECT_EQ(msv_causal_conv1d_fwd(&p, nullptr), MSV_ERR_UNSUPPORTED);
}

}  // namespace
}  // namespace msv::test
