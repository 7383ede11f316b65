// GPU selective state update vs the fp32 CPU reference: fp32 and bf16 state pools, scattered slots, and both the
// 16-byte-vector path (aligned pool) and the scalar path (a slot stride that breaks the alignment); on the vector
// path B and C either as vector loads (x_proj rows whose dt part leaves them aligned) or one element at a time. With
// an fp32 state, batch 1 takes the register kernel and batch 33 the shared-memory one (ssu::async_min_rows).
#include "selective_state_update/selective_state_update.h"
#include "test_util.h"

#include <cmath>

namespace msv::test {
namespace {

struct SsuCase {
    msv_dtype dtype, state_dtype;
    int batch, dim, dstate;
    bool aligned, z, D, softplus;
    bool bc_aligned = false;  // dt rank 8, not 3: B and C start on a 16-byte boundary of each x_proj row
};

std::string case_name(const ::testing::TestParamInfo<SsuCase>& info) {
    const SsuCase& c = info.param;
    return std::string(dtype_name(c.dtype)) + "_state" + dtype_name(c.state_dtype) + "_b" + std::to_string(c.batch) +
           "_d" + std::to_string(c.dim) + "_n" + std::to_string(c.dstate) + (c.aligned ? "_vec" : "_scalar") + (c.bc_aligned ? "_bcvec" : "") +
           (c.z ? "_z" : "") + (c.D ? "_D" : "") + (c.softplus ? "_softplus" : "");
}

class SelectiveStateUpdateGpu : public ::testing::TestWithParam<SsuCase> {};

TEST_P(SelectiveStateUpdateGpu, SelectiveStateUpdate_RandomInputs_MatchesCpuReference) {
    const unsigned seed = fresh_seed();
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    const SsuCase& c = GetParam();
    const int N = c.dstate, rank = c.bc_aligned ? 8 : 3;
    const int slots = 2 * c.batch + 3;
    const int64_t stride = static_cast<int64_t>(c.dim) * N + (c.aligned ? 8 : 1);
    const std::vector<int32_t> slot_idx = random_slots(rng, c.batch, slots);

    Buffer xz(c.dtype, size_t(c.batch) * 2 * c.dim), delta(c.dtype, size_t(c.batch) * c.dim);
    Buffer xproj(c.dtype, size_t(c.batch) * (rank + 2 * N)), out(c.dtype, size_t(c.batch) * (c.dim + 1));
    Buffer A(MSV_F32, size_t(c.dim) * N), D(MSV_F32, c.dim), bias(MSV_F32, c.dim);
    Buffer state(c.state_dtype, size_t(slots) * stride);
    xz.normal(rng);
    delta.uniform(rng, c.softplus ? -4.0f : 0.001f, c.softplus ? 1.0f : 0.2f);
    xproj.normal(rng);
    A.uniform(rng, 0.0f, std::log(16.0f));
    for (float& a : A.values()) a = -std::exp(a);
    D.normal(rng);
    bias.uniform(rng, 0.0f, 0.1f);
    state.poison();
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (int32_t s : slot_idx)
        for (int64_t i = 0; i < int64_t(c.dim) * N; ++i) state.host()[s * stride + i] = round_to(c.state_dtype, dist(rng));
    out.poison();
    for (Buffer* b : {&xz, &delta, &xproj, &A, &D, &bias, &state}) b->upload();
    DeviceInts dslots(slot_idx);
    Stream stream;

    auto params = [&](bool host) {
        auto ptr = [&](Buffer& b, int64_t off) -> void* {
            return host ? static_cast<void*>(b.host() + off)
                        : static_cast<void*>(static_cast<char*>(b.device()) + off * dtype_size(b.dtype()));
        };
        msv_state_update_params p{};
        p.batch = c.batch;
        p.dim = c.dim;
        p.dstate = N;
        p.dtype = host ? MSV_F32 : c.dtype;
        p.state_dtype = c.state_dtype;
        p.x = ptr(xz, 0);
        p.x_batch_stride = 2 * c.dim;
        p.z = c.z ? ptr(xz, c.dim) : nullptr;
        p.z_batch_stride = 2 * c.dim;
        p.delta = ptr(delta, 0);
        p.delta_batch_stride = c.dim;
        p.B = ptr(xproj, rank);
        p.B_batch_stride = rank + 2 * N;
        p.C = ptr(xproj, rank + N);
        p.C_batch_stride = rank + 2 * N;
        p.out = ptr(out, 0);
        p.out_batch_stride = c.dim + 1;
        p.A = static_cast<const float*>(ptr(A, 0));
        p.D = c.D ? static_cast<const float*>(ptr(D, 0)) : nullptr;
        p.dt_bias = static_cast<const float*>(ptr(bias, 0));
        p.delta_softplus = c.softplus;
        p.state = ptr(state, 0);
        p.state_slot_stride = stride;
        p.slot_idx = host ? slot_idx.data() : dslots.get();
        return p;
    };

    const msv_state_update_params dp = params(false);
    msv_ok(msv_selective_state_update(&dp, stream.handle()), "msv_selective_state_update");
    stream.sync();
    cuda_ok(cudaGetLastError(), "state update kernel");

    if (c.state_dtype == MSV_BF16) {  // the reference reads and writes bf16 storage
        std::vector<uint16_t> bits = state.bits();
        msv_state_update_params hp = params(true);
        hp.state = bits.data();
        ref::selective_state_update(hp);
        state.set_from_bits(bits);
    } else {
        ref::selective_state_update(params(true));
    }

    EXPECT_TRUE(all_close(out.download(), out.values(), tolerance(c.dtype))) << "out";
    // bf16 state: both sides round the same fp32 value, so at most one bf16 step apart.
    EXPECT_TRUE(all_close(state.download(), state.values(), c.state_dtype == MSV_BF16 ? 8e-3 : 1e-5)) << "state";
}

std::vector<SsuCase> ssu_cases() {
    std::vector<SsuCase> cases;
    int k = 0;
    for (msv_dtype dt : {MSV_F32, MSV_F16, MSV_BF16})
        for (msv_dtype st : {MSV_F32, MSV_BF16})
            for (int n : {8, 16})
                for (int b : {1, 33})
                    for (bool aligned : {true, false}) {
                        cases.push_back({dt, st, b, k % 3 == 0 ? 200 : 72, n, aligned, k % 2 == 0, k % 4 != 1, k % 5 != 2});
                        if (aligned) {
                            SsuCase v = cases.back();
                            v.bc_aligned = true;
                            cases.push_back(v);
                        }
                        ++k;
                    }
    // A dstate that does not split into 16-byte vectors takes the scalar path even when aligned.
    cases.push_back({MSV_BF16, MSV_F32, 9, 50, 12, true, true, true, true});
    cases.push_back({MSV_F16, MSV_BF16, 9, 50, 12, true, true, true, true});
    return cases;
}

INSTANTIATE_TEST_SUITE_P(Shapes, SelectiveStateUpdateGpu, ::testing::ValuesIn(ssu_cases()), case_name);

}  // namespace
}  // namespace msv::test
