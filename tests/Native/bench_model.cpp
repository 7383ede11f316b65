// `mambaserve_gpu_tests --bench-model`: the whole model through msv_model_step at the mamba-2.8b shape (d_model
// 2560, 64 layers, d_inner 5120, d_state 16, dt_rank 160, vocab 50280), random bf16 weights: decode step time at
// batch 1, 2, 4, 8, 64 and 256 (greedy, and top_p 0.9 / temperature 0.7 at 1 and 256), prefill of 1024 tokens at batch
// 1 and 16, for an fp32 and a bf16 SSM state; and the weight-read floor of a batch-1 step (weight bytes over the
// device copy rate measured in the same run). Times are wall-clock per msv_model_step (inputs up, graph or kernels,
// outputs down, one synchronisation): what the engine sees. Median over the timed steps after warm-up.
// MSV_BENCH_FILTER=substring selects measurements; MSV_BENCH_STATES=f32 or bf16 runs one state dtype, or a list in
// order ("bf16,f32", "idle:f32,bf16"; bench_states); MSV_BENCH_KEEP=1 keeps each model alive to the end. A second
// model made in one process steps 3-5% slower than the first (docs/gpu-model.md, "Session 2026-12-04, second"; the
// server's process, one model, and `bench gpu` showed no such gap): compare states one a process.
// MSV_BENCH_NVTX=1: 2 warm-up steps and 1 timed step per measurement, the timed one inside an NVTX range named
// "profile" (run-device.sh's PROFILE_MODEL runs ncu on those ranges for per-kernel durations).
// MSV_BENCH_AHEAD=1: after each decode measurement, the same decode run ahead as the engine will run it (step N + 1
// begun from step N's draws with from_previous, then step N ended: msv_model_step_begin / _end), as a line named
// like it plus "_ahead" whose ms is the median time between two step ends, so one run A/Bs the two (the filter
// selects either name; "..._b1$" names the synchronous one alone), and a line named like it plus "_ahead_mark" that
// also waits for each step's mark before it begins the next (msv_model_step_wait_mark, as the engine does), whose
// "tail" is the median share of a step between the mark's wait returning and the step's end: with MSV_AHEAD_MARK=75
// about 0.25 if a replay records the mark mid-step, ~1 if the wait returned at once (no mark: MSV_AHEAD_MARK=off).
#include "common/blas.h"
#include "model_test_util.h"
#include "test_util.h"

#if __has_include(<nvtx3/nvToolsExt.h>)
#include <nvtx3/nvToolsExt.h>
#define MSV_HAVE_NVTX 1
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace msv::test {
namespace {

// MSV_BENCH_FILTER: substrings separated by '|'; a measurement runs when its name contains one of them. A substring
// ending in '$' must end the name ("greedy_statef32_b1$" is batch 1 alone, not 16 or 128 too).
bool wanted_model(const std::string& name) {
    const char* f = std::getenv("MSV_BENCH_FILTER");
    if (f == nullptr) return true;
    const std::string all(f);
    for (size_t at = 0; at <= all.size();) {
        const size_t end = std::min(all.find('|', at), all.size());
        std::string part = all.substr(at, end - at);
        const bool anchored = !part.empty() && part.back() == '$';
        if (anchored) part.pop_back();
        const size_t found = part.empty() ? std::string::npos : name.rfind(part);
        if (found != std::string::npos && (!anchored || found + part.size() == name.size())) return true;
        at = end + 1;
    }
    return false;
}

// Random bf16 values of unit variance times `scale`, from a fast generator (5.5 GB of weights are drawn per model).
std::vector<uint16_t> random_bf16(size_t n, float scale, uint64_t seed) {
    std::vector<uint16_t> v(n);
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const float u = (static_cast<float>(x >> 40) / 16777216.0f * 2.0f - 1.0f) * 1.7320508f * scale;
        v[i] = float_to_bf16(u);
    }
    return v;
}

double copy_gbps() {
    const size_t bytes = size_t(2) << 30;
    void *a = nullptr, *b = nullptr;
    cuda_ok(cudaMalloc(&a, bytes), "cudaMalloc");
    cuda_ok(cudaMalloc(&b, bytes), "cudaMalloc");
    cuda_ok(cudaMemset(a, 0x5A, bytes), "memset");
    cudaEvent_t e0, e1;
    cuda_ok(cudaEventCreate(&e0), "event");
    cuda_ok(cudaEventCreate(&e1), "event");
    for (int i = 0; i < 3; ++i) cuda_ok(cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice), "copy");
    cuda_ok(cudaEventRecord(e0, nullptr), "record");
    for (int i = 0; i < 10; ++i) cuda_ok(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, nullptr), "copy");
    cuda_ok(cudaEventRecord(e1, nullptr), "record");
    cuda_ok(cudaEventSynchronize(e1), "sync");
    float ms = 0;
    cuda_ok(cudaEventElapsedTime(&ms, e0, e1), "elapsed");
    (void)cudaEventDestroy(e0);
    (void)cudaEventDestroy(e1);
    (void)cudaFree(a);
    (void)cudaFree(b);
    return 2.0 * bytes * 10 / (ms * 1e-3) / 1e9;
}

