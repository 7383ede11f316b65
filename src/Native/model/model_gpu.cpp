// Model lifecycle on the GPU: create (stream, BLAS, weight arena, step buffers), set_tensor (pinned staging and
// conversion on the device), finalize, pool sizing and allocation. The step is in model_gpu_step.cpp, slot
// operations and snapshots in model_gpu_slots.cpp.
#include "model/model_gpu.h"

#include "common/error.h"
#include "gpu/launch.h"
#include "model/model_gpu_graphs.h"
#include "model/model_tensors.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace msv::gpu::model {
namespace {

constexpr size_t kStageBytes = size_t(32) << 20;      // pinned staging for set_tensor, two halves
constexpr size_t kBlasWorkspace = size_t(32) << 20;
constexpr size_t kAlign = 256;

int64_t pad8(int64_t n) { return (n + 7) / 8 * 8; }
size_t align_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

std::atomic<uint64_t> g_next_id{1};

std::string mib(size_t bytes) { return std::to_string(bytes) + " bytes (" + std::to_string(bytes >> 20) + " MiB)"; }

}  // namespace

msv_status Model::fail(cudaError_t err, const char* what) {
    (void)cudaGetLastError();  // clear a non-sticky error so the next call starts clean
    const std::string msg = std::string(what) + ": " + cudaGetErrorString(err);
    if (msv_error_is_sticky(err)) {
        lost_ = true;
        lost_reason_ = msg;
        return set_error(MSV_ERR_DEVICE_LOST, "device lost: " + msg);
    }
    return set_error(MSV_ERR_DEVICE, msg);
}

msv_status Model::check_lost() const {
    if (!lost_) return MSV_OK;
    return set_error(MSV_ERR_DEVICE_LOST, "device lost: " + lost_reason_);
}

msv_status Model::sync(const char* what) {
    const cudaError_t err = cudaStreamSynchronize(stream_);
    return err == cudaSuccess ? MSV_OK : fail(err, what);
}

std::recursive_mutex& device_memory_lock() {
    static std::recursive_mutex lock;
    return lock;
}

msv_status Model::alloc_device(void** p, size_t bytes, const char* what, bool zero) {
    const std::lock_guard<std::recursive_mutex> hold(device_memory_lock());
    *p = nullptr;
    if (bytes == 0) return MSV_OK;
    const cudaError_t err = cudaMalloc(p, bytes);
    if (err == cudaSuccess && !zero) return MSV_OK;
    if (err == cudaSuccess) return cudaMemsetAsync(*p, 0, bytes, stream_) == cudaSuccess ? MSV_OK : fail(cudaGetLastError(), what);
    *p = nullptr;
    (void)cudaGetLastError();
    if (err != cudaErrorMemoryAllocation) return fail(err, what);
    size_t free_b = 0, total_b = 0;
    (void)cudaMemGetInfo(&free_b, &total_b);
    return set_error(MSV_ERR_OUT_OF_MEMORY, std::string(what) + ": out of device memory: asked for " + mib(bytes) +
                                                ", " + mib(free_b) + " free of " + mib(total_b));
}

msv_status Model::create(const msv_model_config& c, std::unique_ptr<Model>* out) {
    std::unique_ptr<Model> m(new Model());
    if (msv_status s = m->init(c); s != MSV_OK) return s;
    *out = std::move(m);
    return MSV_OK;
}

