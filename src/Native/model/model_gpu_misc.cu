// The model's small kernels: embedding gather, RMSNorm of selected rows, FalconMamba's norm of x_proj's output, bias
// add, bf16 <-> fp32 state staging for the scan, dtype conversion (weights at load, the conv state of snapshots),
// A = -exp(A_log); and the dtype switches of the launchers.
#include "gpu/dtype.cuh"
#include "gpu/launch_kernel.cuh"
#include "model/model_gpu_kernels.h"

#include <algorithm>
#include <string>

namespace msv::gpu::model {

template <typename W> msv_status launch_gemv_typed(GemvKind, bool, const GemvArgs&, int, cudaStream_t, bool);
template <typename T> msv_status launch_dt_ssu_t(msv_dtype, int, const DtSsuArgs&, cudaStream_t, bool);

namespace {

constexpr int kThreads = 256;

msv_status launched(cudaError_t err, const char* what) {
    if (err == cudaSuccess) err = cudaGetLastError();
    if (err == cudaSuccess) return MSV_OK;
    return set_error(MSV_ERR_DEVICE, std::string(what) + ": " + cudaGetErrorString(err));
}

unsigned blocks_for(int64_t n) { return static_cast<unsigned>(std::min<int64_t>((n + kThreads - 1) / kThreads, 65535 * 8)); }

template <typename T>
__global__ void embed_kernel(const int32_t* tokens, int rows, const T* emb, int64_t ld_emb, int dm, float* res,
                             int64_t ld_res, const int32_t* from, const char* records, int64_t record_bytes) {
    msv_pdl_wait();
    msv_pdl_launch_dependents();
    const int r = blockIdx.y;
    const int32_t rec = from != nullptr ? from[r] : -1;
    const int32_t token = rec >= 0 ? *reinterpret_cast<const int32_t*>(records + rec * record_bytes) : tokens[r];
    const T* src = emb + static_cast<int64_t>(token) * ld_emb;
    for (int k = blockIdx.x * kThreads + threadIdx.x; k < dm; k += gridDim.x * kThreads)
        res[r * ld_res + k] = to_float(src[k]);
}

// Decode rows that take their token from the previous step's records and drew one of their stop ids run on the
// scratch slot: their own slot keeps the state before the stop token (msv_step_entry.stop_ids). One thread a row. It
// runs at the head of every decode step, so its loads go out in two rounds rather than one after another: the step's
// inputs together, then the record's token beside the row's ids.
__global__ void hold_stopped_kernel(int rows, const int32_t* from, const char* records, int64_t record_bytes,
                                    const int32_t* stop_first, const int32_t* const* stop_ids_at, int32_t* slots,
                                    int32_t scratch) {
    const int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows) return;
    const int32_t* stop_ids = *stop_ids_at;
    const int32_t rec = from[r], first = stop_first[r], end = stop_first[r + 1];
    if (stop_ids == nullptr || rec < 0 || first == end) return;
    const int32_t token = *reinterpret_cast<const int32_t*>(records + rec * record_bytes);
    bool stopped = false;
    for (int32_t i = first; i < end; ++i) stopped |= stop_ids[i] == token;
    if (stopped) slots[r] = scratch;
}

// One block per output row: sum of squares, block reduction in MSV_GROUP-lane groups, scale. The row is read in
// 16-byte pieces, kept in registers between the two passes where it fits (kCached pieces per thread: d_model up to
// 4096), so a thread issues a few wide loads at once instead of a chain of scalar ones (the scalar version took
// ~7 us per layer at batch 256, for 2.6 MB).
constexpr int kCached = 4;

template <typename T>
__device__ __forceinline__ void store_scaled(T* out, const float4 v, float scale, const float4 w, int k) {
    out[k] = from_float<T>(v.x * scale * w.x);
    out[k + 1] = from_float<T>(v.y * scale * w.y);
    out[k + 2] = from_float<T>(v.z * scale * w.z);
    out[k + 3] = from_float<T>(v.w * scale * w.w);
}
__device__ __forceinline__ float4 load4(const float* p) { return make_float4(p[0], p[1], p[2], p[3]); }

// With S > 0 slices, each row first becomes residual + bias + the sum of a split-K product's S slices
// (ResidualSlices: out_proj in K slices), written back, and is then normalised; w null skips the norm (the last
// layer's out_proj). A piece's slices are loaded together and added in slice order.
template <typename T, int S>
__global__ void __launch_bounds__(kThreads) norm_rows_kernel(float* res, int64_t ld_res, const int32_t* row_idx,
                                                             const float* w, float eps, int dm, T* out, int64_t ld_out,
                                                             const ResidualSlices add) {
    constexpr bool kAdd = S > 0;
    __shared__ float partial[kThreads / MSV_GROUP];
    // The norm's weights of the cached pieces before the wait (no kernel of a step writes them): loaded where they are
    // used, each weight load came after the store before it (o and w might alias, as far as the compiler knows), a
    // chain of 12 loads a thread after the block's reduction (sm_90 machine code).
    const int n4 = dm / 4;
    float4 wc[kCached];
#pragma unroll
    for (int c = 0; c < kCached; ++c) {
        const int q = threadIdx.x + c * kThreads;
        wc[c] = (!kAdd || w) && q < n4 ? load4(w + 4 * q) : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    }
    msv_pdl_wait();
    msv_pdl_launch_dependents();
    const int i = blockIdx.x;
    float* x = res + static_cast<int64_t>(row_idx ? row_idx[i] : i) * ld_res;
    T* o = out + i * ld_out;
    // Rows start 16-byte aligned (ld_res is a multiple of 8); the pieces cover [0, 4 * n4), a scalar tail the rest.
    float4* x4 = reinterpret_cast<float4*>(x);
    // A piece's slices from partial (q in range), and the bias's piece (zero without one).
    const auto slices_of = [&](int q, float4 (&p)[S > 0 ? S : 1], float4& b) {
#pragma unroll
        for (int z = 0; z < S; ++z)
            p[z] = __ldg(reinterpret_cast<const float4*>(add.partial + z * add.slice + i * add.ld) + q);
        b = add.bias ? load4(add.bias + 4 * q) : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    };
    // v + bias + the slices added in order, stored back as piece q.
    const auto add_slices = [&](int q, float4 v, const float4 (&p)[S > 0 ? S : 1], float4 b) {
        float4 sum = p[0];
#pragma unroll
        for (int z = 1; z < S; ++z) sum.x += p[z].x, sum.y += p[z].y, sum.z += p[z].z, sum.w += p[z].w;
        v.x += sum.x + b.x, v.y += sum.y + b.y, v.z += sum.z + b.z, v.w += sum.w + b.w;
        x4[q] = v;
        return v;
    };
    // Piece q past the cached ones (kAdd: with the slices added, stored back), and the scalar tail's element k.
    const auto piece = [&](int q) {
        float4 v = x4[q];
        if constexpr (kAdd) {
            float4 p[S], b;
            slices_of(q, p, b);
            v = add_slices(q, v, p, b);
        }
        return v;
    };
    const auto scalar = [&](int k) {
        float v = x[k];
        if constexpr (kAdd) {
            float sum = add.partial[i * add.ld + k];
#pragma unroll
            for (int z = 1; z < S; ++z) sum += add.partial[z * add.slice + i * add.ld + k];
            v += sum + (add.bias ? add.bias[k] : 0.0f);
            x[k] = v;
        }
        return v;
    };
    float4 v[kCached];
    float ss = 0.0f;
#pragma unroll
    for (int c = 0; c < kCached; ++c) {
        const int q = threadIdx.x + c * kThreads;
        v[c] = q < n4 ? x4[q] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    }
    if constexpr (kAdd) {
        // Every cached piece's slices are loaded before the first store: stored piece by piece, each piece's loads
        // waited for the store before it (x4 and partial might alias, as far as the compiler knows).
        float4 p[kCached][S], b[kCached];
#pragma unroll
        for (int c = 0; c < kCached; ++c) {
            const int q = threadIdx.x + c * kThreads;
            if (q < n4) slices_of(q, p[c], b[c]);
        }
#pragma unroll
        for (int c = 0; c < kCached; ++c) {
            const int q = threadIdx.x + c * kThreads;
            if (q < n4) v[c] = add_slices(q, v[c], p[c], b[c]);
        }
    }
#pragma unroll
    for (int c = 0; c < kCached; ++c) ss += v[c].x * v[c].x + v[c].y * v[c].y + v[c].z * v[c].z + v[c].w * v[c].w;
    for (int q = threadIdx.x + kCached * kThreads; q < n4; q += kThreads) {
        const float4 u = piece(q);
        ss += u.x * u.x + u.y * u.y + u.z * u.z + u.w * u.w;
    }
    for (int k = 4 * n4 + threadIdx.x; k < dm; k += kThreads) {
        const float u = scalar(k);
        ss += u * u;
    }
    // kAdd without a norm: the residual alone (w is the same for every thread, so none is left at the barrier).
    if (kAdd && w == nullptr) return;
    for (int off = MSV_GROUP / 2; off > 0; off /= 2) ss += __shfl_xor_sync(MSV_GROUP_MASK, ss, off, MSV_GROUP);
    if (threadIdx.x % MSV_GROUP == 0) partial[threadIdx.x / MSV_GROUP] = ss;
    __syncthreads();
    float total = 0.0f;
#pragma unroll
    for (int k = 0; k < kThreads / MSV_GROUP; ++k) total += partial[k];
    const float scale = rsqrtf(total / static_cast<float>(dm) + eps);
#pragma unroll
    for (int c = 0; c < kCached; ++c) {
        const int q = threadIdx.x + c * kThreads;
        if (q < n4) store_scaled(o, v[c], scale, wc[c], 4 * q);
    }
    // Past the cached pieces the row is read again: this thread wrote those pieces (kAdd), so it sees them.
    for (int q = threadIdx.x + kCached * kThreads; q < n4; q += kThreads)
        store_scaled(o, x4[q], scale, load4(w + 4 * q), 4 * q);
    for (int k = 4 * n4 + threadIdx.x; k < dm; k += kThreads) o[k] = from_float<T>(x[k] * scale * w[k]);
}

// y[m, n] = sum over slices z (in order) of partial[z, m, n], in the storage type (a split-K product's slices).
// Every slice (at most kSmallProjMaxSplits) is loaded before the first add, each from a slice index clamped into
// range, and the adds then run in slice order, so the bits are those of a plain loop: with the loop's bound known
// only at run time ptxas unrolled it by 16, 8 and 4, so x_proj's 10 slices at 9-32 rows arrived in two or three
// round trips to L2 (sm_90 machine code; ncu 2.80 us a launch at 32 rows on the H200).
template <typename T>
__global__ void split_sum_kernel(const float* partial, int splits, int M, int N, T* y, int64_t ldy) {
    msv_pdl_wait();
    msv_pdl_launch_dependents();
    const int i = blockIdx.x * kThreads + threadIdx.x;
    if (i >= M * N) return;
    const int64_t slice = static_cast<int64_t>(M) * N;
    float v[kSmallProjMaxSplits];
#pragma unroll
    for (int z = 0; z < kSmallProjMaxSplits; ++z) v[z] = __ldg(partial + min(z, splits - 1) * slice + i);
    float s = 0.0f;
#pragma unroll
    for (int z = 0; z < kSmallProjMaxSplits; ++z) s += z < splits ? v[z] : 0.0f;
    y[static_cast<int64_t>(i / N) * ldy + i % N] = from_float<T>(s);
}

// FalconMamba: x_proj's output row [dt | B | C], each part RMS-normalised on its own with no weight, in fp32 and
// rounded back to the storage type (transformers' rms_forward). One block a row; the parts are short (dt_rank up to
// ~256, d_state 16), so each thread reads its elements twice rather than keeping them.
template <typename T>
__global__ void __launch_bounds__(kThreads) mixer_rms_kernel(T* xdbl, int64_t ld, int dr, int ds, float eps) {
    __shared__ float partial[3][kThreads / MSV_GROUP];
    T* x = xdbl + blockIdx.x * ld;
    const int nx = dr + 2 * ds;
    // Parts by comparisons, not an index: a register array indexed at run time would live in local memory.
    float ss[3] = {0.0f, 0.0f, 0.0f};
    for (int k = threadIdx.x; k < nx; k += kThreads) {
        const float v = to_float(x[k]);
        ss[0] += k < dr ? v * v : 0.0f;
        ss[1] += k >= dr && k < dr + ds ? v * v : 0.0f;
        ss[2] += k >= dr + ds ? v * v : 0.0f;
    }
#pragma unroll
    for (int p = 0; p < 3; ++p) {
        for (int off = MSV_GROUP / 2; off > 0; off /= 2)
            ss[p] += __shfl_xor_sync(MSV_GROUP_MASK, ss[p], off, MSV_GROUP);
        if (threadIdx.x % MSV_GROUP == 0) partial[p][threadIdx.x / MSV_GROUP] = ss[p];
    }
    __syncthreads();
    float scale[3];
    const int len[3] = {dr, ds, ds};
#pragma unroll
    for (int p = 0; p < 3; ++p) {
        float total = 0.0f;
#pragma unroll
        for (int k = 0; k < kThreads / MSV_GROUP; ++k) total += partial[p][k];
        scale[p] = rsqrtf(total / static_cast<float>(len[p]) + eps);
    }
    for (int k = threadIdx.x; k < nx; k += kThreads)
        x[k] = from_float<T>(to_float(x[k]) * (k < dr ? scale[0] : k < dr + ds ? scale[1] : scale[2]));
}

template <typename Y>
__global__ void add_bias_kernel(Y* y, int64_t ldy, int rows, int n, const float* bias) {
    const int64_t total = static_cast<int64_t>(rows) * n;
    for (int64_t i = blockIdx.x * int64_t(kThreads) + threadIdx.x; i < total; i += int64_t(gridDim.x) * kThreads) {
        const int64_t r = i / n, c = i - r * n;
        y[r * ldy + c] = from_float<Y>(to_float(y[r * ldy + c]) + bias[c]);
    }
}

__global__ void state_to_f32_kernel(const bf16* pool, int64_t slot_stride, const int32_t* slots, int64_t elems,
                                    float* scratch) {
    const int b = blockIdx.y;
    const bf16* src = pool + static_cast<int64_t>(slots[b]) * slot_stride;
    for (int64_t i = blockIdx.x * int64_t(kThreads) + threadIdx.x; i < elems; i += int64_t(gridDim.x) * kThreads)
        scratch[b * elems + i] = to_float(src[i]);
}

__global__ void state_from_f32_kernel(bf16* pool, int64_t slot_stride, const int32_t* slots, int64_t elems,
                                      const float* scratch) {
    const int b = blockIdx.y;
    bf16* dst = pool + static_cast<int64_t>(slots[b]) * slot_stride;
    for (int64_t i = blockIdx.x * int64_t(kThreads) + threadIdx.x; i < elems; i += int64_t(gridDim.x) * kThreads)
        dst[i] = from_float<bf16>(scratch[b * elems + i]);
}

template <typename D, typename S>
__global__ void convert_kernel(D* dst, int64_t cols, int64_t ld, const S* src, int64_t first, int64_t n) {
    for (int64_t i = blockIdx.x * int64_t(kThreads) + threadIdx.x; i < n; i += int64_t(gridDim.x) * kThreads) {
        const int64_t flat = first + i, row = flat / cols, col = flat - row * cols;
        dst[row * ld + col] = from_float<D>(to_float(src[i]));
    }
}

__global__ void neg_exp_kernel(float* a, int64_t n) {
    for (int64_t i = blockIdx.x * int64_t(kThreads) + threadIdx.x; i < n; i += int64_t(gridDim.x) * kThreads)
        a[i] = -expf(a[i]);
}

template <typename F>
msv_status by_type(msv_dtype t, F&& f) {
    switch (t) {
        case MSV_F32: return f(float{});
        case MSV_F16: return f(__half{});
        default: return f(bf16{});
    }
}

}  // namespace

