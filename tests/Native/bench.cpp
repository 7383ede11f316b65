// `mambaserve_gpu_tests --bench`: achieved bandwidth of the kernels at mamba-2.8b shapes (d_inner 5120,
// d_state 16, d_model 2560, dt_rank 160, d_conv 4) against the device copy bandwidth measured in the same run.
// Bytes are the fewest a kernel must move (each input read once, each output written once). Times are medians
// of CUDA-event-timed launches after warm-up; inputs are random (never zeros) and, where one input set would fit
// in L2, rotated among several sets. Prints one JSON line per measurement, then a table.
#include "test_util.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace msv::test {
namespace {

constexpr int kDim = 5120, kState = 16, kModel = 2560, kRank = 160, kConv = 4;
constexpr size_t kRotateBytes = size_t(256) << 20;  // sets until the working set is ~4x the 60 MB L2

struct Device {
    void* p = nullptr;
    explicit Device(size_t bytes) { cuda_ok(cudaMalloc(&p, bytes), "cudaMalloc"); }
    ~Device() { (void)cudaFree(p); }
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;
};

// Random values in `dtype`, tiled from one 4 Mi-element host block (random enough for timing, fast to make).
void fill(void* dev, size_t count, msv_dtype dtype, float lo, float hi, std::mt19937& rng) {
    const size_t block = std::min<size_t>(count, size_t(1) << 22);
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> f(block);
    for (float& v : f) v = dist(rng);
    std::vector<uint16_t> h(block);
    if (dtype != MSV_F32)
        for (size_t i = 0; i < block; ++i) h[i] = dtype == MSV_F16 ? float_to_half(f[i]) : float_to_bf16(f[i]);
    const void* src = dtype == MSV_F32 ? static_cast<const void*>(f.data()) : h.data();
    const size_t es = dtype_size(dtype);
    for (size_t off = 0; off < count; off += block) {
        const size_t n = std::min(block, count - off);
        cuda_ok(cudaMemcpy(static_cast<char*>(dev) + off * es, src, n * es, cudaMemcpyHostToDevice), "fill");
    }
}

// Median over `samples` of the mean milliseconds per call of kBatch back-to-back calls between two events (so
// the host's enqueue time overlaps the previous kernel instead of being timed), after `warmup` untimed calls.
constexpr int kBatch = 20;
double median_ms(const std::function<void(int)>& run, int samples = 11, int warmup = 5) {
    for (int i = 0; i < warmup; ++i) run(i);
    cuda_ok(cudaDeviceSynchronize(), "warm-up");
    cudaEvent_t a, b;
    cuda_ok(cudaEventCreate(&a), "event");
    cuda_ok(cudaEventCreate(&b), "event");
    std::vector<double> ms;
    int call = 0;
    for (int i = 0; i < samples; ++i) {
        cuda_ok(cudaEventRecord(a, nullptr), "record");
        for (int k = 0; k < kBatch; ++k) run(call++);
        cuda_ok(cudaEventRecord(b, nullptr), "record");
        cuda_ok(cudaEventSynchronize(b), "sync");
        float t = 0;
        cuda_ok(cudaEventElapsedTime(&t, a, b), "elapsed");
        ms.push_back(t / kBatch);
    }
    (void)cudaEventDestroy(a);
    (void)cudaEventDestroy(b);
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

// MSV_BENCH_FILTER=substring runs only the measurements whose name contains it (for a profiler run).
bool wanted(const std::string& name) {
    const char* f = std::getenv("MSV_BENCH_FILTER");
    return f == nullptr || name.find(f) != std::string::npos;
}

struct Row {
    std::string what;
    double ms, gbps;
};
std::vector<Row> g_rows;
double g_copy_gbps = 0;

void report(const std::string& what, double ms, double bytes, const std::string& extra = "") {
    const double gbps = bytes / (ms * 1e-3) / 1e9;
    g_rows.push_back({what, ms, gbps});
    std::printf("{\"what\":\"%s\",\"ms\":%.4f,\"bytes\":%.0f,\"GBps\":%.1f,\"of_copy\":%.3f%s}\n", what.c_str(), ms,
                bytes, gbps, g_copy_gbps > 0 ? gbps / g_copy_gbps : 0.0, extra.c_str());
    std::fflush(stdout);
}

void bench_copy(size_t bytes, bool reference) {
    Device x(bytes), y(bytes);
    cuda_ok(cudaMemset(x.p, 0x5A, bytes), "memset");
    const double ms = median_ms([&](int) { cuda_ok(cudaMemcpyAsync(y.p, x.p, bytes, cudaMemcpyDeviceToDevice, nullptr), "copy"); }, 5, 3);
    if (reference) g_copy_gbps = 2.0 * bytes / (ms * 1e-3) / 1e9;
    report("copy_d2d_" + std::to_string(bytes >> 20) + "MiB", ms, 2.0 * bytes);
}

int sets_for(size_t bytes) { return static_cast<int>(std::clamp<size_t>(kRotateBytes / std::max<size_t>(bytes, 1) + 1, 1, 8)); }

void bench_scan(int batch, int L, msv_dtype dtype, std::mt19937& rng) {
    const std::string name = "scan_" + std::string(dtype_name(dtype)) + "_b" + std::to_string(batch) + "_L" + std::to_string(L);
    if (!wanted(name)) return;
    const size_t es = dtype_size(dtype);
    const size_t xz = size_t(batch) * L * 2 * kDim, dl = size_t(batch) * L * kDim, xp = size_t(batch) * L * (kRank + 2 * kState);
    const size_t st = size_t(batch) * kDim * kState;
    // Minimum traffic: u, z, delta, out once each, B and C once, state in and out.
    const double bytes = double(xz + 2 * dl) * es + double(batch) * L * 2 * kState * es + 2.0 * st * 4;
    const int sets = sets_for(size_t(bytes));
    std::vector<std::unique_ptr<Device>> bx, bd, bp, bo, bs;
    for (int s = 0; s < sets; ++s) {
        bx.push_back(std::make_unique<Device>(xz * es));
        bd.push_back(std::make_unique<Device>(dl * es));
        bp.push_back(std::make_unique<Device>(xp * es));
        bo.push_back(std::make_unique<Device>(dl * es));
        bs.push_back(std::make_unique<Device>(st * 4));
        fill(bx[s]->p, xz, dtype, -2.0f, 2.0f, rng);
        fill(bd[s]->p, dl, dtype, -4.0f, 0.5f, rng);
        fill(bp[s]->p, xp, dtype, -2.0f, 2.0f, rng);
        fill(bs[s]->p, st, MSV_F32, -1.0f, 1.0f, rng);
    }
    Device A(size_t(kDim) * kState * 4), D(kDim * 4), bias(kDim * 4);
    fill(A.p, size_t(kDim) * kState, MSV_F32, -16.0f, -1.0f, rng);
    fill(D.p, kDim, MSV_F32, -1.0f, 1.0f, rng);
    fill(bias.p, kDim, MSV_F32, -1.0f, 1.0f, rng);
    std::vector<int32_t> slots(batch);
    for (int b = 0; b < batch; ++b) slots[b] = batch - 1 - b;
    DeviceInts dslots(slots);
    auto run = [&](int rep) {
        const int s = rep % sets;
        msv_scan_params p{};
        p.batch = batch, p.dim = kDim, p.dstate = kState, p.seqlen = L, p.dtype = dtype;
        const int64_t xzr = 2 * kDim, xpr = kRank + 2 * kState;
        p.u = bx[s]->p, p.u_batch_stride = L * xzr, p.u_row_stride = xzr;
        p.z = static_cast<char*>(bx[s]->p) + kDim * es, p.z_batch_stride = L * xzr, p.z_row_stride = xzr;
        p.delta = bd[s]->p, p.delta_batch_stride = int64_t(L) * kDim, p.delta_row_stride = kDim;
        p.B = static_cast<char*>(bp[s]->p) + kRank * es, p.B_batch_stride = L * xpr, p.B_row_stride = xpr;
        p.C = static_cast<char*>(bp[s]->p) + (kRank + kState) * es, p.C_batch_stride = L * xpr, p.C_row_stride = xpr;
        p.out = bo[s]->p, p.out_batch_stride = int64_t(L) * kDim, p.out_row_stride = kDim;
        p.A = static_cast<const float*>(A.p), p.D = static_cast<const float*>(D.p);
        p.dt_bias = static_cast<const float*>(bias.p), p.delta_softplus = 1;
        p.state = static_cast<float*>(bs[s]->p), p.state_slot_stride = int64_t(kDim) * kState, p.slot_idx = dslots.get();
        msv_ok(msv_selective_scan_fwd(&p, nullptr), "scan");
    };
    const double ms = median_ms(run);
    report(name, ms, bytes, ",\"sets\":" + std::to_string(sets) + ",\"target_ms\":1.0");
}

void bench_state_update(int batch, msv_dtype dtype, msv_dtype state_dtype, std::mt19937& rng) {
    const std::string name = "state_update_" + std::string(dtype_name(dtype)) + "_state" + dtype_name(state_dtype) + "_b" + std::to_string(batch);
    if (!wanted(name)) return;
    const size_t es = dtype_size(dtype), ss = dtype_size(state_dtype);
    const size_t st = size_t(batch) * kDim * kState;
    const double bytes = 2.0 * st * ss + 4.0 * batch * kDim * es + 2.0 * batch * kState * es;
    const int sets = sets_for(size_t(bytes));
    std::vector<std::unique_ptr<Device>> bx, bd, bp, bo, bs;
    for (int s = 0; s < sets; ++s) {
        bx.push_back(std::make_unique<Device>(size_t(batch) * 2 * kDim * es));
        bd.push_back(std::make_unique<Device>(size_t(batch) * kDim * es));
        bp.push_back(std::make_unique<Device>(size_t(batch) * (kRank + 2 * kState) * es));
        bo.push_back(std::make_unique<Device>(size_t(batch) * kDim * es));
        bs.push_back(std::make_unique<Device>(st * ss));
        fill(bx[s]->p, size_t(batch) * 2 * kDim, dtype, -2.0f, 2.0f, rng);
        fill(bd[s]->p, size_t(batch) * kDim, dtype, -4.0f, 0.5f, rng);
        fill(bp[s]->p, size_t(batch) * (kRank + 2 * kState), dtype, -2.0f, 2.0f, rng);
        fill(bs[s]->p, st, state_dtype, -1.0f, 1.0f, rng);
    }
    Device A(size_t(kDim) * kState * 4), D(kDim * 4), bias(kDim * 4);
    fill(A.p, size_t(kDim) * kState, MSV_F32, -16.0f, -1.0f, rng);
    fill(D.p, kDim, MSV_F32, -1.0f, 1.0f, rng);
    fill(bias.p, kDim, MSV_F32, -1.0f, 1.0f, rng);
    std::vector<int32_t> slots = random_slots(rng, batch, batch);
    DeviceInts dslots(slots);
    auto run = [&](int rep) {
        const int s = rep % sets;
        msv_state_update_params p{};
        p.batch = batch, p.dim = kDim, p.dstate = kState, p.dtype = dtype, p.state_dtype = state_dtype;
        const int64_t xpr = kRank + 2 * kState;
        p.x = bx[s]->p, p.x_batch_stride = 2 * kDim;
        p.z = static_cast<char*>(bx[s]->p) + kDim * es, p.z_batch_stride = 2 * kDim;
        p.delta = bd[s]->p, p.delta_batch_stride = kDim;
        p.B = static_cast<char*>(bp[s]->p) + kRank * es, p.B_batch_stride = xpr;
        p.C = static_cast<char*>(bp[s]->p) + (kRank + kState) * es, p.C_batch_stride = xpr;
        p.out = bo[s]->p, p.out_batch_stride = kDim;
        p.A = static_cast<const float*>(A.p), p.D = static_cast<const float*>(D.p);
        p.dt_bias = static_cast<const float*>(bias.p), p.delta_softplus = 1;
        p.state = bs[s]->p, p.state_slot_stride = int64_t(kDim) * kState, p.slot_idx = dslots.get();
        msv_ok(msv_selective_state_update(&p, nullptr), "state update");
    };
    const double ms = median_ms(run);
    report(name, ms, bytes, ",\"sets\":" + std::to_string(sets) + ",\"target_of_copy\":0.7");
}

void bench_conv(int batch, int L, msv_dtype dtype, std::mt19937& rng) {
    if (!wanted("conv_fwd")) return;
    const size_t es = dtype_size(dtype);
    const size_t xz = size_t(batch) * L * 2 * kDim, o = size_t(batch) * L * kDim;
    Device x(xz * es), out(o * es), w(size_t(kDim) * kConv * 4), bias(kDim * 4), st(size_t(batch) * kDim * (kConv - 1) * 4);
    fill(x.p, xz, dtype, -2.0f, 2.0f, rng);
    fill(w.p, size_t(kDim) * kConv, MSV_F32, -0.5f, 0.5f, rng);
    fill(bias.p, kDim, MSV_F32, -0.5f, 0.5f, rng);
    fill(st.p, size_t(batch) * kDim * (kConv - 1), MSV_F32, -1.0f, 1.0f, rng);
    std::vector<int32_t> slots(batch);
    for (int b = 0; b < batch; ++b) slots[b] = b;
    DeviceInts dslots(slots);
    auto run = [&](int) {
        msv_conv1d_params p{};
        p.batch = batch, p.dim = kDim, p.seqlen = L, p.width = kConv, p.dtype = dtype;
        p.x = x.p, p.x_batch_stride = int64_t(L) * 2 * kDim, p.x_row_stride = 2 * kDim;
        p.out = out.p, p.out_batch_stride = int64_t(L) * kDim, p.out_row_stride = kDim;
        p.weight = static_cast<const float*>(w.p), p.bias = static_cast<const float*>(bias.p), p.silu = 1;
        p.conv_state = static_cast<float*>(st.p), p.state_slot_stride = int64_t(kDim) * (kConv - 1);
        p.slot_idx = dslots.get();
        msv_ok(msv_causal_conv1d_fwd(&p, nullptr), "conv");
    };
    const double ms = median_ms(run);
    report("conv_fwd_" + std::string(dtype_name(dtype)) + "_b" + std::to_string(batch) + "_L" + std::to_string(L), ms,
           2.0 * o * es + 2.0 * batch * kDim * (kConv - 1) * 4);
}

void bench_rmsnorm(int rows, msv_dtype dtype, std::mt19937& rng) {
    if (!wanted("rmsnorm")) return;
    const size_t es = dtype_size(dtype), n = size_t(rows) * kModel;
    Device x(n * es), res(n * 4), out(n * es), w(kModel * 4);
    fill(x.p, n, dtype, -2.0f, 2.0f, rng);
    fill(res.p, n, MSV_F32, -2.0f, 2.0f, rng);
    fill(w.p, kModel, MSV_F32, 0.5f, 1.5f, rng);
    auto run = [&](int) {
        msv_rmsnorm_params p{};
        p.rows = rows, p.dim = kModel, p.dtype = dtype;
        p.x = x.p, p.x_row_stride = kModel, p.residual = static_cast<float*>(res.p), p.residual_row_stride = kModel;
        p.out = out.p, p.out_row_stride = kModel, p.weight = static_cast<const float*>(w.p), p.eps = 1e-5f;
        msv_ok(msv_rmsnorm_residual(&p, nullptr), "rmsnorm");
    };
    const double ms = median_ms(run);
    report("rmsnorm_" + std::string(dtype_name(dtype)) + "_rows" + std::to_string(rows), ms, double(n) * (2 * es + 8));
}

}  // namespace

int run_bench() {
    try {
        cudaDeviceProp prop{};
        cuda_ok(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
        std::printf("{\"device\":\"%s\",\"sms\":%d,\"l2_MB\":%.1f,\"backend\":\"%s\"}\n", prop.name,
                    prop.multiProcessorCount, prop.l2CacheSize / 1048576.0, msv_backend_name());
        std::mt19937 rng(12345);
        bench_copy(size_t(2) << 30, true);
        bench_copy(size_t(80) << 20, false);  // the size of a b256 fp32 state pool layer: same traffic as its update
        for (int b : {1, 4, 16}) bench_scan(b, 1024, MSV_BF16, rng);
        bench_scan(16, 1024, MSV_F32, rng);
        for (msv_dtype st : {MSV_F32, MSV_BF16})
            for (int b : {1, 64, 256}) bench_state_update(b, MSV_BF16, st, rng);
        bench_conv(16, 1024, MSV_BF16, rng);
        bench_rmsnorm(16 * 1024, MSV_BF16, rng);
        bench_rmsnorm(256, MSV_BF16, rng);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench failed: %s\n", e.what());
        return 1;
    }
    std::printf("\n%-36s %10s %10s %8s\n", "kernel (mamba-2.8b shapes)", "ms", "GB/s", "of copy");
    for (const Row& r : g_rows)
        std::printf("%-36s %10.4f %10.1f %7.1f%%\n", r.what.c_str(), r.ms, r.gbps, 100.0 * r.gbps / g_copy_gbps);
    return 0;
}

}  // namespace msv::test