msv_status Model::init(const msv_model_config& c) {
    const std::lock_guard<std::recursive_mutex> hold(device_memory_lock());
    cfg_ = c;
    if (c.d_conv < kConvMinWidth || c.d_conv > kConvMaxWidth)
        return set_error(MSV_ERR_UNSUPPORTED, "msv_model_create: the GPU model supports d_conv 2..4, got " +
                                                  std::to_string(c.d_conv));
    if (c.d_state > kScanMaxState)
        return set_error(MSV_ERR_UNSUPPORTED, "msv_model_create: the GPU scan supports d_state <= " +
                                                  std::to_string(kScanMaxState) + ", got " + std::to_string(c.d_state));
    id_ = g_next_id++;
    device_ = c.device;
    if (cudaError_t e = cudaSetDevice(device_); e != cudaSuccess) return fail(e, "msv_model_create: set device");
    if (cudaError_t e = cudaDeviceGetAttribute(&sm_count_, cudaDevAttrMultiProcessorCount, device_);
        e != cudaSuccess)
        return fail(e, "msv_model_create: device attributes");
    if (cudaError_t e = cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking); e != cudaSuccess)
        return fail(e, "msv_model_create: stream");
    if (blas::create(&blas_) != blas::kOk) return set_error(MSV_ERR_DEVICE, "msv_model_create: BLAS handle");
    if (msv_status s = alloc_device(&blas_workspace_, kBlasWorkspace, "msv_model_create: BLAS workspace"); s != MSV_OK)
        return s;
    if (blas::Status b = blas::bind(blas_, stream_, blas_workspace_, kBlasWorkspace); b != blas::kOk)
        return set_error(MSV_ERR_DEVICE, std::string("msv_model_create: BLAS stream: ") + blas::status_name(b));

    d_.dm = c.d_model, d_.layers = c.n_layer, d_.di = c.d_inner, d_.ds = c.d_state, d_.dc = c.d_conv;
    d_.dr = c.dt_rank, d_.vocab = c.vocab, d_.vs = c.sampleable_vocab;
    d_.nx = c.dt_rank + 2 * c.d_state;
    d_.ld_dm = pad8(c.d_model), d_.ld_di = pad8(c.d_inner), d_.ld_xz = pad8(2 * int64_t(c.d_inner));
    d_.ld_nx = pad8(d_.nx), d_.ld_dr = pad8(c.dt_rank);
    d_.conv_slot = int64_t(c.n_layer) * c.d_inner * (c.d_conv - 1);
    d_.ssm_slot = int64_t(c.n_layer) * c.d_inner * c.d_state;
    // The PDL attribute: CUDA on sm_90 (the kernels' wait is compiled for sm_90 only); MSV_PDL=0 turns it off.
    const char* env = std::getenv("MSV_PDL");
    cudaDeviceProp prop{};
    pdl_ = cudaGetDeviceProperties(&prop, device_) == cudaSuccess && prop.major >= 9 && !(env && env[0] == '0');
#if defined(MSV_HIP)
    pdl_ = false;