msv_status launch_gemv(msv_dtype wt, GemvKind kind, bool norm, GemvArgs a, int splits, cudaStream_t s, bool pdl) {
    return by_type(wt, [&](auto w) { return launch_gemv_typed<decltype(w)>(kind, norm, a, splits, s, pdl); });
}

msv_status launch_dt_ssu(msv_dtype wt, msv_dtype state, int R, const DtSsuArgs& a, cudaStream_t s, bool pdl) {
    return by_type(wt, [&](auto w) { return launch_dt_ssu_t<decltype(w)>(state, R, a, s, pdl); });
}

bool dt_ssu_supported(int ds, int states) {
    if (ds % states != 0) return false;
    const int group = ds / states;
    return group <= MSV_GROUP && (group & (group - 1)) == 0;
}

msv_status launch_embed(msv_dtype wt, const int32_t* tokens, int rows, const void* emb, int64_t ld_emb, int dm,
                        float* residual, int64_t ld_res, cudaStream_t s, bool pdl, const int32_t* from,
                        const void* records, int64_t record_bytes) {
    const dim3 grid((dm + kThreads - 1) / kThreads, rows);
    return by_type(wt, [&](auto w) {
        using T = decltype(w);
        return launched(launch_kernel(embed_kernel<T>, grid, dim3(kThreads), 0, s, pdl, tokens, rows,
                                      static_cast<const T*>(emb), ld_emb, dm, residual, ld_res, from,
                                      static_cast<const char*>(records), record_bytes),
                        "embedding");
    });
}