class BenchModel {
public:
    // stage: how far an idle model is built (MSV_BENCH_IDLE_STAGE: 0 create only, 1 + weights, 2 + pool).
    BenchModel(msv_dtype state, int slots, int stage = 2) {
        c_ = make_config({2560, 64, 5120, 16, 4, 160, 50280, 50277, true, false, true, "2.8b"}, MSV_BF16, state,
                         16 * 1024, 256, 1);
        msv_ok(msv_model_create(&c_, &m_), "msv_model_create");
        if (stage == 0) return;
        const int64_t dm = c_.d_model, di = c_.d_inner;
        const std::vector<uint16_t> emb = random_bf16(size_t(c_.vocab) * dm, 1.0f, 1);
        const std::vector<uint16_t> wdm = random_bf16(size_t(2) * di * dm, 1.0f / std::sqrt(float(dm)), 2);
        const std::vector<uint16_t> wdi = random_bf16(size_t(dm) * di, 1.0f / std::sqrt(float(di)), 3);
        const std::vector<uint16_t> wdr = random_bf16(size_t(di) * c_.dt_rank, 0.5f / std::sqrt(float(c_.dt_rank)), 4);
        auto put16 = [&](msv_tensor t, int l, const std::vector<uint16_t>& v, int64_t n) {
            msv_ok(msv_model_set_tensor(m_, t, l, v.data(), MSV_BF16, n), "set_tensor");
        };
        auto put32 = [&](msv_tensor t, int l, std::vector<float> v) {
            msv_ok(msv_model_set_tensor(m_, t, l, v.data(), MSV_F32, int64_t(v.size())), "set_tensor");
        };
        put16(MSV_T_EMBEDDING, 0, emb, int64_t(c_.vocab) * dm);
        put32(MSV_T_NORM_F, 0, std::vector<float>(dm, 1.0f));
        std::vector<float> a_log(size_t(di) * c_.d_state), conv(size_t(di) * c_.d_conv);
        for (size_t i = 0; i < a_log.size(); ++i) a_log[i] = std::log(float(i % c_.d_state + 1));
        for (size_t i = 0; i < conv.size(); ++i) conv[i] = 0.25f * float(int(i % 7) - 3) / 3.0f;
        for (int l = 0; l < c_.n_layer; ++l) {
            put32(MSV_T_NORM, l, std::vector<float>(dm, 1.0f));
            put16(MSV_T_IN_PROJ, l, wdm, 2 * di * dm);
            put32(MSV_T_CONV_WEIGHT, l, conv);
            put32(MSV_T_CONV_BIAS, l, std::vector<float>(di, 0.01f));
            put16(MSV_T_X_PROJ, l, wdi, (c_.dt_rank + 2 * c_.d_state) * di);
            put16(MSV_T_DT_PROJ, l, wdr, di * c_.dt_rank);
            put32(MSV_T_DT_PROJ_BIAS, l, std::vector<float>(di, -4.0f));
            put32(MSV_T_A_LOG, l, a_log);
            put32(MSV_T_D, l, std::vector<float>(di, 1.0f));
            put16(MSV_T_OUT_PROJ, l, wdi, dm * di);
        }
        msv_ok(msv_model_finalize(m_, &weight_bytes_), "finalize");
        if (stage == 1) return;
        msv_ok(msv_model_allocate_pool(m_, slots), "allocate_pool");
    }
    ~BenchModel() { msv_model_destroy(m_); }
    BenchModel(const BenchModel&) = delete;
    BenchModel& operator=(const BenchModel&) = delete;