#endif
    if (const char* f = std::getenv("MSV_FUSED_DECODE"); f && f[0] == '0') fused_decode_ = false;
    // FalconMamba's norm of x_proj's output has no place in the fused path: its dt_ssu kernel sums x_proj's K slices
    // itself and reads dt, B and C straight from them.
    if (c.mixer_rms) fused_decode_ = false;
    // MSV_FUSED_MAX_ROWS: the largest decode batch the fused path takes (1..8); larger ones use the BLAS path. By
    // default 1 where that path's products of a few rows run on the tensor-core GEMM with PDL (bf16 / fp16 weights,
    // sm_90): there a 2-row step ran 1.3-3% faster than on the fused GEMVs (H200, docs/gpu-model.md "Session
    // 2026-12-04, third"); else 2.
    fused_max_rows_ = mma_supported(cfg_.weight_dtype, prop.major) && prop.major >= 9 ? 1 : 2;
    if (const char* f = std::getenv("MSV_FUSED_MAX_ROWS")) fused_max_rows_ = std::clamp(std::atoi(f), 0, kGemvMaxRows);
    if (const char* f = std::getenv("MSV_GEMV_PREFETCH"))
        prefetch_in_ = prefetch_x_ = prefetch_out_ = prefetch_head_ = std::max(0L, std::atol(f));
    const auto prefetch_knob = [](const char* name, int64_t& bytes) {
        if (const char* f = std::getenv(name)) bytes = std::max(0L, std::atol(f));
    };
    prefetch_knob("MSV_GEMV_PREFETCH_IN", prefetch_in_);
    prefetch_knob("MSV_GEMV_PREFETCH_X", prefetch_x_);
    prefetch_knob("MSV_GEMV_PREFETCH_OUT", prefetch_out_);
    prefetch_knob("MSV_GEMV_PREFETCH_HEAD", prefetch_head_);
    if (const char* f = std::getenv("MSV_GEMV_LATE_FIRST")) late_first_batch_ = std::clamp(std::atoi(f), 0, 15);
    if (const char* f = std::getenv("MSV_GEMV_SHAPE_IN")) gemv_shape_in_ = std::clamp(std::atoi(f), 0, 5);
    if (const char* f = std::getenv("MSV_GEMV_SHAPE_OUT")) gemv_shape_out_ = std::clamp(std::atoi(f), 0, 5);
    if (const char* f = std::getenv("MSV_GEMV_SHAPE_HEAD")) gemv_shape_head_ = std::clamp(std::atoi(f), 0, 5);
    if (const char* f = std::getenv("MSV_SSU_THREADS")) ssu_threads_ = std::atoi(f);
    // Two buffers cover the cache's churn (one snapshot taken, one evicted); a few more, a burst of requests ending.
    snapshot_buffers_->keep = 4;
    if (const char* f = std::getenv("MSV_SNAPSHOT_RECYCLE")) snapshot_buffers_->keep = size_t(std::clamp(std::atoi(f), 0, 64));
    if (const char* f = std::getenv("MSV_SSU_BF16_VEC")) ssu_bf16_vec_ = std::atoi(f);
    if (const char* f = std::getenv("MSV_SSU_TRIGGER")) ssu_trigger_ = std::clamp(std::atoi(f), 0, 3);
    if (const char* f = std::getenv("MSV_SSU_PDL"); f && f[0] == '0') ssu_pdl_ = false;
    if (const char* f = std::getenv("MSV_CONV_PDL"); f && f[0] == '0') conv_pdl_ = false;
    // The tensor-core GEMM for products of up to 8 rows (bf16 / fp16 weights, sm_80+), in_proj up to 16;
    // MSV_MMA_MAX_ROWS (0..64) moves that bound for every product, 0 gives every product to the vendor BLAS, and
    // MSV_INPROJ_MMA_ROWS moves in_proj's alone (A/B runs, docs/gpu-model.md).
    mma_max_rows_ = mma_supported(cfg_.weight_dtype, prop.major) ? kMmaDefaultRows : 0;
    if (const char* f = std::getenv("MSV_SAMPLER_TARGET_BLOCKS"); f)
        sampler_target_blocks_ = std::clamp(std::atoi(f), 1, kSamplerTargets);
    inproj_mma_rows_ = mma_max_rows_ > 0 ? kInProjMmaDefaultRows : 0;
    if (const char* f = std::getenv("MSV_MMA_MAX_ROWS"); f && mma_max_rows_ > 0)
        inproj_mma_rows_ = mma_max_rows_ = std::clamp(std::atoi(f), 0, kMmaMaxRows);
    if (const char* f = std::getenv("MSV_INPROJ_MMA_ROWS"); f && mma_supported(cfg_.weight_dtype, prop.major))
        inproj_mma_rows_ = std::clamp(std::atoi(f), 0, kMmaMaxRows);
    if (const char* f = std::getenv("MSV_GREEDY_ONLY"); f && f[0] == '0') greedy_only_steps_ = false;
    if (const char* f = std::getenv("MSV_PLAIN_GREEDY"); f && f[0] == '0') plain_greedy_ = false;
    if (const char* f = std::getenv("MSV_DECODE_BUCKETS"); f && std::strcmp(f, "pow2") == 0) buckets_between_ = false;
    if (const char* f = std::getenv("MSV_MMA_SHAPE")) mma_shape_ = std::clamp(std::atoi(f), 0, 2);
    if (const char* f = std::getenv("MSV_MMA_CONV"); f && f[0] == '0') mma_conv_ = false;
    small_proj_rows_ = mma_supported(cfg_.weight_dtype, prop.major) ? kSmallProjDefaultRows : 0;
    if (const char* f = std::getenv("MSV_SMALL_PROJ_ROWS"); f && small_proj_rows_ > 0)
        small_proj_rows_ = std::clamp(std::atoi(f), 0, kSmallProjMaxRows);
    if (const char* f = std::getenv("MSV_XPROJ_SPLIT_ROWS"); f && mma_supported(cfg_.weight_dtype, prop.major))
        xproj_split_rows_ = std::clamp(std::atoi(f), 0, kSmallProjMaxRows);
    if (const char* f = std::getenv("MSV_SMALL_PROJ_SPLITS"))
        small_proj_splits_ = std::clamp(std::atoi(f), 1, kSmallProjMaxSplits);
    out_proj_slice_min_ = mma_max_rows_ + 1, out_proj_slice_max_ = kMmaMaxRows * 4;
