// GPU fused residual add + RMSNorm vs the fp32 CPU reference; rows are padded and the pads must stay NaN.
#include "rmsnorm/rmsnorm.h"
#include "test_util.h"

namespace msv::test {
namespace {

struct NormCase {
    msv_dtype dtype;
    int rows, dim;
    bool has_x;
};

std::string case_name(const ::testing::TestParamInfo<NormCase>& info) {
    const NormCase& c = info.param;
    return std::string(dtype_name(c.dtype)) + "_r" + std::to_string(c.rows) + "_d" + std::to_string(c.dim) +
           (c.has_x ? "_add" : "_normonly");
}

class RmsNormGpu : public ::testing::TestWithParam<NormCase> {};

TEST_P(RmsNormGpu, RmsNormResidual_RandomInputs_MatchesCpuReference) {
    const unsigned seed = fresh_seed();
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    const NormCase& c = GetParam();
    const int64_t xs = c.dim + 1, rs = c.dim + 2, os = c.dim + 3;
    Buffer x(c.dtype, size_t(c.rows) * xs), residual(MSV_F32, size_t(c.rows) * rs);
    Buffer out(c.dtype, size_t(c.rows) * os), weight(MSV_F32, c.dim);
    x.normal(rng);
    residual.poison();  // pads stay NaN; the rows get random values
    std::normal_distribution<float> dist(0.5f, 2.0f);
    for (int r = 0; r < c.rows; ++r)
        for (int i = 0; i < c.dim; ++i) residual.host()[r * rs + i] = dist(rng);
    weight.normal(rng, 1.0f, 0.2f);
    out.poison();
    for (Buffer* b : {&x, &residual, &weight}) b->upload();
    Stream stream;

    auto params = [&](bool host) {
        msv_rmsnorm_params p{};
        p.rows = c.rows;
        p.dim = c.dim;
        p.dtype = host ? MSV_F32 : c.dtype;
        p.x = c.has_x ? (host ? static_cast<void*>(x.host()) : x.device()) : nullptr;
        p.x_row_stride = xs;
        p.residual = host ? residual.host() : residual.device_as<float>();
        p.residual_row_stride = rs;
        p.out = host ? static_cast<void*>(out.host()) : out.device();
        p.out_row_stride = os;
        p.weight = host ? weight.host() : weight.device_as<float>();
        p.eps = 1e-5f;
        return p;
    };
    const msv_rmsnorm_params dp = params(false);
    msv_ok(msv_rmsnorm_residual(&dp, stream.handle()), "msv_rmsnorm_residual");
    stream.sync();
    cuda_ok(cudaGetLastError(), "rmsnorm kernel");
    ref::rmsnorm_residual(params(true));
    EXPECT_TRUE(all_close(out.download(), out.values(), tolerance(c.dtype))) << "out";
    EXPECT_TRUE(all_close(residual.download(), residual.values(), 1e-6)) << "residual";
}

std::vector<NormCase> norm_cases() {
    std::vector<NormCase> cases;
    for (msv_dtype dt : {MSV_F32, MSV_F16, MSV_BF16})
        for (int rows : {1, 33, 1000})
            for (int dim : {64, 777, 2560})
                for (bool has_x : {true, false}) cases.push_back({dt, rows, dim, has_x});
    return cases;
}

INSTANTIATE_TEST_SUITE_P(Shapes, RmsNormGpu, ::testing::ValuesIn(norm_cases()), case_name);

}  // namespace
}  // namespace msv::test