    int64_t weight_bytes() const { return weight_bytes_; }

    // One msv_model_step of `batch` entries of `len` random tokens on slots 0 .. batch - 1 (step `it`; the first
    // resets the slots' samplers); the inputs are made before `t0` is taken.
    void step(int batch, int len, const msv_sampling& p, int it, std::mt19937& rng,
              std::chrono::steady_clock::time_point* t0 = nullptr) {
        std::vector<std::vector<int32_t>> toks(batch);
        std::vector<msv_step_entry> es(batch);
        std::vector<msv_sample_target> ts(batch);
        for (int b = 0; b < batch; ++b) {
            toks[b] = random_tokens(rng, len, c_.vocab);
            ts[b] = {b, it == 0, it, &p};
            es[b] = {toks[b].data(), b, len, 0, b, 1};
        }
        std::vector<int32_t> out_t(batch);
        std::vector<float> out_lp(batch);
        msv_step s{};
        s.entries = es.data(), s.samples = ts.data(), s.n_entries = batch, s.n_samples = batch;
        s.out_tokens = out_t.data(), s.out_logprobs = out_lp.data();
        if (t0) *t0 = std::chrono::steady_clock::now();
        msv_ok(msv_model_step(m_, &s), "msv_model_step");
    }

    // Median wall-clock ms of msv_model_step over `timed` steps of `batch` entries of `len` tokens.
    double time_steps(int batch, int len, const msv_sampling& p, int warmup, int timed) {
        const bool nvtx = std::getenv("MSV_BENCH_NVTX") != nullptr;
        if (nvtx) warmup = 2, timed = 1;
        std::mt19937 rng(batch * 7 + len);
        std::vector<double> ms;
        for (int it = 0; it < warmup + timed; ++it) {
            const bool mark = nvtx && it == warmup + timed - 1;
#if defined(MSV_HAVE_NVTX)
            if (mark) nvtxRangePushA("profile");
#endif
            std::chrono::steady_clock::time_point t0;
            step(batch, len, p, it, rng, &t0);
            const auto t1 = std::chrono::steady_clock::now();
#if defined(MSV_HAVE_NVTX)
            if (mark) nvtxRangePop();
#endif
            (void)mark;
            if (it >= warmup) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        }
        std::sort(ms.begin(), ms.end());
        return ms[ms.size() / 2];
    }