#if !defined(MSV_HIP)
    if (mma_max_rows_ > 0) out_proj_slices_ = kOutProjDefaultSlices, out_proj_slice_max_ = kOutProjSliceDefaultMaxRows;
#endif
    if (const char* f = std::getenv("MSV_OUTPROJ_SLICES"))
        out_proj_slices_ = std::clamp(std::atoi(f), 0, kMaxResidualSlices);
    if (const char* f = std::getenv("MSV_OUTPROJ_SLICE_MIN")) out_proj_slice_min_ = std::max(1, std::atoi(f));
    if (const char* f = std::getenv("MSV_OUTPROJ_SLICE_MAX")) out_proj_slice_max_ = std::max(0, std::atoi(f));
    out_proj_slice_gemm_rows_ = mma_max_rows_;
    if (const char* f = std::getenv("MSV_OUTPROJ_SLICE_GEMM_ROWS"); f && mma_supported(cfg_.weight_dtype, prop.major))
        out_proj_slice_gemm_rows_ = std::clamp(std::atoi(f), 0, kMmaMaxRows);
    timeline_.open();
    gaps_.open();
    if (msv_status st = mark_.open(c.n_layer); st != MSV_OK) return st;
    if (const char* f = std::getenv("MSV_BENCH_ABLATE")) {
        ablate_ = std::atoi(f);
        if (ablate_ != 0)
            std::fprintf(stderr, "mambaserve: MSV_BENCH_ABLATE=%d leaves kernels out: timing only, results wrong\n",
                         ablate_);
    }

    if (msv_status s = alloc_weights(); s != MSV_OK) return s;
    if (msv_status s = alloc_step_buffers(); s != MSV_OK) return s;
    if (cudaError_t e = cudaMallocHost(&pinned_stage_, kStageBytes); e != cudaSuccess)
        return set_error(MSV_ERR_OUT_OF_MEMORY, "msv_model_create: pinned staging of " + mib(kStageBytes));
    if (msv_status s = alloc_device(&device_stage_, kStageBytes / 2, "msv_model_create: staging"); s != MSV_OK) return s;
    for (cudaEvent_t& e : stage_done_)
        if (cudaError_t err = cudaEventCreateWithFlags(&e, cudaEventDisableTiming); err != cudaSuccess)
            return fail(err, "msv_model_create: events");
    for (Flight& f : flight_)
        if (cudaError_t err = cudaEventCreateWithFlags(&f.done, cudaEventDisableTiming); err != cudaSuccess)
            return fail(err, "msv_model_create: events");
    return sync("msv_model_create");
}

msv_status Model::alloc_weights() {
    const Dims& d = d_;
    const size_t ws = dsize(cfg_.weight_dtype);
    // Sizes in bytes, each aligned; pointers assigned in the same order from one arena.
    struct Piece {
        void** where;
        size_t bytes;
    };
    std::vector<Piece> pieces;
    layers_.assign(d.layers, LayerWeights{});
    const size_t emb = align_up(size_t(d.vocab) * d.ld_dm * ws);
    pieces.push_back({&embedding_, emb});
    if (!cfg_.tie_embeddings) pieces.push_back({&lm_head_, emb});
    pieces.push_back({reinterpret_cast<void**>(&norm_f_), align_up(d.ld_dm * 4)});
    for (LayerWeights& l : layers_) {
        pieces.push_back({&l.in_proj, align_up(size_t(2) * d.di * d.ld_dm * ws)});
        pieces.push_back({&l.x_proj, align_up(size_t(d.nx) * d.ld_di * ws)});
        pieces.push_back({&l.dt_proj, align_up(size_t(d.di) * d.ld_dr * ws)});
        pieces.push_back({&l.out_proj, align_up(size_t(d.dm) * d.ld_di * ws)});
        pieces.push_back({reinterpret_cast<void**>(&l.norm), align_up(d.ld_dm * 4)});
        if (cfg_.proj_bias) {
            pieces.push_back({reinterpret_cast<void**>(&l.in_bias), align_up(size_t(2) * d.di * 4)});
            pieces.push_back({reinterpret_cast<void**>(&l.out_bias), align_up(size_t(d.dm) * 4)});
        }
        pieces.push_back({reinterpret_cast<void**>(&l.conv_w), align_up(size_t(d.di) * d.dc * 4)});
        if (cfg_.conv_bias) pieces.push_back({reinterpret_cast<void**>(&l.conv_b), align_up(size_t(d.di) * 4)});
        pieces.push_back({reinterpret_cast<void**>(&l.dt_bias), align_up(size_t(d.di) * 4)});
        pieces.push_back({reinterpret_cast<void**>(&l.A), align_up(size_t(d.di) * d.ds * 4)});
        pieces.push_back({reinterpret_cast<void**>(&l.D), align_up(size_t(d.di) * 4)});
    }
    arena_bytes_ = 0;
    for (const Piece& p : pieces) arena_bytes_ += p.bytes;
    if (msv_status s = alloc_device(&arena_, arena_bytes_, "msv_model_create: weights"); s != MSV_OK) return s;
    char* at = static_cast<char*>(arena_);
    for (const Piece& p : pieces) *p.where = at, at += p.bytes;
    if (cfg_.tie_embeddings) lm_head_ = embedding_;
    set_.assign(size_t(MSV_T_OUT_PROJ_BIAS + 1) * std::max(1, d.layers), 0);
    return MSV_OK;
}

