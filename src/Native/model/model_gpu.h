// The model on the GPU (CUDA or HIP): weights, state pool, step buffers, BLAS handle, decode graphs. Host code;
// the kernels it launches are declared in model_gpu_kernels.h. docs/gpu-model.md describes the forward and the
// choices behind it; docs/gpu-engine.md section 3 is the C API this implements.
#pragma once

#include "common/blas.h"
#include "common/vendor.h"
#include "mambaserve.h"
#include "model/model_gpu_kernels.h"
#include "model/model_gpu_step_gaps.h"
#include "model/model_gpu_step_mark.h"
#include "model/model_gpu_timeline.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace msv::gpu::model {

// Bytes of one element of a storage type.
inline size_t dsize(msv_dtype t) { return t == MSV_F32 ? 4 : 2; }

// One process-wide lock for the calls that can break another thread's graph capture (cudaMalloc, cudaFree, pinned
// host memory, BLAS handle and stream set-up and tear-down): a capture holds it, so a model loading, a snapshot freed
// or a step growing its buffers in another thread waits instead of invalidating the capture ("operation failed due
// to a previous error during capture", seen on the H200 with runners created in parallel). Recursive, since
// allocate_pool allocates while it holds it. Captures happen once per model, at allocate_pool, so serving never waits.
std::recursive_mutex& device_memory_lock();

// Shapes and the padded row strides (in elements) of every matrix and activation buffer: rows padded to a
// multiple of 8 elements are 16-byte aligned in every dtype, which the vector paths of the kernels need.
struct Dims {
    int dm = 0, layers = 0, di = 0, ds = 0, dc = 0, dr = 0, vocab = 0, vs = 0;
    int nx = 0;  // x_proj rows: dt_rank + 2 d_state
    int64_t ld_dm = 0, ld_di = 0, ld_xz = 0, ld_nx = 0, ld_dr = 0;
    int64_t conv_slot = 0, ssm_slot = 0;  // elements of one slot's conv / SSM state, all layers
};

struct LayerWeights {
    void* in_proj = nullptr;   // [2 di, ld_dm]
    void* x_proj = nullptr;    // [nx, ld_di]
    void* dt_proj = nullptr;   // [di, ld_dr]
    void* out_proj = nullptr;  // [dm, ld_di]
    float* norm = nullptr;     // [dm]
    float* in_bias = nullptr;  // [2 di] or null
    float* conv_w = nullptr;   // [di, dc]
    float* conv_b = nullptr;   // [di] or null
    float* dt_bias = nullptr;  // [di]
    float* A = nullptr;        // [di, ds]: A_log until finalize, then -exp(A_log)
    float* D = nullptr;        // [di]
    float* out_bias = nullptr; // [dm] or null
};

// Device buffers of one step, sized for max(max_step_tokens, max_decode_batch) rows at create. Zeroed once: the
// padding columns of every row stay zero, which the 16-byte paths of the GEMV read as inputs.
struct Buffers {
    int rows = 0;               // capacity in rows
    int head_rows = 0;          // capacity of the LM head per pass (logits rows)
    float* residual = nullptr;  // [rows, ld_dm] fp32
    void* hn = nullptr;         // [rows, ld_dm] normalised (BLAS path), storage type
    void* xz = nullptr;         // [rows, ld_xz] in_proj output (x | z)
    void* xc = nullptr;         // [rows, ld_di] conv output
    void* xdbl = nullptr;       // [rows, ld_nx] x_proj output (dt | B | C)
    void* delta = nullptr;      // [rows, ld_di] dt_proj output
    void* y = nullptr;          // [rows, ld_di] scan / state update output
    float* partial = nullptr;   // [kMaxSplits, kGemvMaxRows, nx] x_proj split-K sums (fused path)
    float* small_partial = nullptr;  // [kSmallProjMaxSplits, min(rows, small_proj_rows_), nx] x_proj slices
    float* out_partial = nullptr;  // [out_proj_slices_, min(rows, out_proj_slice_max_), ld_dm] out_proj's K slices
    void* head_in = nullptr;    // [head_rows, ld_dm] final-norm rows for the BLAS LM head
    float* logits = nullptr;    // [head_rows, vocab]
    float* scan_state = nullptr;  // [kScanGroup, di * ds] fp32 state of a bf16 pool during a scan
    int32_t* iota = nullptr;    // [kScanGroup] 0, 1, 2, ...
    SamplerScratch sampler;     // the sampler's rows, candidates, partial results and histograms (one allocation)
};