    // Median wall-clock ms between two msv_model_step_end returns over `timed` decode steps of `batch` entries on
    // slots 0 .. batch - 1 run ahead: step it + 1 is begun from step it's draws (from_previous) before step it ends,
    // so the host's work for a step (its inputs, the other's outputs) overlaps the device's. The first step takes
    // random tokens and resets the slots' samplers.
    // Run ahead; with `mark`, each step's mark waited for before the next begins, and *tail the median share of a
    // step between the wait's return and the step's end.
    double time_ahead(int batch, const msv_sampling& p, int warmup, int timed, bool mark = false,
                      double* tail = nullptr) {
        std::mt19937 rng(batch * 7 + 1);
        const std::vector<int32_t> first = random_tokens(rng, batch, c_.vocab);
        std::vector<msv_step_entry> es(batch);
        std::vector<msv_sample_target> ts(batch);
        // Outputs of the two steps in flight: each stays until its end.
        std::vector<int32_t> out_t[2] = {std::vector<int32_t>(batch), std::vector<int32_t>(batch)};
        std::vector<float> out_lp[2] = {std::vector<float>(batch), std::vector<float>(batch)};
        auto begin = [&](int it) {
            for (int b = 0; b < batch; ++b) {
                ts[b] = {b, it == 0, it, &p};
                es[b] = {it == 0 ? &first[b] : nullptr, b, 1, 0, b, 1, it == 0 ? 0 : b + 1};
            }
            msv_step s{};
            s.entries = es.data(), s.samples = ts.data(), s.n_entries = batch, s.n_samples = batch;
            s.out_tokens = out_t[it & 1].data(), s.out_logprobs = out_lp[it & 1].data();
            msv_ok(msv_model_step_begin(m_, &s), "msv_model_step_begin");
        };
        std::vector<double> ms, tails;
        begin(0);
        auto last = std::chrono::steady_clock::now();
        for (int it = 1; it <= warmup + timed; ++it) {
            if (mark) msv_ok(msv_model_step_wait_mark(m_), "msv_model_step_wait_mark");
            const auto marked = std::chrono::steady_clock::now();
            begin(it);
            msv_ok(msv_model_step_end(m_), "msv_model_step_end");
            const auto now = std::chrono::steady_clock::now();
            const double step = std::chrono::duration<double, std::milli>(now - last).count();
            if (it > warmup) {
                ms.push_back(step);
                tails.push_back(std::chrono::duration<double, std::milli>(now - marked).count() / step);
            }
            last = now;
        }
        msv_ok(msv_model_step_end(m_), "msv_model_step_end");
        std::sort(ms.begin(), ms.end());
        std::sort(tails.begin(), tails.end());
        if (tail) *tail = tails[tails.size() / 2];
        return ms[ms.size() / 2];
    }

private:
    msv_model_config c_{};
    msv_model* m_ = nullptr;
    int64_t weight_bytes_ = 0;
};

struct Line {
    std::string what;
    double ms, per_s;
};

// Two models with the same weights, each decoding `rows` rows per step from its own host thread (its own stream):
// mean wall-clock ms per pair of steps over `timed` pairs. Against one model's step of 2 x rows, it says whether two
// independent halves of a batch overlap on the device (one half's compute-bound GEMMs beside the other's
// memory-bound state update), the premise of running a large batch as two streams (docs/gpu-model.md, "What is
// left"). Nothing in the server runs this way yet.
double time_two_models(BenchModel& a, BenchModel& b, int rows, const msv_sampling& p, int warmup, int timed) {
    auto run = [&](BenchModel& m, int first, int count, unsigned seed) {
        std::mt19937 rng(seed);
        for (int it = first; it < first + count; ++it) m.step(rows, 1, p, it, rng);
    };
    std::thread wa([&] { run(a, 0, warmup, 1); }), wb([&] { run(b, 0, warmup, 2); });
    wa.join(), wb.join();
    const auto t0 = std::chrono::steady_clock::now();
    std::thread ta([&] { run(a, warmup, timed, 3); }), tb([&] { run(b, warmup, timed, 4); });
    ta.join(), tb.join();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / timed;
}

struct BenchState {
    msv_dtype state;
    bool idle;  // made (as far as MSV_BENCH_IDLE_STAGE says) and kept or destroyed without a measurement
};