msv_status Model::alloc_step_buffers() {
    const Dims& d = d_;
    const size_t ws = dsize(cfg_.weight_dtype);
    Buffers& b = buf_;
    b.rows = std::max({cfg_.max_step_tokens, cfg_.max_decode_batch, 1});
    b.head_rows = std::min(b.rows, std::max(cfg_.max_decode_batch, 256));
    const size_t R = size_t(b.rows);
    struct Need {
        void** where;
        size_t bytes;
        const char* what;
    } needs[] = {
        {reinterpret_cast<void**>(&b.residual), R * d.ld_dm * 4, "residual"},
        {&b.hn, R * d.ld_dm * ws, "normalised rows"},
        {&b.xz, R * d.ld_xz * ws, "in_proj output"},
        {&b.xc, R * d.ld_di * ws, "conv output"},
        {&b.xdbl, R * d.ld_nx * ws, "x_proj output"},
        {&b.delta, R * d.ld_di * ws, "dt_proj output"},
        {&b.y, R * d.ld_di * ws, "scan output"},
        {reinterpret_cast<void**>(&b.partial), size_t(kMaxSplits) * kGemvMaxRows * d.nx * 4, "x_proj partial sums"},
        {reinterpret_cast<void**>(&b.small_partial),
         size_t(kSmallProjMaxSplits) * std::clamp(std::max(small_proj_rows_, xproj_split_rows_), 1, b.rows) * d.nx * 4,
         "x_proj slices"},
        {reinterpret_cast<void**>(&b.out_partial),
         out_proj_slices_ > 0 ? size_t(out_proj_slices_) * std::clamp(out_proj_slice_max_, 1, b.rows) * d.ld_dm * 4 : 0,
         "out_proj slices"},
        {&b.head_in, size_t(b.head_rows) * d.ld_dm * ws, "LM head rows"},
        {reinterpret_cast<void**>(&b.logits), size_t(b.head_rows) * d.vocab * 4, "logits"},
        {reinterpret_cast<void**>(&b.iota), kScanGroup * 4, "indices"},
        {&b.sampler.base, sampler_scratch_bytes(d.vocab, d.vs, cfg_.max_logprobs), "sampler scratch"},
    };
    for (const Need& n : needs) {
        const std::string what = std::string("msv_model_create: ") + n.what;
        if (msv_status s = alloc_device(n.where, n.bytes, what.c_str()); s != MSV_OK) return s;
    }
    b.sampler = carve_sampler_scratch(b.sampler.base, d.vocab, d.vs, cfg_.max_logprobs);
    if (cfg_.state_dtype == MSV_BF16) {
        void* p = nullptr;
        if (msv_status s = alloc_device(&p, size_t(kScanGroup) * d.di * d.ds * 4, "msv_model_create: scan state");
            s != MSV_OK)
            return s;
        b.scan_state = static_cast<float*>(p);
    }
    int32_t iota[kScanGroup];
    for (int i = 0; i < kScanGroup; ++i) iota[i] = i;
    // On the model's stream, after the memsets alloc_device queued there (a plain cudaMemcpy runs on the legacy stream,
    // which a non-blocking stream does not wait for: the memset could land after the indices).
    if (cudaError_t e = cudaMemcpyAsync(b.iota, iota, sizeof iota, cudaMemcpyHostToDevice, stream_); e != cudaSuccess)
        return fail(e, "msv_model_create: indices");
    return sync("msv_model_create");
}