// Per-target outputs of the sampler, interleaved so the used part is one copy: token, logprob, then top-N ids and
// logprobs (max_logprobs each).
inline int64_t target_out_bytes(int max_logprobs) { return 8 + 8 * static_cast<int64_t>(max_logprobs); }

// Consecutive prefill entries of equal length scan together, up to this many (a bf16 pool stages their states).
constexpr int kScanGroup = 16;

struct Snapshot;

// Payloads of dropped snapshots kept for the model's next ones. A prefix cache that stores the state every finished
// sequence ends with takes a snapshot and evicts one about as often as requests end; a state-sized cudaMalloc and a
// cudaFree (which waits for the device) at each cost ~1.5% of 256-row serving throughput on an H100 (docs/gpu-model.md,
// session "thirty-seventh"). Shared by the model and its snapshots, which may outlive it; guarded by
// device_memory_lock(). MSV_SNAPSHOT_RECYCLE=0 keeps none (A/B).
struct SnapshotBuffers {
    size_t keep = 0;  // buffers kept at most
    std::vector<void*> free;
    SnapshotBuffers() = default;
    SnapshotBuffers(const SnapshotBuffers&) = delete;
    SnapshotBuffers& operator=(const SnapshotBuffers&) = delete;
    ~SnapshotBuffers();
};

// Kernels a step leaves out under MSV_BENCH_ABLATE (a bit mask; A/B runs only): the step's time without one of them
// is that kernel's marginal cost inside the replayed graph, overlaps included, which ncu's serialised per-kernel
// times are not. The results of such a step are wrong. docs/gpu-model.md, "Session 2026-12-03, fifth".
enum AblateBits : int {
    kAblateFusedInProj = 1, kAblateFusedXProj = 2, kAblateFusedDtSsu = 4, kAblateFusedOutProj = 8,
    kAblateNorm = 16, kAblateInProj = 32, kAblateConv = 64, kAblateSmallProj = 128, kAblateStateUpdate = 256,
    kAblateOutProj = 512, kAblateHead = 1024, kAblateSampler = 2048, kAblateDtProj = 4096,
};

// The rows of one forward pass over the BLAS path: decode rows first (one token each, the state update), then the
// prefill entries' rows in groups of equal length (conv + scan over [count, len] at once).
struct RowPlan {
    int rows = 0, nd = 0;
    const int32_t* tokens = nullptr;     // device [rows]
    const int32_t* dec_slots = nullptr;  // device [nd]
    struct Group {
        int row0 = 0, len = 0, count = 0;
        const int32_t* slots = nullptr;  // device [count]
        const int32_t* host_slots = nullptr;
    };
    std::vector<Group> groups;
};

// Where the decode path's inputs sit in device_in_ (fixed, so that graphs can read them): tokens, slots and `from`
// of up to max_rows rows, the target count, the rows' stop ids (a device pointer, null for none, and each row's first
// index into them, max_rows + 1 of them: msv_step_entry.stop_ids), the targets. from[r] is -1 (row r's token is
// tokens[r]) or the index of a record of the previous step's outputs in device_out_ (msv_step_entry.from_previous),
// whose first int32 is the token it drew: the embedding reads it there, so a step runs on tokens the host has not
// seen yet.
struct DecodeLayout {
    size_t tokens = 0, slots = 0, from = 0, n_targets = 0, stop_ids = 0, stop_first = 0, targets = 0;
    int max_rows = 0;
};

class Model {
public:
    static msv_status create(const msv_model_config& c, std::unique_ptr<Model>* out);
    ~Model();
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;

    msv_status set_tensor(msv_tensor t, int layer, const void* host, msv_dtype src, int64_t count);
    msv_status finalize(int64_t* weight_bytes);
    msv_status memory(int64_t* bytes_per_slot, int64_t* free_bytes);
    msv_status allocate_pool(int slots);
    // msv_model_step: begin and end of one step, with the step-gap instrumentation.
    msv_status step(const msv_step& s);
    // msv_model_step_begin / _end: enqueue a step (at most two in flight, model_api.cpp checks) / wait for the oldest
    // and scatter its outputs to the arrays given at its begin.
    msv_status step_begin(const msv_step& s);
    msv_status step_end();
    // msv_model_step_wait_mark: blocks until the step begun last has passed its mark (StepMark).
    msv_status step_wait_mark();
    int steps_in_flight() const { return in_flight_; }
    // n_samples of the step begun last (-1: none, or it failed): what from_previous may name.
    int previous_samples() const { return previous_samples_; }
    msv_status copy_slot(int src, int dst);
    msv_status zero_slot(int slot);
    // Zeros every slot (scratch included) and the sampler's per-slot memory: after the pre-capture warm-up.
    msv_status zero_pools();
    msv_status copy_slot_async(int src, int dst);
    msv_status snapshot(int slot, std::unique_ptr<Snapshot>* out);
    msv_status restore(int slot, const Snapshot& s);
    msv_status snapshot_from_host(const void* host, int64_t bytes, std::unique_ptr<Snapshot>* out);
    bool finalized() const { return finalized_; }

