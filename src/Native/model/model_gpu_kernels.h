// Argument structs and launchers of the model's own kernels (model_gpu_*.cu). Host-visible: model_gpu*.cpp fill
// the structs and call the launchers, which enqueue on the given stream and return a launch error as msv_status.
// Every launcher takes `pdl`: launch with programmatic dependent launch (CUDA, sm_90) so that the kernel's
// prologue overlaps its predecessor's tail; the kernels call msv_pdl_wait() before touching activations.
#pragma once

#include "common/vendor.h"
#include "mambaserve.h"

#include <cstdint>

namespace msv::gpu::model {

// The fused decode path handles up to this many rows (graph buckets 1, 2, 4, 8); larger batches use the BLAS.
constexpr int kGemvMaxRows = 8;
// K slices of the split-K x_proj product in the fused path, at most.
constexpr int kMaxSplits = 32;

struct ConvArgs {            // the conv update fused into in_proj's epilogue (kEpiConv)
    int di = 0, dc = 0;
    const float* weight = nullptr;     // [di, dc]
    const float* bias = nullptr;       // [di] or null
    void* state = nullptr;             // pool at this layer: slot s at state + s * slot_stride, [di, dc - 1],
                                       // storage type
    int64_t slot_stride = 0;
    const int32_t* slot = nullptr;     // [rows]
    void* xc = nullptr;                // [rows, ld_xc] conv output, storage type
    int64_t ld_xc = 0;
};

struct GemvArgs {
    const void* W = nullptr;           // [N, ldw], storage type
    int64_t ldw = 0;
    int N = 0, K = 0;                  // K: real width (the RMSNorm mean divides by it)
    int kc = 0;                        // 16-byte chunks per row: ldw / elements per chunk
    int rows = 0;                      // <= the kernel's R
    // kProT
    const void* x = nullptr;
    int64_t ldx = 0;
    // kProNorm
    const float* residual = nullptr;
    int64_t ld_res = 0;
    const float* norm_w = nullptr;     // [ldw], zero-padded
    float eps = 0.0f;
    // outputs
    void* y = nullptr;
    int64_t ldy = 0;
    int y_f32 = 0;                     // y is fp32 (the logits)
    const float* bias = nullptr;
    float* residual_out = nullptr;     // kEpiResidual
    int64_t ld_res_out = 0;
    float* partial = nullptr;          // kEpiPartial: [R, N, kMaxSplits]
    int chunks_per_split = 0;
    ConvArgs conv;
    int64_t prefetch_bytes = 0;        // per block, before the PDL wait (0: none)
    int late_first_batch = 0;          // 1: the first weight batch loaded after the PDL wait (Model::late_first_batch_)
    int shape = 0;                     // an alternative grid shape for A/B runs (GemvVariant, model_gpu_gemv.cuh)
    unsigned long long* timeline = nullptr;  // per-block records (gpu/timeline.cuh; -DMSV_TIMELINE=1 builds only)
};

enum class GemvKind { kStore, kConv, kResidual, kPartial, kLogits };

// y = W x over rows <= kGemvMaxRows. `norm`: x is RMSNorm(residual) * norm_w (kProNorm), else a.x. `splits`:
// blocks along K for kPartial (a.chunks_per_split set by the launcher).
msv_status launch_gemv(msv_dtype wt, GemvKind kind, bool norm, GemvArgs a, int splits, cudaStream_t s, bool pdl);

// dt_proj + softplus + the SSM state update + D skip + silu(z) gate for the fused path: x_proj's split-K partials
// are summed (fixed order) per block; then per channel dt = softplus(dt_proj . xdbl[:dt_rank] + dt_bias).
struct DtSsuArgs {
    const float* partial = nullptr;    // [rows, nx, kMaxSplits]: x_proj's K slices of each output
    int splits = 0, nx = 0, rows = 0;
    const void* dt_proj = nullptr;     // [di, ld_dr]
    int64_t ld_dr = 0;
    int dr = 0, di = 0, ds = 0;
    const float* dt_bias = nullptr;
    const float* A = nullptr;          // [di, ds], -exp(A_log)
    const float* D = nullptr;
    const void* x = nullptr;           // conv output [rows, ld_x]
    int64_t ld_x = 0;
    const void* z = nullptr;           // [rows, ld_z]
    int64_t ld_z = 0;
    void* y = nullptr;                 // [rows, ld_y]
    int64_t ld_y = 0;
    void* state = nullptr;             // pool at this layer
    int64_t slot_stride = 0;
    const int32_t* slot = nullptr;     // [rows]
    int threads = 0;                   // threads per block: 128, else the default 256 (model_gpu_ssu.cuh)
    int state_vec = 0;                 // bf16 state: 8 states a thread (A/B), else 4 (model_gpu_ssu.cuh)
    int trigger_at = 0;                // where out_proj may start: 0 after the wait, 1 after the partial sums, 2 after
                                       // dt, 3 at the end (MSV_SSU_TRIGGER, A/B)
    unsigned long long* timeline = nullptr;  // per-block records (gpu/timeline.cuh; -DMSV_TIMELINE=1 builds only)
};
// R: the rows template (1, 2, 4 or 8) the partials were written with.
msv_status launch_dt_ssu(msv_dtype wt, msv_dtype state, int R, const DtSsuArgs& a, cudaStream_t s, bool pdl);
// Whether the fused state update handles this d_state with `states` states a thread (4 by default; 8 for a bf16
// state in A/B runs): d_state / states threads a channel, a power of two <= a warp.
bool dt_ssu_supported(int ds, int states = 4);

// The BLAS path's projections of few rows on tensor cores (model_gpu_mma.cu): bf16 / fp16 weights, CUDA sm_80+;
// elsewhere the vendor BLAS. Y[m, n] = sum_k W[n, k] X[m, k] (+ beta Y), fp32 accumulation. It runs up to
// kMmaMaxRows rows; by default the model gives it kMmaDefaultRows (on the H200 it beat the BLAS by 1-3% at 4 and
// 8 rows and lost by 2.8x at 64; docs/gpu-model.md). Its weights ahead of the PDL wait did not change that past 8
// rows: a decode step at 16 rows 9.6% slower than with cuBLAS, at 32 rows 30% (section "Session 2026-12-04, fourth").
// in_proj alone takes it up to kInProjMmaDefaultRows: there it gains the conv update in its epilogue and the PDL
// overlap, and a decode step at 16 rows took 1.9-2.5% less than with cuBLAS (at 32 rows 13-15% more; out_proj and
// the LM head at 16 rows 4-5% more and the same; section "Session 2026-12-04, fifth").
constexpr int kMmaMaxRows = 64;
constexpr int kMmaDefaultRows = 8;
constexpr int kInProjMmaDefaultRows = 16;
// A block takes up to this many batch rows; more rows run as groups of blocks along grid.y.
constexpr int kMmaGroupRows = 64;
// x_proj and dt_proj of small batches (up to kSmallProjDefaultRows rows; MSV_SMALL_PROJ_ROWS, at most
// kSmallProjMaxRows) run on that GEMM whatever MSV_MMA_MAX_ROWS says, x_proj split along K over blocks
// (docs/gpu-model.md, "Session 2026-12-02, fifth"): the vendor BLAS spent ~12.5 us a layer on these two small
// products at 16 rows. On the H200 a decode step at 4-32 rows took 0.08-0.15 ms less, and at 128-256 rows 0.26-0.84
// ms more (many short latency-bound blocks); at 64 rows it was 0.26 ms more when it was written, 2.4% less once the
// GEMM's weights went ahead of its PDL wait (section "Session 2026-12-04, fourth"), so the default stops at 64.
constexpr int kSmallProjDefaultRows = 64;
constexpr int kSmallProjMaxRows = 256;
// K slices of that x_proj, at most.
constexpr int kSmallProjMaxSplits = 16;
enum class MmaEpi { kStore, kConv };
struct MmaArgs {
    const void* W = nullptr;           // [N, ldw], storage type, rows zero-padded to 16 bytes
    int64_t ldw = 0;
    int N = 0, kc = 0;                 // kc: 16-byte chunks per row (ldw / elements per chunk)
    const void* X = nullptr;           // [M, ldx], storage type; columns [K, ldw) zero or finite
    int64_t ldx = 0;
    int M = 0;
    void* Y = nullptr;                 // [M, ldy], fp32 when y_f32, else the storage type
    int64_t ldy = 0;
    int y_f32 = 0;
    float beta = 0.0f;
    int shape = 0;                     // A/B runs (MSV_MMA_SHAPE): 1 without the L2 sector hint, 2 (launch_tiles)
    // Pure decode steps (model_gpu_forward.cpp) fold in_proj's neighbours into it:
    const float* bias = nullptr;       // [N], added before beta * Y
    MmaEpi epi = MmaEpi::kStore;
    ConvArgs conv;                     // kConv: n < conv.di is x (conv update of one token, silu, to conv.xc),
                                       // n >= conv.di is z, stored to Y
    // Split-K over blocks (kStore only): slice z of `splits` writes its fp32 sums to partial[z, M, N] instead of Y
    // (no bias, no beta); launch_split_sum adds the slices in order.
    int splits = 1;
    float* partial = nullptr;
};
// Whether the tensor-core GEMM runs for these weights on a device of this compute capability.
bool mma_supported(msv_dtype wt, int cc_major);
msv_status launch_mma_gemm(msv_dtype wt, const MmaArgs& a, cudaStream_t s, bool pdl);
// y[m, n] (storage type, row stride ldy) = sum over z = 0 .. splits - 1 of partial[z, m, n]: a split-K mma product's
// slices, in a fixed order (model_gpu_misc.cu).
msv_status launch_split_sum(msv_dtype wt, const float* partial, int splits, int M, int N, void* y, int64_t ldy,
                            cudaStream_t s, bool pdl);

// FalconMamba (msv_model_config.mixer_rms): in place on rows [0, rows) of x_proj's output xdbl (storage type, row
// stride ld), each row's dt [0, dt_rank), B and C (d_state each) x * rsqrt(mean(x^2) + eps) on their own, in fp32.
// A plain launch that never lets its successor start early: it runs once its predecessor has finished, and a successor
// launched with PDL starts once it has finished.
msv_status launch_mixer_rms(msv_dtype wt, void* xdbl, int64_t ld, int rows, int dt_rank, int d_state, float eps,
                            cudaStream_t stream);

// residual[r, :] = embedding[token r, :] in fp32, token r = tokens[r], or, where from is not null and from[r] >= 0,
// the int32 at the start of record from[r] of `records` (record_bytes apart: a step's sampler outputs).
msv_status launch_embed(msv_dtype wt, const int32_t* tokens, int rows, const void* emb, int64_t ld_emb, int dm,
                        float* residual, int64_t ld_res, cudaStream_t s, bool pdl, const int32_t* from = nullptr,
                        const void* records = nullptr, int64_t record_bytes = 0);
// slots[r] = scratch for each row r < rows with from[r] >= 0 whose record's token (as launch_embed reads it) is one of
// ids[stop_first[r], stop_first[r + 1]), ids = *stop_ids_at (device memory; null: none): a decode row fed a stop token
// leaves its own slot as it was. A plain launch, the decode's first kernel, which the embedding follows (with PDL,
// after its wait): every later kernel, which may read its slot index ahead of its own wait, launches after this one
// has ended.
msv_status launch_hold_stopped(int rows, const int32_t* from, const void* records, int64_t record_bytes,
                               const int32_t* stop_first, const int32_t* const* stop_ids_at, int32_t* slots,
                               int32_t scratch, cudaStream_t s);
// out[i, :] = RMSNorm(residual[row_idx ? row_idx[i] : i, :]) * w in the storage type.
msv_status launch_norm_rows(msv_dtype wt, const float* residual, int64_t ld_res, const int32_t* row_idx, int rows,
                            const float* w, float eps, int dm, void* out, int64_t ld_out, cudaStream_t s, bool pdl);
// A split-K product's slices to add into the residual: partial[z, m, :] (rows `ld` floats apart, a multiple of 4;
// z < splits, slices `slice` floats apart), plus bias (or null).
constexpr int kMaxResidualSlices = 8;
// out_proj's default K slices through the BLAS, for the rows past our GEMM up to kOutProjSliceDefaultMaxRows, where
// our GEMM runs (sm_90, 16-bit weights) on CUDA. On an H100 2 slices took a 16-row decode step 3.5% and a 32-row top-p
// step 1.5% faster, the seed experiment at 32 rows 1%; 64 and 128 rows did not move, 256 rows lost 2% with 4 slices,
// and 4 or 8 slices gained no more (docs/gpu-model.md, "Session 2026-12-05, seventeenth"). Unmeasured on ROCm.
constexpr int kOutProjDefaultSlices = 2;
constexpr int kOutProjSliceDefaultMaxRows = 32;
bool residual_slices_supported(int splits);  // 2, 4, 5 or 8 slices
struct ResidualSlices {
    const float* partial = nullptr;
    int splits = 0;
    int64_t ld = 0, slice = 0;
    const float* bias = nullptr;
};
// residual[m, :] += bias + the slices (in order) for m < rows, then out[m, :] = RMSNorm(residual[m, :]) * w as
// launch_norm_rows does; w null: the residual alone.
msv_status launch_residual_slices_norm(msv_dtype wt, const ResidualSlices& add, float* residual, int64_t ld_res,
                                       int rows, const float* w, float eps, int dm, void* out, int64_t ld_out,
                                       cudaStream_t s, bool pdl);
// y[r, n] += bias[n]: y in the storage type, or fp32 when y_f32.
msv_status launch_add_bias(msv_dtype wt, bool y_f32, void* y, int64_t ldy, int rows, int n, const float* bias,
                           cudaStream_t s);
// A bf16 SSM pool's layer states of `count` slots to fp32 scratch [count, di * ds] and back (the scan keeps an
// fp32 state).
msv_status launch_state_to_f32(const void* pool, int64_t slot_stride, const int32_t* slots, int count,
                               int64_t elems, float* scratch, cudaStream_t s);
msv_status launch_state_from_f32(void* pool, int64_t slot_stride, const int32_t* slots, int count, int64_t elems,
                                 const float* scratch, cudaStream_t s);
// dst[row * ld + col] (dst_type) = src[i] (src_type, device) for the flat range [first, first + n) of a
// [rows, cols] tensor.
msv_status launch_convert(void* dst, msv_dtype dst_type, int64_t cols, int64_t ld, const void* src,
                          msv_dtype src_type, int64_t first, int64_t n, cudaStream_t s);
// A = -exp(A) in place.
msv_status launch_neg_exp(float* a, int64_t n, cudaStream_t s);

// ---- the sampler --------------------------------------------------------------------------------------------
struct SampleTarget {                  // one per sample target, in device memory
    int32_t slot, row, reset, position;
    uint64_t seed;
    float temperature, top_p, min_p, repetition, presence, frequency;
    int32_t top_k, logprobs, n_bias, n_prompt;
    int32_t plain;  // greedy with no bias, bans, penalties or top-N: the plain greedy kernel samples it, never the others
    const int32_t* bias_ids;
    const float* bias_values;
    const int32_t* prompt_ids;
    const uint32_t* ban_bits;  // NULL, or the step's ban mask (msv_sampling.ban_bits)
};
// The sampler's device scratch, carved from one allocation (sampler_scratch_bytes / carve_sampler_scratch in
// model_gpu_sampler.cu, which owns the layout). Per target of one launch (at most kSamplerTargets).
struct SamplerScratch {
    void* base = nullptr;
    int64_t ld = 0;
    int chunks = 0;             // row chunks of kSamplerChunk ids (the fixed partition of every row)
    float* work = nullptr;      // [kSamplerTargets, ld]: the processed, scaled row of a sampling target
    uint32_t* cand_key = nullptr;  // [kSamplerTargets, ld]: the threshold search's candidates (keys)
    double* cand_mass = nullptr;   // [kSamplerTargets, ld]: and their exp(s - max)
    void* partials = nullptr;   // [kSamplerTargets, chunks] per-chunk results (model_gpu_sampler.cu's ChunkPartial)
    int32_t* top_ids = nullptr;    // [kSamplerTargets, chunks, max_logprobs]: each chunk's top-N of the raw row
    float* top_values = nullptr;   // alike
    uint32_t* hist_count = nullptr;          // [kSamplerTargets, kSamplerBins]
    unsigned long long* hist_mass = nullptr; // alike, fixed point
    void* plans = nullptr;      // [kSamplerTargets]: a top-k / top-p target's search plan and threshold (Plan)
    uint32_t* tickets = nullptr;  // [4, kSamplerTargets]: last-block counters of the four kernels (zero between steps)
};
// Targets per sampler launch at most (more are sampled by further launches over the next targets).
constexpr int kSamplerTargets = 256;
// Row ids per sampler block: a fixed partition, so a row's sums never depend on the batch.
constexpr int kSamplerChunk = 1024;
// Histogram bins of the top-k / top-p search.
constexpr int kSamplerBins = 1024;
size_t sampler_scratch_bytes(int64_t ld, int vs, int max_logprobs);
SamplerScratch carve_sampler_scratch(void* base, int64_t ld, int vs, int max_logprobs);

struct SamplerArgs {
    const float* logits = nullptr;     // [rows, ld]: raw logits, never modified
    int64_t ld = 0;
    int vs = 0;                        // sampleable vocab
    const SampleTarget* targets = nullptr;
    const int32_t* n_targets = nullptr;  // device count (graphs: a fixed grid, blocks loop up to it)
    int32_t* counts = nullptr;         // [slots, vs] output counts
    uint8_t* seen = nullptr;           // [slots, vs] repetition-penalty set
    SamplerScratch scratch;
    int max_logprobs = 0;
    void* out = nullptr;               // per target: int32 token, float logprob, int32 ids[N], float logprobs[N]
    int first = 0;                     // this launch's first target (set by launch_sampler)
    int target_blocks = kSamplerTargets;  // the grid's rows of blocks; each row loops over targets row, row + rows, ..
    unsigned long long* timeline = nullptr;  // per-block records (gpu/timeline.cuh; -DMSV_TIMELINE=1 builds only)
};
// Which of the sampler's kernels a step needs (a decode bucket has a graph of each kind the model uses):
//  kAll     the plain greedy kernel (when the model uses it) and the four chunked kernels: any step;
//  kGreedy  the plain greedy kernel (alike) and the chunked kernels' first, which finishes a greedy target: every
//           target greedy;
//  kPlain   the plain greedy kernel alone: every target plain (SampleTarget::plain).
// Each kernel leaves the targets that are not its own, so a target's result never depends on the kind.
enum class SamplerKernels { kAll, kGreedy, kPlain };
// Samples targets [0, *n_targets) of at most max_targets, in launches of kSamplerTargets; `plain`: launch the plain
// greedy kernel (the model marks plain targets; without it no target is plain and the kind is never kPlain).
msv_status launch_sampler(SamplerArgs a, int max_targets, cudaStream_t s, bool pdl, SamplerKernels kernels, bool plain);

}  // namespace msv::gpu::model
