// The forward on the device, as enqueued work (no synchronisation): embedding, the layers by the fused small-batch
// path or the BLAS path, the final norm and LM head, the sampler. docs/gpu-model.md has the kernel sequence.
#include "causal_conv1d/causal_conv1d.h"
#include "common/error.h"
#include "gpu/launch.h"
#include "model/model_gpu.h"
#include "selective_scan/selective_scan.h"

#include <algorithm>
#include <string>
#include <type_traits>

namespace msv::gpu::model {
namespace {

template <typename P> P* at(void* base, int64_t elems, msv_dtype t) {
    return reinterpret_cast<P*>(static_cast<char*>(base) + elems * int64_t(dsize(t)));
}
const void* cat(const void* base, int64_t elems, msv_dtype t) {
    return static_cast<const char*>(base) + elems * int64_t(dsize(t));
}
// The conv update of each decode row's token in in_proj's epilogue (the GEMV's and our GEMM's), on the layer's
// conv state `state`, writing the conv output to xc.
ConvArgs conv_epilogue_args(const Dims& d, const LayerWeights& w, void* state, const int32_t* slots, void* xc) {
    ConvArgs c{};
    c.di = d.di, c.dc = d.dc, c.weight = w.conv_w, c.bias = w.conv_b;
    c.state = state, c.slot_stride = d.conv_slot, c.slot = slots, c.xc = xc, c.ld_xc = d.ld_di;
    return c;
}
// The decode rows' state update and conv update (past the fused path); with `pdl` each loads what the kernel
// before it does not write while that kernel finishes (all but delta; the conv state and weights), and lets the
// next kernel start early. The model checked d_conv (2..4) at creation.
// f(the activation dtype as a compile-time constant): the kernel families' launchers are templates on it.
template <typename F> msv_status with_dtype(msv_dtype t, F&& f) {
    switch (t) {
        case MSV_F32: return f(std::integral_constant<msv_dtype, MSV_F32>{});
        case MSV_F16: return f(std::integral_constant<msv_dtype, MSV_F16>{});
        default: return f(std::integral_constant<msv_dtype, MSV_BF16>{});
    }
}
msv_status state_update(const msv_state_update_params& p, cudaStream_t s, bool pdl) {
    return with_dtype(p.dtype, [&](auto t) { return launch_selective_state_update<decltype(t)::value>(p, s, pdl); });
}
msv_status conv_update(const msv_conv1d_params& p, cudaStream_t s, bool pdl) {
    return with_dtype(p.dtype, [&](auto t) { return launch_causal_conv1d_update<decltype(t)::value>(p, s, pdl); });
}
// Rows template of the fused kernels for a batch of `rows`: 1, 2, 4 or 8.
int rows_template(int rows) { return rows <= 1 ? 1 : rows <= 2 ? 2 : rows <= 4 ? 4 : 8; }
// K slices of x_proj: ~64 16-byte chunks each, so that ~100 blocks share its 2 MB (mamba-2.8b).
int xproj_splits(int kc) { return std::clamp(kc / 64, 1, kMaxSplits); }

// A vendor BLAS call (`call` returns its status) named by `what()` in errors (made only then: eager steps call the
// BLAS hundreds of times). A launch error left by an earlier kernel would be reported by the BLAS as its own failure:
// it is named instead, before the call; a failed call's message adds any launch error behind it.
template <typename What, typename Call>
msv_status checked_blas(What&& what, Call&& call) {
    if (const cudaError_t pending = cudaPeekAtLastError(); pending != cudaSuccess)
        return set_error(MSV_ERR_DEVICE, "before " + what() + ": " + cudaGetErrorString(pending));
    const blas::Status s = call();
    if (s == blas::kOk) return MSV_OK;
    const cudaError_t launch = cudaGetLastError();
    const std::string behind = launch != cudaSuccess ? std::string(" (") + cudaGetErrorString(launch) + ")" : "";
    return set_error(MSV_ERR_DEVICE, what() + ": " + blas::status_name(s) + behind);
}

}  // namespace

MmaArgs Model::mma_args(const void* W, int64_t ldw, const void* X, int64_t ldx, bool y_f32, void* Y, int64_t ldy, int M,
                        int N, float beta, const float* bias) const {
    MmaArgs a{};
    a.W = W, a.ldw = ldw, a.N = N, a.kc = static_cast<int>(ldw / (16 / dsize(cfg_.weight_dtype)));
    a.X = X, a.ldx = ldx, a.M = M, a.Y = Y, a.ldy = ldy, a.y_f32 = y_f32 ? 1 : 0, a.beta = beta, a.bias = bias;
    a.shape = mma_shape_;
    return a;
}

msv_status Model::gemm(const void* W, int64_t ldw, const void* X, int64_t ldx, bool y_f32, void* Y, int64_t ldy, int M,
                       int N, int K, float beta, const float* bias, int mma_rows) {
    if (M <= 0) return MSV_OK;
    if (M <= (mma_rows < 0 ? mma_max_rows_ : mma_rows))
        return launch_mma_gemm(cfg_.weight_dtype, mma_args(W, ldw, X, ldx, y_f32, Y, ldy, M, N, beta, bias), stream_,
                               pdl_);
    const auto what = [&] {
        return "BLAS gemm " + std::to_string(M) + "x" + std::to_string(N) + "x" + std::to_string(K);
    };
    if (msv_status s = checked_blas(what, [&] {
            return blas::gemm(blas_, cfg_.weight_dtype, W, ldw, X, ldx, y_f32 ? MSV_F32 : cfg_.weight_dtype, Y, ldy, M,
                              N, K, beta);
        });
        s != MSV_OK)
        return s;
    return bias ? launch_add_bias(cfg_.weight_dtype, y_f32, Y, ldy, M, N, bias, stream_) : MSV_OK;
}

msv_status Model::enqueue_x_proj_split(const LayerWeights& w, int M) {
    const Dims& d = d_;
    const msv_dtype wt = cfg_.weight_dtype;
    MmaArgs x = mma_args(w.x_proj, d.ld_di, buf_.xc, d.ld_di, false, nullptr, 0, M, d.nx, 0.0f, nullptr);
    x.splits = small_proj_splits_, x.partial = buf_.small_partial;
    if (msv_status s = launch_mma_gemm(wt, x, stream_, pdl_); s != MSV_OK) return s;
    return launch_split_sum(wt, buf_.small_partial, x.splits, M, d.nx, buf_.xdbl, d.ld_nx, stream_, pdl_);
}

msv_status Model::enqueue_mixer_rms(int M) {
    if (!cfg_.mixer_rms) return MSV_OK;
    return launch_mixer_rms(cfg_.weight_dtype, buf_.xdbl, d_.ld_nx, M, d_.dr, d_.ds, cfg_.mixer_rms_eps, stream_);
}

msv_status Model::enqueue_small_projections(const LayerWeights& w, int M) {
    const Dims& d = d_;
    const msv_dtype wt = cfg_.weight_dtype;
    if (msv_status s = enqueue_x_proj_split(w, M); s != MSV_OK) return s;
    if (msv_status s = enqueue_mixer_rms(M); s != MSV_OK) return s;
    return launch_mma_gemm(wt, mma_args(w.dt_proj, d.ld_dr, buf_.xdbl, d.ld_nx, false, buf_.delta, d.ld_di, M, d.di,
                                        0.0f, nullptr),
                           stream_, pdl_);
}

bool Model::out_proj_sliced(int rows) const {
    const int K = d_.di, S = out_proj_slices_;
    return residual_slices_supported(S) && rows >= out_proj_slice_min_ &&
           rows <= std::min(out_proj_slice_max_, buf_.rows) && K % S == 0 && (K / S) % 8 == 0;
}

bool Model::fused_rows(int rows) const {
    return fused_decode_ && rows <= fused_max_rows_ && dt_ssu_supported(d_.ds);
}

msv_status Model::enqueue_embed(const int32_t* tokens, int rows, const int32_t* from) {
    return launch_embed(cfg_.weight_dtype, tokens, rows, embedding_, d_.ld_dm, d_.dm, buf_.residual, d_.ld_dm, stream_,
                        pdl_, from, device_out_, target_out_bytes(cfg_.max_logprobs));
}

// Per layer: in_proj (+ RMSNorm before, conv after), x_proj split along K, dt_proj + state update, out_proj into
// the residual. Four kernels, each waiting on its predecessor only after prefetching its weights.
msv_status Model::enqueue_layers_fused(int rows, const int32_t* slots) {
    const Dims& d = d_;
    const msv_dtype wt = cfg_.weight_dtype;
    const int ce = 16 / static_cast<int>(dsize(wt));
    const int R = rows_template(rows);
    const int splits = xproj_splits(static_cast<int>(d.ld_di / ce));
    for (int l = 0; l < d.layers; ++l) {
        if (cudaError_t e = mark_.at_layer(l, stream_); e != cudaSuccess) return fail(e, "step mark");
        const LayerWeights& w = layers_[l];
        GemvArgs in{};
        in.W = w.in_proj, in.ldw = d.ld_dm, in.N = 2 * d.di, in.K = d.dm, in.kc = static_cast<int>(d.ld_dm / ce);
        in.rows = rows, in.residual = buf_.residual, in.ld_res = d.ld_dm, in.norm_w = w.norm, in.eps = cfg_.norm_eps;
        in.y = buf_.xz, in.ldy = d.ld_xz, in.bias = w.in_bias, in.prefetch_bytes = prefetch_in_;
        in.late_first_batch = late_first(kLateIn, rows);
        in.shape = gemv_shape_in_;
        in.conv = conv_epilogue_args(d, w, conv_at(0, l), slots, buf_.xc);
        in.timeline = timeline_.records();
        if (!ablated(kAblateFusedInProj))
            if (msv_status s = launch_gemv(wt, GemvKind::kConv, true, in, 1, stream_, pdl_); s != MSV_OK) return s;

        GemvArgs xp{};
        xp.W = w.x_proj, xp.ldw = d.ld_di, xp.N = d.nx, xp.K = d.di, xp.kc = static_cast<int>(d.ld_di / ce);
        xp.rows = rows, xp.x = buf_.xc, xp.ldx = d.ld_di, xp.partial = buf_.partial, xp.prefetch_bytes = prefetch_x_;
        xp.late_first_batch = late_first(kLateX, rows);
        xp.timeline = timeline_.records();
        if (!ablated(kAblateFusedXProj))
            if (msv_status s = launch_gemv(wt, GemvKind::kPartial, false, xp, splits, stream_, pdl_); s != MSV_OK)
                return s;

        DtSsuArgs ss{};
        ss.partial = buf_.partial, ss.splits = splits, ss.nx = d.nx, ss.rows = rows;
        ss.dt_proj = w.dt_proj, ss.ld_dr = d.ld_dr, ss.dr = d.dr, ss.di = d.di, ss.ds = d.ds;
        ss.dt_bias = w.dt_bias, ss.A = w.A, ss.D = w.D;
        ss.x = buf_.xc, ss.ld_x = d.ld_di, ss.z = cat(buf_.xz, d.di, wt), ss.ld_z = d.ld_xz;
        ss.y = buf_.y, ss.ld_y = d.ld_di;
        ss.state = ssm_at(0, l);
        ss.slot_stride = d.ssm_slot, ss.slot = slots, ss.threads = ssu_threads_, ss.state_vec = ssu_bf16_vec_;
        ss.timeline = timeline_.records(), ss.trigger_at = ssu_trigger_;
        if (!ablated(kAblateFusedDtSsu))
            if (msv_status s = launch_dt_ssu(wt, cfg_.state_dtype, R, ss, stream_, pdl_); s != MSV_OK) return s;

        GemvArgs op{};
        op.W = w.out_proj, op.ldw = d.ld_di, op.N = d.dm, op.K = d.di, op.kc = static_cast<int>(d.ld_di / ce);
        op.rows = rows, op.x = buf_.y, op.ldx = d.ld_di, op.bias = w.out_bias;
        op.residual_out = buf_.residual, op.ld_res_out = d.ld_dm, op.prefetch_bytes = prefetch_out_;
        op.late_first_batch = late_first(kLateOut, rows);
        op.shape = gemv_shape_out_;
        op.timeline = timeline_.records();
        if (!ablated(kAblateFusedOutProj))
            if (msv_status s = launch_gemv(wt, GemvKind::kResidual, false, op, 1, stream_, pdl_); s != MSV_OK) return s;
    }
    return MSV_OK;
}

namespace {

// The conv of one prefill group [count, len] (fwd) or of the decode rows (update).
msv_conv1d_params conv_params(const Dims& d, msv_dtype wt, const LayerWeights& w, void* state, const void* xz,
                              void* xc, int batch, int len, const int32_t* slots) {
    msv_conv1d_params p{};
    p.batch = batch, p.dim = d.di, p.seqlen = len, p.width = d.dc, p.dtype = wt;
    p.x = xz, p.x_batch_stride = len * d.ld_xz, p.x_row_stride = d.ld_xz;
    p.out = xc, p.out_batch_stride = len * d.ld_di, p.out_row_stride = d.ld_di;
    p.weight = w.conv_w, p.bias = w.conv_b, p.silu = 1;
    p.conv_state = state, p.state_slot_stride = d.conv_slot, p.slot_idx = slots;
    return p;
}

}  // namespace

// Every row through the vendor BLAS (or our GEMM at few rows) for the projections; conv update + state update for
// the decode rows, conv + scan for each prefill group.
msv_status Model::enqueue_layers_blas(const RowPlan& plan) {
    const Dims& d = d_;
    const msv_dtype wt = cfg_.weight_dtype;
    const int M = plan.rows;
    // A pure decode step on our GEMM runs each token's conv update in in_proj's epilogue (with the norm's PDL,
    // measured on the H200 at 3-4% of a step at 4 and 8 rows; docs/gpu-model.md, "Session 2026-12-02, third").
    const bool conv_in_gemm = mma_conv_ && plan.groups.empty() && plan.nd == M && M <= inproj_mma_rows_;
    const bool out_sliced = out_proj_sliced(M);
    for (int l = 0; l < d.layers; ++l) {
        if (cudaError_t e = mark_.at_layer(l, stream_); e != cudaSuccess) return fail(e, "step mark");
        const LayerWeights& w = layers_[l];
        void* conv_state = conv_at(0, l);
        void* ssm_state = ssm_at(0, l);
        // With PDL: the norm may be queued behind out_proj's tail (it waits before it reads the residual). With
        // out_proj in slices, the previous layer's slice sum wrote this layer's norm.
        if (ablated(kAblateNorm) || (out_sliced && l > 0)) {
        } else if (msv_status s = launch_norm_rows(wt, buf_.residual, d.ld_dm, nullptr, M, w.norm, cfg_.norm_eps, d.dm,
                                                   buf_.hn, d.ld_dm, stream_, pdl_);
                   s != MSV_OK) {
            return s;
        }
        if (ablated(kAblateInProj)) {
        } else if (conv_in_gemm) {
            MmaArgs a = mma_args(w.in_proj, d.ld_dm, buf_.hn, d.ld_dm, false, buf_.xz, d.ld_xz, M, 2 * d.di, 0.0f,
                                 w.in_bias);
            a.epi = MmaEpi::kConv;
            a.conv = conv_epilogue_args(d, w, conv_state, plan.dec_slots, buf_.xc);
            if (msv_status s = launch_mma_gemm(wt, a, stream_, pdl_); s != MSV_OK) return s;
        } else if (msv_status s = gemm(w.in_proj, d.ld_dm, buf_.hn, d.ld_dm, false, buf_.xz, d.ld_xz, M, 2 * d.di, d.dm,
                                       0.0f, w.in_bias, inproj_mma_rows_);
                   s != MSV_OK) {
            return s;
        }
        if (plan.nd > 0 && !conv_in_gemm && !ablated(kAblateConv)) {
            const msv_conv1d_params p = conv_params(d, wt, w, conv_state, buf_.xz, buf_.xc, plan.nd, 1, plan.dec_slots);
            if (msv_status s = conv_update(p, stream_, pdl_ && conv_pdl_); s != MSV_OK) return s;
        }
        for (const RowPlan::Group& g : plan.groups) {
            const msv_conv1d_params p = conv_params(d, wt, w, conv_state, cat(buf_.xz, g.row0 * d.ld_xz, wt),
                                                    at<char>(buf_.xc, g.row0 * d.ld_di, wt), g.count, g.len, g.slots);
            if (msv_status s = msv::backend::causal_conv1d_fwd(p, stream_); s != MSV_OK) return s;
        }
        if (ablated(kAblateSmallProj)) {
        } else if (M <= small_proj_rows_) {
            if (msv_status s = enqueue_small_projections(w, M); s != MSV_OK) return s;
        } else {
            if (msv_status s = M <= xproj_split_rows_
                                   ? enqueue_x_proj_split(w, M)
                                   : gemm(w.x_proj, d.ld_di, buf_.xc, d.ld_di, false, buf_.xdbl, d.ld_nx, M, d.nx, d.di,
                                          0.0f);
                s != MSV_OK)
                return s;
            if (msv_status s = enqueue_mixer_rms(M); s != MSV_OK) return s;
            if (!ablated(kAblateDtProj))
                if (msv_status s = gemm(w.dt_proj, d.ld_dr, buf_.xdbl, d.ld_nx, false, buf_.delta, d.ld_di, M, d.di,
                                        d.dr, 0.0f);
                    s != MSV_OK)
                    return s;
        }
        if (plan.nd > 0 && !ablated(kAblateStateUpdate)) {
            msv_state_update_params p{};
            p.batch = plan.nd, p.dim = d.di, p.dstate = d.ds, p.dtype = wt, p.state_dtype = cfg_.state_dtype;
            p.x = buf_.xc, p.x_batch_stride = d.ld_di, p.delta = buf_.delta, p.delta_batch_stride = d.ld_di;
            p.B = cat(buf_.xdbl, d.dr, wt), p.B_batch_stride = d.ld_nx;
            p.C = cat(buf_.xdbl, d.dr + d.ds, wt), p.C_batch_stride = d.ld_nx;
            p.z = cat(buf_.xz, d.di, wt), p.z_batch_stride = d.ld_xz, p.out = buf_.y, p.out_batch_stride = d.ld_di;
            p.A = w.A, p.D = w.D, p.dt_bias = w.dt_bias, p.delta_softplus = 1;
            p.state = ssm_state, p.state_slot_stride = d.ssm_slot, p.slot_idx = plan.dec_slots;
            if (msv_status s = state_update(p, stream_, pdl_ && ssu_pdl_); s != MSV_OK) return s;
        }
        for (const RowPlan::Group& g : plan.groups) {
            const int64_t r0 = g.row0;
            msv_scan_params p{};
            p.batch = g.count, p.dim = d.di, p.dstate = d.ds, p.seqlen = g.len, p.dtype = wt;
            p.u = cat(buf_.xc, r0 * d.ld_di, wt), p.u_batch_stride = g.len * d.ld_di, p.u_row_stride = d.ld_di;
            p.delta = cat(buf_.delta, r0 * d.ld_di, wt), p.delta_batch_stride = g.len * d.ld_di;
            p.delta_row_stride = d.ld_di;
            p.B = cat(buf_.xdbl, r0 * d.ld_nx + d.dr, wt), p.B_batch_stride = g.len * d.ld_nx, p.B_row_stride = d.ld_nx;
            p.C = cat(buf_.xdbl, r0 * d.ld_nx + d.dr + d.ds, wt), p.C_batch_stride = g.len * d.ld_nx;
            p.C_row_stride = d.ld_nx;
            p.z = cat(buf_.xz, r0 * d.ld_xz + d.di, wt), p.z_batch_stride = g.len * d.ld_xz, p.z_row_stride = d.ld_xz;
            p.out = at<char>(buf_.y, r0 * d.ld_di, wt), p.out_batch_stride = g.len * d.ld_di;
            p.out_row_stride = d.ld_di;
            p.A = w.A, p.D = w.D, p.dt_bias = w.dt_bias, p.delta_softplus = 1;
            // The scan keeps an fp32 state: a bf16 pool's states are staged through fp32 scratch.
            const int64_t elems = int64_t(d.di) * d.ds;
            if (cfg_.state_dtype == MSV_BF16) {
                if (msv_status s = launch_state_to_f32(ssm_state, d.ssm_slot, g.slots, g.count, elems, buf_.scan_state,
                                                       stream_);
                    s != MSV_OK)
                    return s;
                p.state = buf_.scan_state, p.state_slot_stride = elems, p.slot_idx = buf_.iota;
            } else {
                p.state = static_cast<float*>(ssm_state), p.state_slot_stride = d.ssm_slot, p.slot_idx = g.slots;
            }
            if (msv_status s = msv::backend::selective_scan_fwd(p, stream_); s != MSV_OK) return s;
            if (cfg_.state_dtype == MSV_BF16)
                if (msv_status s = launch_state_from_f32(ssm_state, d.ssm_slot, g.slots, g.count, elems,
                                                         buf_.scan_state, stream_);
                    s != MSV_OK)
                    return s;
        }
        if (ablated(kAblateOutProj)) {
        } else if (out_sliced) {
            const float* next_norm = l + 1 < d.layers && !ablated(kAblateNorm) ? layers_[l + 1].norm : nullptr;
            if (msv_status s = enqueue_out_proj_slices(w, M, next_norm); s != MSV_OK) return s;
        } else if (msv_status s = gemm(w.out_proj, d.ld_di, buf_.y, d.ld_di, true, buf_.residual, d.ld_dm, M, d.dm, d.di,
                                       1.0f, w.out_bias);
                   s != MSV_OK) {
            return s;
        }
    }
    return MSV_OK;
}

msv_status Model::enqueue_out_proj_slices(const LayerWeights& w, int M, const float* next_norm) {
    const Dims& d = d_;
    const msv_dtype wt = cfg_.weight_dtype;
    ResidualSlices add;
    add.partial = buf_.out_partial, add.splits = out_proj_slices_, add.bias = w.out_bias;
    if (M <= out_proj_slice_gemm_rows_ && d.dm % 4 == 0) {
        // Rows our GEMM takes: its split-K slices (rows of dm sums), where it ran out_proj as one grid of
        // dm / 16 blocks (160 at the mamba-2.8b shape, 1.2 a SM) with the residual added in its epilogue.
        MmaArgs a = mma_args(w.out_proj, d.ld_di, buf_.y, d.ld_di, false, nullptr, 0, M, d.dm, 0.0f, nullptr);
        a.splits = out_proj_slices_, a.partial = buf_.out_partial;
        if (msv_status s = launch_mma_gemm(wt, a, stream_, pdl_); s != MSV_OK) return s;
        add.ld = d.dm, add.slice = int64_t(M) * d.dm;
    } else {
        const auto what = [&] {
            return "BLAS out_proj in " + std::to_string(out_proj_slices_) + " slices, " + std::to_string(M) + " rows";
        };
        if (msv_status s = checked_blas(what, [&] {
                return blas::gemm_k_slices(blas_, wt, w.out_proj, d.ld_di, buf_.y, d.ld_di, buf_.out_partial, d.ld_dm,
                                           M, d.dm, d.di, out_proj_slices_);
            });
            s != MSV_OK)
            return s;
        add.ld = d.ld_dm, add.slice = M * d.ld_dm;
    }
    return launch_residual_slices_norm(wt, add, buf_.residual, d.ld_dm, M, next_norm, cfg_.norm_eps, d.dm, buf_.hn,
                                       d.ld_dm, stream_, pdl_);
}

// Final norm + LM head into buf_.logits [rows, vocab]. fused: rows [0, rows) of the residual in one GEMV with the
// norm in its prologue; else the rows are normalised (gathered by row_idx) and multiplied by our GEMV (<= 8 rows)
// or the BLAS.
msv_status Model::enqueue_head(const int32_t* row_idx, int rows, bool fused) {
    const Dims& d = d_;
    const msv_dtype wt = cfg_.weight_dtype;
    const int ce = 16 / static_cast<int>(dsize(wt));
    GemvArgs a{};
    a.W = lm_head_, a.ldw = d.ld_dm, a.N = d.vocab, a.K = d.dm, a.kc = static_cast<int>(d.ld_dm / ce);
    a.rows = rows, a.y = buf_.logits, a.ldy = d.vocab, a.y_f32 = 1, a.prefetch_bytes = prefetch_head_;
    a.late_first_batch = late_first(kLateHead, rows);
    a.timeline = timeline_.records();
    if (fused && row_idx == nullptr) {
        a.residual = buf_.residual, a.ld_res = d.ld_dm, a.norm_w = norm_f_, a.eps = cfg_.norm_eps;
        a.shape = gemv_shape_head_;
        return launch_gemv(wt, GemvKind::kLogits, true, a, 1, stream_, pdl_);
    }
    if (msv_status s = launch_norm_rows(wt, buf_.residual, d.ld_dm, row_idx, rows, norm_f_, cfg_.norm_eps, d.dm,
                                        buf_.head_in, d.ld_dm, stream_, false);
        s != MSV_OK)
        return s;
    if (fused_decode_ && rows <= fused_max_rows_) {
        a.x = buf_.head_in, a.ldx = d.ld_dm;
        return launch_gemv(wt, GemvKind::kLogits, false, a, 1, stream_, false);
    }
    return gemm(lm_head_, d.ld_dm, buf_.head_in, d.ld_dm, true, buf_.logits, d.vocab, rows, d.vocab, d.dm, 0.0f);
}

msv_status Model::enqueue_sampler(const SampleTarget* targets, const int32_t* n_targets, int max_targets, void* out,
                                  SamplerKernels kernels) {
    if (max_targets <= 0) return MSV_OK;
    SamplerArgs a{};
    a.logits = buf_.logits, a.ld = d_.vocab, a.vs = d_.vs, a.targets = targets, a.n_targets = n_targets;
    a.counts = counts_, a.seen = seen_, a.scratch = buf_.sampler, a.max_logprobs = cfg_.max_logprobs;
    a.out = out, a.target_blocks = sampler_target_blocks_, a.timeline = timeline_.records();
    return launch_sampler(a, max_targets, stream_, pdl_, kernels, plain_greedy_);
}

// A decode bucket from the fixed layout: rows fed a stop token moved to the scratch slot, embed, layers, LM head over
// every row, sampler. Graph capture records exactly this, so a replay and an eager run launch the same kernels with
// the same shapes. The embedding reads each row's token from tokens or, where `from` says, from the previous step's
// output records in device_out_, which only this step's sampler (after it in stream order) rewrites.
msv_status Model::enqueue_decode(int rows, SamplerKernels kernels) {
    char* in = static_cast<char*>(device_in_);
    const int32_t* tokens = reinterpret_cast<const int32_t*>(in + decode_.tokens);
    int32_t* slots = reinterpret_cast<int32_t*>(in + decode_.slots);
    const int32_t* from = reinterpret_cast<const int32_t*>(in + decode_.from);
    if (msv_status s = launch_hold_stopped(rows, from, device_out_, target_out_bytes(cfg_.max_logprobs),
                                           reinterpret_cast<const int32_t*>(in + decode_.stop_first),
                                           reinterpret_cast<const int32_t* const*>(in + decode_.stop_ids), slots,
                                           slots_, stream_);
        s != MSV_OK)
        return s;
    if (msv_status s = enqueue_embed(tokens, rows, from); s != MSV_OK) return s;
    const bool fused = fused_rows(rows);
    if (fused) {
        if (msv_status s = enqueue_layers_fused(rows, slots); s != MSV_OK) return s;
    } else {
        RowPlan plan;
        plan.rows = rows, plan.nd = rows, plan.tokens = tokens, plan.dec_slots = slots;
        if (msv_status s = enqueue_layers_blas(plan); s != MSV_OK) return s;
    }
    if (!ablated(kAblateHead))
        if (msv_status s = enqueue_head(nullptr, rows, fused); s != MSV_OK) return s;
    if (!ablated(kAblateSampler))
        if (msv_status s = enqueue_sampler(reinterpret_cast<const SampleTarget*>(in + decode_.targets),
                                           reinterpret_cast<const int32_t*>(in + decode_.n_targets),
                                           std::max(rows, 1), device_out_, kernels);
            s != MSV_OK)
            return s;
    // The mark's branch joins after the last kernel, so no kernel of the chain gains a dependency on it.
    if (cudaError_t e = mark_.join(stream_); e != cudaSuccess) return fail(e, "step mark join");
    return MSV_OK;
}

}  // namespace msv::gpu::model