    const msv_model_config& config() const { return cfg_; }
    const Dims& dims() const { return d_; }
    int slots() const { return slots_; }
    // Programmatic dependent launch on or off (a graph capture that fails with it retries without).
    void set_pdl(bool on) { pdl_ = on; }
    bool pdl() const { return pdl_; }
    // The step mark (msv_model_step_wait_mark): on (MSV_AHEAD_MARK), or off after a graph capture with it failed.
    bool step_mark_on() const { return mark_.on(); }
    void step_mark_off() { mark_.off(); }
    cudaStream_t stream() const { return stream_; }

    // For snapshots and graphs (model_gpu_slots.cpp, model_gpu_graphs.cpp).
    int64_t snapshot_payload_bytes() const;
    // One slot's conv state in bytes, and where layer l's starts in slot `slot`; the same for the SSM state.
    size_t conv_slot_bytes() const;
    void* conv_at(int slot, int l = 0) const;
    size_t ssm_slot_bytes() const;
    void* ssm_at(int slot, int l = 0) const;
    uint64_t id() const { return id_; }
    msv_status check_lost() const;
    msv_status fail(cudaError_t err, const char* what);

    // The whole decode of a bucket of `rows` rows from the fixed decode layout (what a graph captures), with the
    // sampler kernels the step's targets need.
    msv_status enqueue_decode(int rows, SamplerKernels kernels);
    // Whether steps whose targets are all greedy run the sampler's first kernel alone (MSV_GREEDY_ONLY=0: never,
    // A/B), in their own decode graphs.
    bool greedy_only_steps() const { return greedy_only_steps_; }
    // Whether plain greedy targets take the sampler's plain greedy kernel (MSV_PLAIN_GREEDY=0: never, A/B), and
    // steps of nothing else their own decode graphs.
    bool plain_greedy() const { return plain_greedy_; }
    // Decode buckets halfway between the powers of two past 8 rows (MSV_DECODE_BUCKETS=pow2: powers of two alone,
    // A/B): a padded row costs its share of the state update, conv and sampler, and past 16 rows most of a step.
    bool buckets_between() const { return buckets_between_; }

private:
    Model() = default;
    friend struct StepRunner;

    msv_status init(const msv_model_config& c);
    // `zero`: clear the memory (the pools and step buffers); a snapshot's payload is written whole before it is read.
    msv_status alloc_device(void** p, size_t bytes, const char* what, bool zero = true);
    msv_status move_snapshot(int slot, void* payload, bool to_slot);
    msv_status new_snapshot(std::unique_ptr<Snapshot>* out);
    msv_status alloc_weights();
    msv_status upload_piece(void* dst, msv_dtype dst_type, int64_t rows, int64_t cols, int64_t ld, const void* host,
                            msv_dtype src, int64_t count);
    msv_status alloc_step_buffers();
    msv_status sync(const char* what);
    // A step's host planning and enqueued work up to its output copy and event, on the next buffer half; it becomes
    // the step in flight at that half and the previous step of from_previous. `what` names it in errors.
    msv_status enqueue_step(const msv_step& s, const char* what);
    // Waits for the oldest step in flight and scatters its outputs.
    msv_status finish_step(const char* what);

