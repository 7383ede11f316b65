// GPU selective scan vs the fp32 CPU reference, on fresh random inputs laid out as the model lays them out:
// u and z are views into one in_proj row, B and C views into one x_proj row, and the batch reads and writes
// scattered slots of a larger state pool whose other slots must stay untouched (NaN). Two layouts: "aligned"
// (every row 16-byte aligned, as the model's are: the kernel's 16-byte path) and unaligned (B and C at an odd
// offset, padded out rows whose pad must stay poisoned, odd batch strides: the one-element path).
#include "selective_scan/selective_scan.h"
#include "test_util.h"

#include <cmath>

namespace msv::test {
namespace {

struct ScanCase {
    msv_dtype dtype;
    int batch, dim, dstate, seqlen;
    bool z, D, dt_bias, softplus;
    bool aligned;
};

std::string case_name(const ::testing::TestParamInfo<ScanCase>& info) {
    const ScanCase& c = info.param;
    return std::string(dtype_name(c.dtype)) + "_b" + std::to_string(c.batch) + "_d" + std::to_string(c.dim) + "_n" +
           std::to_string(c.dstate) + "_L" + std::to_string(c.seqlen) + (c.z ? "_z" : "") + (c.D ? "_D" : "") +
           (c.dt_bias ? "_bias" : "") + (c.softplus ? "_softplus" : "") + (c.aligned ? "_aligned" : "");
}

// Inputs and outputs of one scan call, host mirrors and device buffers in the same layout.
struct ScanProblem {
    ScanCase c;
    int rank;  // dt_rank columns before B in the x_proj row: odd (B and C unaligned) unless aligned
    int pad;   // extra elements after each out row and each delta batch
    int slots;
    int64_t state_stride;
    std::vector<int32_t> slot_idx;
    Buffer xz, delta, xproj, out, A, D, dt_bias, state;

    ScanProblem(const ScanCase& sc, std::mt19937& rng)
        : c(sc),
          rank(sc.aligned ? 8 : 5),
          pad(sc.aligned ? 0 : 3),
          slots(2 * sc.batch + 3),
          state_stride(static_cast<int64_t>(sc.dim) * sc.dstate + 7),
          slot_idx(random_slots(rng, sc.batch, slots)),
          xz(sc.dtype, size_t(sc.batch) * sc.seqlen * 2 * sc.dim),
          delta(sc.dtype, size_t(sc.batch) * (size_t(sc.seqlen) * sc.dim + pad)),
          xproj(sc.dtype, size_t(sc.batch) * sc.seqlen * (rank + 2 * sc.dstate)),
          out(sc.dtype, size_t(sc.batch) * sc.seqlen * (sc.dim + pad)),
          A(MSV_F32, size_t(sc.dim) * sc.dstate),
          D(MSV_F32, sc.dim),
          dt_bias(MSV_F32, sc.dim),
          state(MSV_F32, size_t(slots) * state_stride) {
        xz.normal(rng);
        if (c.softplus) {
            delta.uniform(rng, -4.0f, 1.0f);
            dt_bias.uniform(rng, -1.0f, 1.0f);
        } else {  // used as dt directly: keep it a plausible step size
            delta.uniform(rng, 0.001f, 0.2f);
            dt_bias.uniform(rng, 0.0f, 0.05f);
        }
        xproj.normal(rng);
        A.uniform(rng, 0.0f, std::log(16.0f));
        for (float& a : A.values()) a = -std::exp(a);
        D.normal(rng);
        state.poison();
        std::normal_distribution<float> dist(0.0f, 1.0f);
        for (int32_t s : slot_idx)
            for (int64_t i = 0; i < static_cast<int64_t>(c.dim) * c.dstate; ++i) state.host()[s * state_stride + i] = dist(rng);
        out.poison();
        for (Buffer* b : {&xz, &delta, &xproj, &A, &D, &dt_bias, &state}) b->upload();
    }