msv_status launch_norm_rows(msv_dtype wt, const float* residual, int64_t ld_res, const int32_t* row_idx, int rows,
                            const float* w, float eps, int dm, void* out, int64_t ld_out, cudaStream_t s, bool pdl) {
    if (rows <= 0) return MSV_OK;
    return by_type(wt, [&](auto t) {
        using T = decltype(t);
        return launched(launch_kernel(norm_rows_kernel<T, 0>, dim3(rows), dim3(kThreads), 0, s, pdl,
                                      const_cast<float*>(residual), ld_res, row_idx, w, eps, dm, static_cast<T*>(out),
                                      ld_out, ResidualSlices{}),
                        "rmsnorm rows");
    });
}

bool residual_slices_supported(int splits) { return splits == 2 || splits == 4 || splits == 5 || splits == 8; }

msv_status launch_residual_slices_norm(msv_dtype wt, const ResidualSlices& add, float* residual, int64_t ld_res,
                                       int rows, const float* w, float eps, int dm, void* out, int64_t ld_out,
                                       cudaStream_t s, bool pdl) {
    if (rows <= 0) return MSV_OK;
    if (!residual_slices_supported(add.splits) || add.partial == nullptr || add.ld % 4 != 0)
        return set_error(MSV_ERR_INVALID_ARGUMENT, "residual slices: " + std::to_string(add.splits) +
                                                       " slices (2, 4, 5 or 8), rows of " + std::to_string(add.ld));
    return by_type(wt, [&](auto t) {
        using T = decltype(t);
        const auto launch = [&](auto kernel) {
            return launched(launch_kernel(kernel, dim3(rows), dim3(kThreads), 0, s, pdl, residual, ld_res, nullptr, w,
                                          eps, dm, static_cast<T*>(out), ld_out, add),
                            "residual slices + rmsnorm");
        };
        switch (add.splits) {
            case 2: return launch(norm_rows_kernel<T, 2>);
            case 4: return launch(norm_rows_kernel<T, 4>);
            case 5: return launch(norm_rows_kernel<T, 5>);
            default: return launch(norm_rows_kernel<T, 8>);
        }
    });
}