    // The forward (model_gpu_forward.cpp). All enqueue on stream_ and never synchronise.
    bool fused_rows(int rows) const;
    // from: null, or per row -1 (tokens[r]) or the device_out_ record whose token row r takes (DecodeLayout).
    msv_status enqueue_embed(const int32_t* tokens, int rows, const int32_t* from = nullptr);
    msv_status enqueue_layers_fused(int rows, const int32_t* slots);
    msv_status enqueue_layers_blas(const RowPlan& plan);
    // Logits of `rows` rows into buf_.logits: rows [0, rows) of the residual (row_idx null) or the listed ones.
    msv_status enqueue_head(const int32_t* row_idx, int rows, bool fused);
    msv_status enqueue_sampler(const SampleTarget* targets, const int32_t* n_targets, int max_targets,
                               void* out, SamplerKernels kernels);
    // Y = X W^T (+ beta Y) (+ bias) through our GEMM up to mma_rows rows (-1: mma_max_rows_), else the vendor BLAS.
    msv_status gemm(const void* W, int64_t ldw, const void* X, int64_t ldx, bool y_f32, void* Y, int64_t ldy,
                    int M, int N, int K, float beta, const float* bias = nullptr, int mma_rows = -1);
    MmaArgs mma_args(const void* W, int64_t ldw, const void* X, int64_t ldx, bool y_f32, void* Y, int64_t ldy, int M,
                     int N, float beta, const float* bias) const;
    // x_proj (split along K, then its slices summed) and dt_proj of M rows on our GEMM, into buf_.xdbl and
    // buf_.delta: for M up to small_proj_rows_.
    msv_status enqueue_small_projections(const LayerWeights& w, int M);
    // x_proj of M rows on our GEMM in small_proj_splits_ K slices, summed into buf_.xdbl.
    msv_status enqueue_x_proj_split(const LayerWeights& w, int M);
    // FalconMamba (cfg_.mixer_rms): dt, B and C of buf_.xdbl's M rows normalised in place, between x_proj and
    // dt_proj; nothing otherwise.
    msv_status enqueue_mixer_rms(int M);
    // out_proj of M rows in out_proj_slices_ K slices (our GEMM's split-K up to out_proj_slice_gemm_rows_, else the
    // BLAS), added into the residual, which is then normalised with next_norm into buf_.hn (null: the last layer, the
    // residual alone).
    msv_status enqueue_out_proj_slices(const LayerWeights& w, int M, const float* next_norm);