    // Params for rows [t0, t0 + len) of the chunk; `host` picks the reference's pointers.
    msv_scan_params params(bool host, const int32_t* slots_ptr, int t0, int len) {
        auto ptr = [&](Buffer& b, int64_t offset) -> void* {
            return host ? static_cast<void*>(b.host() + offset)
                        : static_cast<void*>(static_cast<char*>(b.device()) + offset * dtype_size(b.dtype()));
        };
        const int64_t xz_row = 2 * c.dim, xp_row = rank + 2 * c.dstate, out_row = c.dim + pad;
        msv_scan_params p{};
        p.batch = c.batch;
        p.dim = c.dim;
        p.dstate = c.dstate;
        p.seqlen = len;
        p.dtype = host ? MSV_F32 : c.dtype;
        p.u = ptr(xz, t0 * xz_row);
        p.u_batch_stride = c.seqlen * xz_row;
        p.u_row_stride = xz_row;
        p.z = c.z ? ptr(xz, t0 * xz_row + c.dim) : nullptr;
        p.z_batch_stride = c.seqlen * xz_row;
        p.z_row_stride = xz_row;
        p.delta = ptr(delta, int64_t(t0) * c.dim);
        p.delta_batch_stride = int64_t(c.seqlen) * c.dim + pad;
        p.delta_row_stride = c.dim;
        p.B = ptr(xproj, t0 * xp_row + rank);
        p.B_batch_stride = c.seqlen * xp_row;
        p.B_row_stride = xp_row;
        p.C = ptr(xproj, t0 * xp_row + rank + c.dstate);
        p.C_batch_stride = c.seqlen * xp_row;
        p.C_row_stride = xp_row;
        p.out = ptr(out, t0 * out_row);
        p.out_batch_stride = c.seqlen * out_row;
        p.out_row_stride = out_row;
        p.A = static_cast<const float*>(ptr(A, 0));
        p.D = c.D ? static_cast<const float*>(ptr(D, 0)) : nullptr;
        p.dt_bias = c.dt_bias ? static_cast<const float*>(ptr(dt_bias, 0)) : nullptr;
        p.delta_softplus = c.softplus;
        p.state = static_cast<float*>(ptr(state, 0));
        p.state_slot_stride = state_stride;
        p.slot_idx = slots_ptr;
        return p;
    }
};

class SelectiveScanGpu : public ::testing::TestWithParam<ScanCase> {};

void expect_scan_matches_reference(const ScanCase& c) {
    const unsigned seed = fresh_seed();
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    ScanProblem pb(c, rng);
    DeviceInts slots(pb.slot_idx);
    Stream stream;

    const msv_scan_params dp = pb.params(false, slots.get(), 0, c.seqlen);
    msv_ok(msv_selective_scan_fwd(&dp, stream.handle()), "msv_selective_scan_fwd");
    stream.sync();
    cuda_ok(cudaGetLastError(), "scan kernel");

    ref::selective_scan_fwd(pb.params(true, pb.slot_idx.data(), 0, c.seqlen));

    EXPECT_TRUE(all_close(pb.out.download(), pb.out.values(), tolerance(c.dtype))) << "out";
    // The state is fp32 whatever the activations: only fp32 reordering separates it from the reference.
    EXPECT_TRUE(all_close(pb.state.download(), pb.state.values(), 1e-4)) << "state";
}

// MSV_SCAN_SEQ picks the kernel whatever the shape: 0 the tiled one, 1 the token walk, which the model takes for
// chunks of many (sequence, channel) pairs. MSV_SCAN_LANES picks the tiled kernel's lanes a channel: left alone,
// these small shapes would all take 16 (as one sequence of the model's does), and 8 (2-9 sequences) none.
TEST_P(SelectiveScanGpu, SelectiveScanFwd_RandomInputs_MatchesCpuReference) {
    ScopedEnv tiled("MSV_SCAN_SEQ", "0");
    ScopedEnv lanes("MSV_SCAN_LANES", "16");
    expect_scan_matches_reference(GetParam());
}

TEST_P(SelectiveScanGpu, SelectiveScanFwdEightLanes_RandomInputs_MatchesCpuReference) {
    ScopedEnv tiled("MSV_SCAN_SEQ", "0");
    ScopedEnv lanes("MSV_SCAN_LANES", "8");
    expect_scan_matches_reference(GetParam());
}

TEST_P(SelectiveScanGpu, SelectiveScanFwdTokenWalk_RandomInputs_MatchesCpuReference) {
    ScopedEnv walk("MSV_SCAN_SEQ", "1");
    expect_scan_matches_reference(GetParam());
}

std::vector<ScanCase> scan_cases() {
    std::vector<ScanCase> cases;
    int k = 0;
    for (msv_dtype dt : {MSV_F32, MSV_F16, MSV_BF16})
        for (int L : {1, 7, 64, 1000, 4099})
            for (int n : {8, 16})
                for (int b : {1, 33}) {
                    // Flags cycle so every combination appears across the shapes; dims 72 and 40 leave a partial
                    // block. Each (dtype, L, dstate) has one batch size in each layout.
                    const bool aligned = (k / 4 + k % 2) % 2 == 0;
                    cases.push_back({dt, b, k % 3 == 2 ? 40 : 72, n, L, k % 2 == 0, k % 4 != 3, k % 3 != 1, k % 5 != 4,
                                     aligned});
                    ++k;
                }
    return cases;
}

INSTANTIATE_TEST_SUITE_P(Shapes, SelectiveScanGpu, ::testing::ValuesIn(scan_cases()), case_name);

// Chunks of odd sizes (straddling the kernel's tiles) carrying the state equal one long scan; `out_tol` allows
// for rounding the outputs to the activation dtype after float sums whose tile boundaries differ.
void expect_chunks_equal_one_long_scan(msv_dtype dtype, bool aligned, double out_tol, double state_tol) {
    const unsigned seed = fresh_seed();
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    // dim 104: six full channel blocks and a partial one; aligned rows put the full tiles on the 16-byte path.
    const ScanCase c{dtype, 5, 104, 16, 1000, true, true, true, true, aligned};
    ScanProblem pb(c, rng);
    DeviceInts slots(pb.slot_idx);
    Stream stream;
    const std::vector<float> initial_state = pb.state.values();

    const msv_scan_params whole = pb.params(false, slots.get(), 0, c.seqlen);
    msv_ok(msv_selective_scan_fwd(&whole, stream.handle()), "whole");
    stream.sync();
    const std::vector<float> out_whole = pb.out.download();
    const std::vector<float> state_whole = pb.state.download();

    pb.state.values() = initial_state;
    pb.state.upload();
    pb.out.poison();
    int t0 = 0;
    for (int len : {1, 127, 300, 572}) {  // odd sizes straddle the kernel's tiles
        const msv_scan_params part = pb.params(false, slots.get(), t0, len);
        msv_ok(msv_selective_scan_fwd(&part, stream.handle()), "chunk");
        t0 += len;
    }
    ASSERT_EQ(t0, c.seqlen);
    stream.sync();
    EXPECT_TRUE(all_close(pb.out.download(), out_whole, out_tol)) << "out";
    EXPECT_TRUE(all_close(pb.state.download(), state_whole, state_tol)) << "state";
}

TEST(SelectiveScanGpuChunks, SelectiveScanFwd_ChunksCarryingState_EqualOneLongScan) {
    expect_chunks_equal_one_long_scan(MSV_F32, false, 1e-5, 1e-5);
}

TEST(SelectiveScanGpuChunks, SelectiveScanFwdAlignedRows_ChunksCarryingState_EqualOneLongScan) {
    expect_chunks_equal_one_long_scan(MSV_F32, true, 1e-5, 1e-5);
}

TEST(SelectiveScanGpuChunks, SelectiveScanFwdBf16AlignedRows_ChunksCarryingState_EqualOneLongScan) {
    expect_chunks_equal_one_long_scan(MSV_BF16, true, 1e-2, 1e-4);
}

TEST(SelectiveScanGpuChunks, SelectiveScanFwdTokenWalk_ChunksCarryingState_EqualOneLongScan) {
    ScopedEnv walk("MSV_SCAN_SEQ", "1");
    expect_chunks_equal_one_long_scan(MSV_F32, false, 1e-5, 1e-5);
    expect_chunks_equal_one_long_scan(MSV_BF16, true, 1e-2, 1e-4);
}

TEST(SelectiveScanGpuLimits, SelectiveScanFwd_DstateAboveTileLimit_ReturnsUnsupported) {
    std::mt19937 rng(fresh_seed());
    const ScanCase c{MSV_F32, 1, 8, 32, 4, false, false, false, true, false};
    ScanProblem pb(c, rng);
    DeviceInts slots(pb.slot_idx);
    const msv_scan_params p = pb.params(false, slots.get(), 0, c.seqlen);
    EXPECT_EQ(msv_selective_scan_fwd(&p, nullptr), MSV_ERR_UNSUPPORTED);
    EXPECT_NE(std::string(msv_last_error()).find("dstate"), std::string::npos);
}

TEST(GpuBackend, BackendName_IsTheVendor) { EXPECT_STREQ(msv_backend_name(), MSV_VENDOR_NAME); }

}  // namespace
}  // namespace msv::test