// MSV_BENCH_STATES: f32 or bf16 (one state), or a comma list in the order to run, each entry optionally "idle:"
// (e.g. "idle:f32,bf16": a model made and destroyed before the bf16 one). Default "f32,bf16".
std::vector<BenchState> bench_states() {
    const char* env = std::getenv("MSV_BENCH_STATES");
    std::string list = env ? env : "f32,bf16";
    std::vector<BenchState> out;
    size_t at = 0;
    while (at <= list.size()) {
        const size_t end = std::min(list.find(',', at), list.size());
        std::string item = list.substr(at, end - at);
        at = end + 1;
        const bool idle = item.rfind("idle:", 0) == 0;
        if (idle) item = item.substr(5);
        if (item == "f32" || item == "bf16") out.push_back({item == "f32" ? MSV_F32 : MSV_BF16, idle});
        else if (!item.empty()) throw std::runtime_error("MSV_BENCH_STATES: unknown state '" + item + "'");
    }
    return out;
}

// What a process holds before its first model, for the second model's tests (docs/gpu-model.md, "Session
// 2026-12-04, second"): MSV_BENCH_PAD_MB=n MiB of device memory (freed again under MSV_BENCH_PAD_FREE=1),
// MSV_BENCH_PAD_STREAMS=n streams, MSV_BENCH_PAD_BLAS=1 a BLAS handle. None of them slowed the model.
class BenchPads {
public:
    BenchPads() {
        if (const char* mb = std::getenv("MSV_BENCH_PAD_MB")) {
            cuda_ok(cudaMalloc(&memory_, size_t(std::atoll(mb)) << 20), "cudaMalloc pad");
            if (std::getenv("MSV_BENCH_PAD_FREE")) cuda_ok(cudaFree(memory_), "cudaFree pad"), memory_ = nullptr;
        }
        if (const char* n = std::getenv("MSV_BENCH_PAD_STREAMS")) streams_.resize(std::max(0, std::atoi(n)));
        for (cudaStream_t& s : streams_) cuda_ok(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "stream");
        if (std::getenv("MSV_BENCH_PAD_BLAS") && blas::create(&blas_) != blas::kOk)
            throw std::runtime_error("pad BLAS handle");
    }
    ~BenchPads() {
        blas::destroy(blas_);
        for (cudaStream_t s : streams_) (void)cudaStreamDestroy(s);
        if (memory_) (void)cudaFree(memory_);
    }
    BenchPads(const BenchPads&) = delete;
    BenchPads& operator=(const BenchPads&) = delete;

private:
    void* memory_ = nullptr;
    std::vector<cudaStream_t> streams_;
    blas::Handle blas_{};
};

// The two-model measurement runs only when MSV_BENCH_FILTER names it, "as_two" included (a second 2.8b model costs
// time and memory; a filter for the one-model b256 step would match its name too).
bool named_in_filter(const std::string& name) {
    const char* f = std::getenv("MSV_BENCH_FILTER");
    return f && std::strstr(f, "as_two") && wanted_model(name);
}

}  // namespace