    msv_model_config cfg_{};
    Dims d_{};
    int device_ = 0;
    int sm_count_ = 0;
    uint64_t id_ = 0;
    std::shared_ptr<SnapshotBuffers> snapshot_buffers_ = std::make_shared<SnapshotBuffers>();
    bool finalized_ = false, pooled_ = false;
    bool lost_ = false;
    std::string lost_reason_;
    bool fused_decode_ = true, pdl_ = true;
    // The fused path's GEMVs measured slower than the BLAS past 2 rows on the H200 (docs/gpu-model.md, run 2), and at
    // 2 rows slower than the tensor-core GEMM (init() picks 1 there).
    int fused_max_rows_ = 2;
    // L2 prefetch per GEMV block before its PDL wait (bytes of its tile), by GEMV: in_proj, x_proj, out_proj, LM
    // head. MSV_GEMV_PREFETCH sets all four, MSV_GEMV_PREFETCH_IN / _X / _OUT / _HEAD one (A/B runs). in_proj's blocks
    // prefetch while out_proj streams, so their share competes with the step's critical path: 6 KiB took a batch-1
    // step from 1.973-1.976 to 1.939 ms on the H200, 4-8 KiB within 0.5% of that, 12 KiB and more lost
    // (docs/gpu-model.md, "Session 2026-12-03, eleventh").
    int64_t prefetch_in_ = 6 << 10, prefetch_x_ = 16 << 10, prefetch_out_ = 16 << 10, prefetch_head_ = 16 << 10;
    // GEMVs of one row that load their first weight batch after the PDL wait instead of before (bit 1 in_proj, 2
    // x_proj, 4 out_proj, 8 the LM head; MSV_GEMV_LATE_FIRST). Loaded before, in_proj's 5 MB compete with out_proj's
    // stream and out_proj's with x_proj's and dt_ssu's round trips, all on the step's critical path: in_proj, out_proj
    // and the head after the wait took a batch-1 step from 1.989-1.995 to 1.896-1.906 ms on the H200 (bf16 state
    // 2.053-2.055 to 1.959-1.968); at 2 rows it gained nothing, so 2-row steps keep the early loads
    // (docs/gpu-model.md, "Session 2026-12-03, eleventh").
    enum LateFirst { kLateIn = 1, kLateX = 2, kLateOut = 4, kLateHead = 8 };
    int late_first_batch_ = kLateIn | kLateOut | kLateHead;
    // GemvArgs::late_first_batch of the GEMV `bit` in a step of `rows` (one-row steps only, as measured).
    int late_first(int bit, int rows) const { return rows == 1 && (late_first_batch_ & bit) != 0; }
    int gemv_shape_in_ = 0, gemv_shape_out_ = 0, gemv_shape_head_ = 0;  // MSV_GEMV_SHAPE_*: batch-1 GEMV shapes (A/B)
    // Rows up to which the BLAS path's products run on our tensor-core GEMM (0: never; MSV_MMA_MAX_ROWS).
    int mma_max_rows_ = 0;
    // The same bound for in_proj (kInProjMmaDefaultRows; MSV_INPROJ_MMA_ROWS).
    int inproj_mma_rows_ = 0;
    int sampler_target_blocks_ = kSamplerTargets;  // MSV_SAMPLER_TARGET_BLOCKS: the sampler grid's rows of targets
    // A greedy target is finished by the sampler's first kernel; the three after it only read the target and leave,
    // which at 256 rows still costs ~56 us a step (three grids of 12,800 blocks; ncu, H200). Steps whose targets
    // are all greedy skip them (docs/gpu-model.md, "Session 2026-12-04, fifth").
    bool greedy_only_steps_ = true;
    // A plain greedy target's row read by one block (model_gpu_sampler_plain.cuh) instead of ~50 chunk blocks, each
    // with its reductions and ticket (docs/gpu-model.md, "Session 2026-12-05, nineteenth").
    bool plain_greedy_ = true;
    // Decode buckets halfway between the powers of two too (buckets_between()): 20, 40 and 160 sequences stepped
    // 4.5%, 10% and 16% faster on the H200 (same section).
    bool buckets_between_ = true;
    int mma_shape_ = 0;  // MSV_MMA_SHAPE (A/B): 1 that GEMM without its L2 sector hint, 2 its earlier shapes
                         // (launch_tiles, model_gpu_mma.cu)
    bool mma_conv_ = true;  // the conv update in that GEMM's epilogue on pure decode steps (MSV_MMA_CONV=0: off, A/B)
    int ssu_threads_ = 0;  // MSV_SSU_THREADS=128: the fused state update with half-size blocks (A/B)
    int ssu_bf16_vec_ = 0;  // MSV_SSU_BF16_VEC=8: its bf16 state 8 states a thread, not 4 (A/B)
    int ssu_trigger_ = 0;  // MSV_SSU_TRIGGER=0..3: where dt_ssu lets out_proj start (DtSsuArgs::trigger_at, A/B)
    // The BLAS path's state update launched with PDL like the kernels around it (MSV_SSU_PDL=0: a plain launch, A/B),
    // and its conv update (MSV_CONV_PDL=0).
    bool ssu_pdl_ = true, conv_pdl_ = true;
    // x_proj / dt_proj on our GEMM up to this many rows (MSV_SMALL_PROJ_ROWS; 0: by mma_max_rows_ like the other
    // products), x_proj in small_proj_splits_ slices along K (MSV_SMALL_PROJ_SPLITS). 16 slices against 10: a decode
    // step at 64 rows 0.6-1.0% faster on the H200, at 16-32 rows the same or 0.5% (docs/gpu-model.md, "Session
    // 2026-12-04, fourth").
    int small_proj_rows_ = 0, small_proj_splits_ = kSmallProjMaxSplits;
    // x_proj alone (dt_proj through the BLAS) on that GEMM split along K up to this many rows past small_proj_rows_
    // (MSV_XPROJ_SPLIT_ROWS, A/B; default: none).
    int xproj_split_rows_ = 0;
    // out_proj of out_proj_slice_min_..out_proj_slice_max_ rows in out_proj_slices_ slices along K (through the BLAS
    // as one strided-batched product, or our GEMM's split-K at the rows it takes), the slices added into the residual
    // by the next layer's RMSNorm kernel, which also replaces the vendor's split-K reduction (MSV_OUTPROJ_SLICES,
    // _SLICE_MIN, _SLICE_MAX; 0 slices: off; docs/gpu-model.md, "Session 2026-12-05, thirteenth").
    int out_proj_slices_ = 0, out_proj_slice_min_ = 0, out_proj_slice_max_ = 0;
    // Rows up to which those slices are our GEMM's split rather than the BLAS's (MSV_OUTPROJ_SLICE_GEMM_ROWS, 0..64;
    // default mma_max_rows_, where our GEMM runs out_proj unsliced).
    int out_proj_slice_gemm_rows_ = 0;
    bool out_proj_sliced(int rows) const;
    int ablate_ = 0;  // MSV_BENCH_ABLATE (AblateBits)
    bool ablated(int bit) const { return (ablate_ & bit) != 0; }

    cudaStream_t stream_ = nullptr;
    blas::Handle blas_ = nullptr;
    void* blas_workspace_ = nullptr;