Model::~Model() {
    const std::lock_guard<std::recursive_mutex> hold(device_memory_lock());
    if (stream_) (void)cudaStreamSynchronize(stream_);
    timeline_.write();
    graphs_.reset();
    void* dev[] = {arena_, blas_workspace_, device_stage_, buf_.residual, buf_.hn, buf_.xz, buf_.xc, buf_.xdbl,
                   buf_.delta, buf_.y, buf_.partial, buf_.small_partial, buf_.out_partial, buf_.head_in, buf_.logits,
                   buf_.scan_state, buf_.iota, buf_.sampler.base, conv_pool_, ssm_pool_, counts_, seen_,
                   device_in_, device_out_, device_var_};
    for (void* p : dev)
        if (p) (void)cudaFree(p);
    for (void* p : {pinned_stage_, pinned_in_, pinned_out_, pinned_var_})
        if (p) (void)cudaFreeHost(p);
    for (cudaEvent_t e : stage_done_)
        if (e) (void)cudaEventDestroy(e);
    for (const Flight& f : flight_)
        if (f.done) (void)cudaEventDestroy(f.done);
    blas::destroy(blas_);
    if (stream_) (void)cudaStreamDestroy(stream_);
    (void)cudaGetLastError();
}

// Where tensor t lives: destination, storage type, rows x cols and the row stride.
namespace {
struct Dest {
    void* p = nullptr;
    msv_dtype type = MSV_F32;
    int64_t rows = 0, cols = 0, ld = 0;
};
}  // namespace

msv_status Model::set_tensor(msv_tensor t, int layer, const void* host, msv_dtype src, int64_t count) {
    if (msv_status s = check_lost(); s != MSV_OK) return s;
    const Dims& d = d_;
    const msv_dtype wt = cfg_.weight_dtype;
    Dest dst;
    auto mat = [&](void* p, int64_t rows, int64_t cols, int64_t ld) { dst = Dest{p, wt, rows, cols, ld}; };
    auto vec = [&](float* p, int64_t n) { dst = Dest{p, MSV_F32, 1, n, n}; };
    LayerWeights* l = msv::model::is_layer_tensor(t) ? &layers_[layer] : nullptr;
    switch (t) {
        case MSV_T_EMBEDDING: mat(embedding_, d.vocab, d.dm, d.ld_dm); break;
        case MSV_T_LM_HEAD: mat(lm_head_, d.vocab, d.dm, d.ld_dm); break;
        case MSV_T_NORM_F: vec(norm_f_, d.dm); break;
        case MSV_T_NORM: vec(l->norm, d.dm); break;
        case MSV_T_IN_PROJ: mat(l->in_proj, 2 * int64_t(d.di), d.dm, d.ld_dm); break;
        case MSV_T_IN_PROJ_BIAS: vec(l->in_bias, 2 * int64_t(d.di)); break;
        case MSV_T_CONV_WEIGHT: vec(l->conv_w, int64_t(d.di) * d.dc); break;
        case MSV_T_CONV_BIAS: vec(l->conv_b, d.di); break;
        case MSV_T_X_PROJ: mat(l->x_proj, d.nx, d.di, d.ld_di); break;
        case MSV_T_DT_PROJ: mat(l->dt_proj, d.di, d.dr, d.ld_dr); break;
        case MSV_T_DT_PROJ_BIAS: vec(l->dt_bias, d.di); break;
        case MSV_T_A_LOG: vec(l->A, int64_t(d.di) * d.ds); break;
        case MSV_T_D: vec(l->D, d.di); break;
        case MSV_T_OUT_PROJ: mat(l->out_proj, d.dm, d.di, d.ld_di); break;
        case MSV_T_OUT_PROJ_BIAS: vec(l->out_bias, d.dm); break;
    }
    if (dst.p == nullptr)
        return set_error(MSV_ERR_INVALID_ARGUMENT, std::string("msv_model_set_tensor: this model has no ") +
                                                       msv::model::tensor_name(t));
    if (dst.rows * dst.cols != count)
        return set_error(MSV_ERR_INVALID_ARGUMENT, "msv_model_set_tensor: count " + std::to_string(count) +
                                                       " does not match " + std::to_string(dst.rows * dst.cols));
    if (msv_status s = upload_piece(dst.p, dst.type, dst.rows, dst.cols, dst.ld, host, src, count); s != MSV_OK)
        return s;
    set_[size_t(t) * std::max(1, d.layers) + (l ? layer : 0)] = 1;
    return MSV_OK;
}