msv_status launch_split_sum(msv_dtype wt, const float* partial, int splits, int M, int N, void* y, int64_t ldy,
                            cudaStream_t s, bool pdl) {
    if (splits < 1 || splits > kSmallProjMaxSplits)
        return set_error(MSV_ERR_INVALID_ARGUMENT, "split sum: " + std::to_string(splits) + " slices (1.." +
                                                       std::to_string(kSmallProjMaxSplits) + ")");
    return by_type(wt, [&](auto t) {
        using T = decltype(t);
        return launched(launch_kernel(split_sum_kernel<T>, dim3((M * N + kThreads - 1) / kThreads), dim3(kThreads), 0,
                                      s, pdl, partial, splits, M, N, static_cast<T*>(y), ldy),
                        "split sum");
    });
}

msv_status launch_mixer_rms(msv_dtype wt, void* xdbl, int64_t ld, int rows, int dt_rank, int d_state, float eps,
                            cudaStream_t stream) {
    if (rows <= 0) return MSV_OK;
    return by_type(wt, [&](auto t) {
        using T = decltype(t);
        mixer_rms_kernel<T><<<rows, kThreads, 0, stream>>>(static_cast<T*>(xdbl), ld, dt_rank, d_state, eps);
        return launched(cudaSuccess, "mixer rmsnorm");
    });
}