int run_model_bench() {
    std::vector<Line> lines;
    try {
        const double gbps = copy_gbps();
        std::printf("{\"what\":\"copy_d2d_2048MiB\",\"GBps\":%.1f}\n", gbps);
        const BenchPads pads;
        // Earlier models of the run, kept alive under MSV_BENCH_KEEP=1 (MSV_BENCH_STATES lists them; idle ones are
        // made and not measured): whether the freed memory or the process's history slows a second model.
        std::vector<std::unique_ptr<BenchModel>> kept;
        const bool keep = std::getenv("MSV_BENCH_KEEP") != nullptr;
        for (const BenchState& bs : bench_states()) {
            const msv_dtype state = bs.state;
            const std::string sn = dtype_name(state);
            const char* idle_stage = std::getenv("MSV_BENCH_IDLE_STAGE");
            auto owned = std::make_unique<BenchModel>(state, 260, bs.idle && idle_stage ? std::atoi(idle_stage) : 2);
            BenchModel& m = *owned;
            if (keep) kept.push_back(std::move(owned));
            if (bs.idle) {
                std::printf("{\"what\":\"idle_model\",\"state\":\"%s\"}\n", sn.c_str());
                continue;
            }
            const double floor_ms = m.weight_bytes() / (gbps * 1e9) * 1e3;
            std::printf("{\"what\":\"floor\",\"state\":\"%s\",\"weight_bytes\":%lld,\"floor_ms\":%.3f}\n", sn.c_str(),
                        static_cast<long long>(m.weight_bytes()), floor_ms);
            msv_sampling g = greedy(), topp = greedy();
            topp.temperature = 0.7f, topp.top_p = 0.9f, topp.seed = 7;
            auto record = [&](const std::string& what, double ms, double tokens) {
                std::printf("{\"what\":\"%s\",\"ms\":%.4f,\"tokens_per_s\":%.1f,\"of_floor\":%.3f}\n", what.c_str(), ms,
                            tokens / ms * 1e3, ms / floor_ms);
                std::fflush(stdout);
                lines.push_back({what, ms, tokens / ms * 1e3});
            };
            // The run-ahead twin of a decode measurement (MSV_BENCH_AHEAD=1).
            const char* ahead_env = std::getenv("MSV_BENCH_AHEAD");
            const bool ahead = ahead_env && std::strcmp(ahead_env, "1") == 0;
            auto ahead_too = [&](const std::string& name, int b, const msv_sampling& p) {
                if (ahead && wanted_model(name + "_ahead")) record(name + "_ahead", m.time_ahead(b, p, 8, 40), b);
                if (ahead && wanted_model(name + "_ahead_mark")) {
                    double tail = 0.0;
                    record(name + "_ahead_mark", m.time_ahead(b, p, 8, 40, true, &tail), b);
                    std::printf("{\"what\":\"%s_ahead_mark_tail\",\"tail\":%.3f}\n", name.c_str(), tail);
                }
            };
            for (int b : {1, 2, 4, 8, 16, 32, 64, 128, 256}) {
                const std::string name = "model_decode_greedy_state" + sn + "_b" + std::to_string(b);
                if (wanted_model(name)) record(name, m.time_steps(b, 1, g, 8, 40), b);
                ahead_too(name, b, g);
            }
            // Batches between the powers of two (buckets 24, 48 and 192 since "Session 2026-12-04, fifth"), only
            // when the filter names them.
            for (int b : {20, 40, 160}) {
                const std::string name = "model_decode_greedy_state" + sn + "_b" + std::to_string(b);
                if (std::getenv("MSV_BENCH_FILTER") && wanted_model(name))
                    record(name, m.time_steps(b, 1, g, 8, 40), b);
                if (std::getenv("MSV_BENCH_FILTER")) ahead_too(name, b, g);
            }
            for (int b : {1, 8, 32, 128, 256}) {
                const std::string name = "model_decode_topp_state" + sn + "_b" + std::to_string(b);
                if (wanted_model(name)) record(name, m.time_steps(b, 1, topp, 8, 40), b);
                ahead_too(name, b, topp);
            }
            for (int b : {128, 256}) {
                const std::string two = "model_decode_greedy_state" + sn + "_b" + std::to_string(b) + "_as_two_b" +
                                        std::to_string(b / 2);
                if (!named_in_filter(two)) continue;
                BenchModel second(state, 260);
                record(two, time_two_models(m, second, b / 2, g, 8, 40), b);
            }
            for (int b : {1, 2, 4, 8, 16}) {  // 2-8: the tiled scan's range (batch x channels below the walk's)
                const std::string name = "model_prefill1024_state" + sn + "_b" + std::to_string(b);
                if (wanted_model(name)) record(name, m.time_steps(b, 1024, g, 2, 5), 1024.0 * b);
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "model bench failed: %s\n", e.what());
        return 1;
    }
    std::printf("\n%-40s %10s %12s\n", "model step (mamba-2.8b, bf16 weights)", "ms", "tokens/s");
    for (const Line& l : lines) std::printf("%-40s %10.3f %12.1f\n", l.what.c_str(), l.ms, l.per_s);
    return 0;
}

}  // namespace msv::test