// Host -> pinned half (host copy) -> device staging (async copy) -> conversion kernel into place. The two pinned
// halves let the host fill one while the device drains the other.
msv_status Model::upload_piece(void* dst, msv_dtype dst_type, int64_t rows, int64_t cols, int64_t ld,
                               const void* host, msv_dtype src, int64_t count) {
    (void)rows;
    const size_t es = dsize(src);
    const int64_t piece = static_cast<int64_t>(kStageBytes / 2 / es);
    const char* from = static_cast<const char*>(host);
    int half = 0;
    for (int64_t first = 0; first < count; first += piece, half ^= 1) {
        const int64_t n = std::min(piece, count - first);
        void* pin = static_cast<char*>(pinned_stage_) + half * (kStageBytes / 2);
        if (cudaError_t e = cudaEventSynchronize(stage_done_[half]); e != cudaSuccess)
            return fail(e, "msv_model_set_tensor");
        std::memcpy(pin, from + first * es, size_t(n) * es);
        // One device staging buffer: the copy and the conversion are ordered on the stream.
        if (cudaError_t e = cudaMemcpyAsync(device_stage_, pin, size_t(n) * es, cudaMemcpyHostToDevice, stream_);
            e != cudaSuccess)
            return fail(e, "msv_model_set_tensor: copy");
        if (msv_status s = launch_convert(dst, dst_type, cols, ld, device_stage_, src, first, n, stream_); s != MSV_OK)
            return s;
        if (cudaError_t e = cudaEventRecord(stage_done_[half], stream_); e != cudaSuccess)
            return fail(e, "msv_model_set_tensor");
    }
    return sync("msv_model_set_tensor");
}

msv_status Model::finalize(int64_t* weight_bytes) {
    if (msv_status s = check_lost(); s != MSV_OK) return s;
    const int L = std::max(1, d_.layers);
    for (msv_tensor t : msv::model::kModelTensors)
        if (msv::model::tensor_present(cfg_, t) && !set_[size_t(t) * L])
            return set_error(MSV_ERR_INVALID_ARGUMENT,
                             std::string("msv_model_finalize: ") + msv::model::tensor_name(t) + " was never set");
    for (int l = 0; l < d_.layers; ++l)
        for (msv_tensor t : msv::model::kLayerTensors)
            if (msv::model::tensor_present(cfg_, t) && !set_[size_t(t) * L + l])
                return set_error(MSV_ERR_INVALID_ARGUMENT, std::string("msv_model_finalize: ") +
                                                               msv::model::tensor_name(t) + " of layer " +
                                                               std::to_string(l) + " was never set");
    for (LayerWeights& l : layers_)
        if (msv_status s = launch_neg_exp(l.A, int64_t(d_.di) * d_.ds, stream_); s != MSV_OK) return s;
    if (msv_status s = sync("msv_model_finalize"); s != MSV_OK) return s;
    finalized_ = true;
    if (weight_bytes) *weight_bytes = static_cast<int64_t>(arena_bytes_);
    return MSV_OK;
}