msv_status launch_add_bias(msv_dtype wt, bool y_f32, void* y, int64_t ldy, int rows, int n, const float* bias,
                           cudaStream_t s) {
    const unsigned grid = blocks_for(static_cast<int64_t>(rows) * n);
    if (y_f32) {
        add_bias_kernel<float><<<grid, kThreads, 0, s>>>(static_cast<float*>(y), ldy, rows, n, bias);
        return launched(cudaSuccess, "bias");
    }
    return by_type(wt, [&](auto t) {
        using T = decltype(t);
        add_bias_kernel<T><<<grid, kThreads, 0, s>>>(static_cast<T*>(y), ldy, rows, n, bias);
        return launched(cudaSuccess, "bias");
    });
}

msv_status launch_state_to_f32(const void* pool, int64_t slot_stride, const int32_t* slots, int count, int64_t elems,
                               float* scratch, cudaStream_t s) {
    const dim3 grid(std::min<unsigned>(blocks_for(elems), 1024), count);
    state_to_f32_kernel<<<grid, kThreads, 0, s>>>(static_cast<const bf16*>(pool), slot_stride, slots, elems, scratch);
    return launched(cudaSuccess, "state to fp32");
}

msv_status launch_state_from_f32(void* pool, int64_t slot_stride, const int32_t* slots, int count, int64_t elems,
                                 const float* scratch, cudaStream_t s) {
    const dim3 grid(std::min<unsigned>(blocks_for(elems), 1024), count);
    state_from_f32_kernel<<<grid, kThreads, 0, s>>>(static_cast<bf16*>(pool), slot_stride, slots, elems, scratch);
    return launched(cudaSuccess, "state from fp32");
}