    // Weights: one arena.
    void* arena_ = nullptr;
    size_t arena_bytes_ = 0;
    void* embedding_ = nullptr;  // [vocab, ld_dm]
    void* lm_head_ = nullptr;    // the embedding when tied
    float* norm_f_ = nullptr;
    std::vector<LayerWeights> layers_;
    std::vector<uint8_t> set_;  // which (tensor, layer) were set

    // Staging for set_tensor: two pinned halves and a device scratch for the raw source piece.
    void* pinned_stage_ = nullptr;
    void* device_stage_ = nullptr;
    cudaEvent_t stage_done_[2] = {nullptr, nullptr};

    // State pool: slots + 1 (the last is the scratch slot of padded graph rows).
    int slots_ = 0;
    void* conv_pool_ = nullptr;    // [slots + 1, layers, di, dc - 1] in the weight (activation) type
    void* ssm_pool_ = nullptr;     // [slots + 1, layers, di, ds], state_dtype
    int32_t* counts_ = nullptr;    // [slots, vs] output counts
    uint8_t* seen_ = nullptr;      // [slots, vs] prompt or output seen (repetition penalty)

    // Step buffers.
    Buffers buf_{};
    // Inputs of a step: written to pinned_in_, one copy to device_in_. Outputs: device_out_ -> pinned_out_. The pinned
    // buffers come in two halves of in_bytes_ / out_bytes_ / var_bytes_ (pinned_half), one per step in flight: the
    // host writes step N + 1's inputs while N's copies may still read its half. The device buffers are single:
    // stream order already puts N + 1's uploads after N's kernels, and N + 1's sampler after N's output copy.
    void* pinned_in_ = nullptr;
    void* device_in_ = nullptr;
    size_t in_bytes_ = 0;
    void* device_out_ = nullptr;
    void* pinned_out_ = nullptr;
    size_t out_bytes_ = 0;
    // Variable-length sampler inputs (bias lists, prompt ids at reset), grown on demand.
    void* pinned_var_ = nullptr;
    void* device_var_ = nullptr;
    size_t var_bytes_ = 0;
    static char* pinned_half(void* base, size_t bytes, int half) { return static_cast<char*>(base) + half * bytes; }

    // Steps begun and not ended: at most two, at alternating halves (the oldest is at next_half_ ^ (in_flight_ & 1)).
    struct Flight {
        cudaEvent_t done = nullptr;     // recorded after the step's output copy (created once, no timing)
        int n_targets = 0;
        std::vector<int> target_order;  // device target (output record) -> sample index
        int32_t* out_tokens = nullptr;
        float* out_logprobs = nullptr;
        int32_t* out_top_ids = nullptr;
        float* out_top_logprobs = nullptr;
    };
    Flight flight_[2];
    int next_half_ = 0, in_flight_ = 0;
    // The step begun last: its sample count (-1: none) and each sample's record in device_out_ (the inverse of its
    // target_order), which from_previous reads until the next step's sampler rewrites device_out_.
    int previous_samples_ = -1;
    std::vector<int> previous_record_;

    DecodeLayout decode_{};
    std::unique_ptr<class DecodeGraphs> graphs_;
    StepTimeline timeline_;  // MSV_TIMELINE_FILE: the fused decode kernels' per-block records (diagnosis)
    StepGaps gaps_;          // MSV_STEP_GAPS=1: device idle time between steps (diagnosis)
    StepMark mark_;          // late in each step's layers, what msv_model_step_wait_mark waits for
    bool last_marked_ = false;  // whether the step begun last recorded the mark (one with entries)
};

// One slot's state in device memory: conv [layers, di, dc - 1] fp32 then SSM [layers, di, ds] in state dtype (the
// export layout of model/snapshot_format.h without its header). Owns its memory: it may outlive its model.
struct Snapshot {
    uint64_t model_id = 0;
    msv_model_config cfg{};
    void* data = nullptr;
    int64_t bytes = 0;  // payload, without the export header
    std::shared_ptr<SnapshotBuffers> recycle;  // where the payload goes when the snapshot is dropped
    Snapshot() = default;
    Snapshot(const Snapshot&) = delete;
    Snapshot& operator=(const Snapshot&) = delete;
    ~Snapshot();
};
// Writes the export (header + payload) of a snapshot to host memory; bytes must be its export size.
msv_status snapshot_export(const Snapshot& snap, void* host, int64_t bytes);

}  // namespace msv::gpu::model