// One slot: its conv and SSM state, its sampler state (output counts and seen flags), and its share of the
// per-target buffers.
msv_status Model::memory(int64_t* bytes_per_slot, int64_t* free_bytes) {
    if (msv_status s = check_lost(); s != MSV_OK) return s;
    if (bytes_per_slot)
        *bytes_per_slot = int64_t(conv_slot_bytes()) + int64_t(ssm_slot_bytes()) +
                          int64_t(d_.vs) * 5 + int64_t(sizeof(SampleTarget)) + target_out_bytes(cfg_.max_logprobs);
    if (free_bytes) {
        // Callable from any thread (the bench samples it beside the engine's): the query is of the current device.
        if (cudaError_t e = cudaSetDevice(device_); e != cudaSuccess) return fail(e, "msv_model_memory: set device");
        size_t f = 0, t = 0;
        if (cudaError_t e = cudaMemGetInfo(&f, &t); e != cudaSuccess) return fail(e, "msv_model_memory");
        *free_bytes = static_cast<int64_t>(f);
    }
    return MSV_OK;
}

msv_status Model::allocate_pool(int slots) {
    const std::lock_guard<std::recursive_mutex> hold(device_memory_lock());
    if (msv_status s = check_lost(); s != MSV_OK) return s;
    slots_ = slots;
    const size_t n = size_t(slots) + 1;  // + the scratch slot of padded graph rows
    void* conv = nullptr;
    if (msv_status s = alloc_device(&conv, n * conv_slot_bytes(), "msv_model_allocate_pool: conv state"); s != MSV_OK)
        return s;
    conv_pool_ = conv;
    if (msv_status s = alloc_device(&ssm_pool_, n * ssm_slot_bytes(),
                                    "msv_model_allocate_pool: SSM state");
        s != MSV_OK)
        return s;
    void* counts = nullptr;
    void* seen = nullptr;
    if (msv_status s = alloc_device(&counts, size_t(slots) * d_.vs * 4, "msv_model_allocate_pool: sampler counts");
        s != MSV_OK)
        return s;
    if (msv_status s = alloc_device(&seen, size_t(slots) * d_.vs, "msv_model_allocate_pool: sampler seen set");
        s != MSV_OK)
        return s;
    counts_ = static_cast<int32_t*>(counts), seen_ = static_cast<uint8_t*>(seen);
    // Step inputs: tokens, slots, `from` and LM head rows of every row, the target count, the decode rows' stop-id
    // index (DecodeLayout), the targets; outputs per target. The pinned copies have two halves each (Model::pinned_half).
    in_bytes_ = align_up(size_t(buf_.rows) * 4 * 4 + 16 + size_t(buf_.rows) * 4 * 2 + size_t(buf_.rows + 1) * 4 + 32) +
                align_up(size_t(slots) * sizeof(SampleTarget)) + 4096;
    out_bytes_ = align_up(size_t(slots) * target_out_bytes(cfg_.max_logprobs));
    if (msv_status s = alloc_device(&device_in_, in_bytes_, "msv_model_allocate_pool: step inputs"); s != MSV_OK)
        return s;
    if (msv_status s = alloc_device(&device_out_, out_bytes_, "msv_model_allocate_pool: step outputs"); s != MSV_OK)
        return s;
    if (cudaMallocHost(&pinned_in_, 2 * in_bytes_) != cudaSuccess ||
        cudaMallocHost(&pinned_out_, 2 * out_bytes_) != cudaSuccess)
        return set_error(MSV_ERR_OUT_OF_MEMORY, "msv_model_allocate_pool: pinned step buffers");
    // The decode path's fixed layout inside device_in_: graphs read their inputs from these addresses.
    decode_.max_rows = std::max(1, cfg_.max_decode_batch);
    decode_.tokens = 0;
    decode_.slots = size_t(decode_.max_rows) * 4;
    decode_.from = decode_.slots + size_t(decode_.max_rows) * 4;
    decode_.n_targets = decode_.from + size_t(decode_.max_rows) * 4;
    decode_.stop_ids = (decode_.n_targets + 16 + 15) / 16 * 16;
    decode_.stop_first = decode_.stop_ids + 16;
    decode_.targets = (decode_.stop_first + size_t(decode_.max_rows + 1) * 4 + 15) / 16 * 16;
    if (msv_status s = sync("msv_model_allocate_pool"); s != MSV_OK) return s;
    pooled_ = true;
    if (cfg_.use_graphs) {
        graphs_ = std::make_unique<DecodeGraphs>();
        if (msv_status s = graphs_->capture(*this); s != MSV_OK) return s;
    }
    return MSV_OK;
}

}  // namespace msv::gpu::model