msv_status launch_hold_stopped(int rows, const int32_t* from, const void* records, int64_t record_bytes,
                               const int32_t* stop_first, const int32_t* const* stop_ids_at, int32_t* slots,
                               int32_t scratch, cudaStream_t s) {
    hold_stopped_kernel<<<(rows + kThreads - 1) / kThreads, kThreads, 0, s>>>(
        rows, from, static_cast<const char*>(records), record_bytes, stop_first, stop_ids_at, slots, scratch);
    return launched(cudaSuccess, "stop tokens held back");
}

msv_status launch_convert(void* dst, msv_dtype dst_type, int64_t cols, int64_t ld, const void* src, msv_dtype src_type,
                          int64_t first, int64_t n, cudaStream_t s) {
    const unsigned grid = blocks_for(n);
    return by_type(dst_type, [&](auto d) {
        using D = decltype(d);
        return by_type(src_type, [&](auto sv) {
            using S = decltype(sv);
            convert_kernel<D, S><<<grid, kThreads, 0, s>>>(static_cast<D*>(dst), cols, ld, static_cast<const S*>(src),
                                                           first, n);
            return launched(cudaSuccess, "dtype conversion");
        });
    });
}

msv_status launch_neg_exp(float* a, int64_t n, cudaStream_t s) {
    neg_exp_kernel<<<blocks_for(n), kThreads, 0, s>>>(a, n);
    return launched(cudaSuccess, "A = -exp(A_log)");
}

}  // namespace msv::gpu::model
