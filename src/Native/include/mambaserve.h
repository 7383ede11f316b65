/*
 * mambaserve.h: the one C API of MambaServe's native kernels.
 *
 * Every backend library (libmambaserve_cpu.so, libmambaserve_cuda.so, libmambaserve_hip.so) exports exactly these
 * names, so the managed engine binds one set of P/Invokes and picks the library. Pointers are host memory for the
 * CPU library and device memory for the GPU ones. Functions never throw and never call back: they return MSV_OK or
 * an error code and leave a message in a thread-local buffer (msv_last_error).
 *
 * Layout conventions (all element strides, not bytes):
 *  - Activations are token-major: element (b, t, c) of a [batch, seqlen, channels] tensor lives at
 *    ptr[b * batch_stride + t * row_stride + c]. Channels are contiguous. This lets x and z be two views into one
 *    in_proj output row ([.., 2 * d_inner]) and B, C views into one x_proj output row ([.., dt_rank + 2 * d_state]).
 *  - Recurrent state is slot-indexed: batch entry b reads and writes slot slot_idx[b] at
 *    state + slot_idx[b] * state_slot_stride. The caller points `state` at the layer it wants, so one pool laid out
 *    [slots, layers, d_inner, d_state] (or any other order) works. Slot indices need not be contiguous or sorted,
 *    but must be distinct within one call.
 *  - A, D, dt_bias, conv weight and bias, and norm weights are fp32 whatever the activation dtype.
 *  - Accumulation is fp32 everywhere.
 */
#ifndef MAMBASERVE_H
#define MAMBASERVE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define MSV_API __declspec(dllexport)
#else
#define MSV_API __attribute__((visibility("default")))
#endif

typedef enum msv_dtype { MSV_F32 = 0, MSV_F16 = 1, MSV_BF16 = 2 } msv_dtype;

typedef enum msv_status {
    MSV_OK = 0,
    MSV_ERR_INVALID_ARGUMENT = 1,
    MSV_ERR_UNSUPPORTED = 2,
    MSV_ERR_DEVICE = 3,
} msv_status;

/* Message for the last non-OK status on this thread ("" if none). Valid until the next call on this thread. */
MSV_API const char* msv_last_error(void);
/* "cpu", "cuda" or "hip": which backend this library is. */
MSV_API const char* msv_backend_name(void);

/* ---- selective scan over a chunk (prefill) ------------------------------------------------------------------
 * For each batch entry b (slot s = slot_idx[b]), channel d, starting from h = state[s, d, :]:
 *   dt_t = delta_softplus ? softplus(delta[b,t,d] + dt_bias[d]) : delta[b,t,d] + dt_bias[d]
 *   h    = exp(dt_t * A[d,:]) * h + dt_t * B[b,t,:] * u[b,t,d]
 *   y_t  = C[b,t,:] . h + D[d] * u[b,t,d];   if z: y_t *= silu(z[b,t,d])
 * writes out[b,t,d] and the final h back to state[s, d, :]. */
typedef struct msv_scan_params {
    int32_t batch, dim, dstate, seqlen;
    msv_dtype dtype;                 /* of u, delta, B, C, z, out */
    const void* u;     int64_t u_batch_stride, u_row_stride;
    const void* delta; int64_t delta_batch_stride, delta_row_stride;
    const void* B;     int64_t B_batch_stride, B_row_stride;
    const void* C;     int64_t C_batch_stride, C_row_stride;
    const void* z;     int64_t z_batch_stride, z_row_stride;      /* may be NULL: no gate */
    void* out;         int64_t out_batch_stride, out_row_stride;
    const float* A;                  /* [dim, dstate], already -exp(A_log) */
    const float* D;                  /* [dim] or NULL */
    const float* dt_bias;            /* [dim] or NULL */
    int32_t delta_softplus;
    float* state;                    /* fp32 [.., dim, dstate] per slot */
    int64_t state_slot_stride;
    const int32_t* slot_idx;         /* [batch] */
} msv_scan_params;

MSV_API msv_status msv_selective_scan_fwd(const msv_scan_params* p, void* stream);

/* ---- selective state update (one decode token) -------------------------------------------------------------
 * The scan above with seqlen = 1, in place on the slot's state; the state may be fp32 or bf16. */
typedef struct msv_state_update_params {
    int32_t batch, dim, dstate;
    msv_dtype dtype;                 /* of x, delta, B, C, z, out */
    msv_dtype state_dtype;           /* MSV_F32 or MSV_BF16 */
    const void* x;     int64_t x_batch_stride;
    const void* delta; int64_t delta_batch_stride;
    const void* B;     int64_t B_batch_stride;
    const void* C;     int64_t C_batch_stride;
    const void* z;     int64_t z_batch_stride;                    /* may be NULL */
    void* out;         int64_t out_batch_stride;
    const float* A;
    const float* D;
    const float* dt_bias;
    int32_t delta_softplus;
    void* state;
    int64_t state_slot_stride;
    const int32_t* slot_idx;
} msv_state_update_params;

MSV_API msv_status msv_selective_state_update(const msv_state_update_params* p, void* stream);

/* ---- causal depthwise conv1d over a chunk, with conv state -------------------------------------------------
 * The conv window for token t of entry b is [conv_state[s, d, 0..width-2], x[b, 0..t, d]] (last `width` values):
 *   out[b,t,d] = bias[d] + sum_k weight[d,k] * window[k];  if silu: out = silu(out)
 * and conv_state[s, d, :] becomes the last width-1 inputs (state first, then x) after the chunk.
 * The update variant is this with seqlen = 1. */
typedef struct msv_conv1d_params {
    int32_t batch, dim, seqlen, width;
    msv_dtype dtype;                 /* of x and out */
    const void* x;     int64_t x_batch_stride, x_row_stride;
    void* out;         int64_t out_batch_stride, out_row_stride;
    const float* weight;             /* [dim, width] */
    const float* bias;               /* [dim] or NULL */
    int32_t silu;
    float* conv_state;               /* fp32 [.., dim, width - 1] per slot */
    int64_t state_slot_stride;
    const int32_t* slot_idx;
} msv_conv1d_params;

MSV_API msv_status msv_causal_conv1d_fwd(const msv_conv1d_params* p, void* stream);
MSV_API msv_status msv_causal_conv1d_update(const msv_conv1d_params* p, void* stream);

/* ---- fused residual add + RMSNorm --------------------------------------------------------------------------
 * residual[r,:] (fp32) += x[r,:] (if x is not NULL); out[r,:] = residual[r,:] * rsqrt(mean(residual^2) + eps) * w */
typedef struct msv_rmsnorm_params {
    int32_t rows, dim;
    msv_dtype dtype;                 /* of x and out */
    const void* x;     int64_t x_row_stride;                      /* may be NULL: norm only */
    float* residual;   int64_t residual_row_stride;
    void* out;         int64_t out_row_stride;
    const float* weight;
    float eps;
} msv_rmsnorm_params;

MSV_API msv_status msv_rmsnorm_residual(const msv_rmsnorm_params* p, void* stream);

/* ---- small-batch linear layer (the CPU decode hot path) -----------------------------------------------------
 * out[r, n] = sum_k x[r, k] * weight[n, k] + (bias ? bias[n] : 0), all fp32. Streams the weight matrix once for all
 * rows, so decode at small batch runs at memory bandwidth. CPU backend only: GPU backends return
 * MSV_ERR_UNSUPPORTED (they use the vendor BLAS). */
typedef struct msv_linear_params {
    int32_t rows, in_features, out_features;
    const float* x;    int64_t x_row_stride;
    const float* weight;             /* [out_features, in_features] row-major (PyTorch's Linear layout) */
    const float* bias;               /* [out_features] or NULL */
    float* out;        int64_t out_row_stride;
} msv_linear_params;

MSV_API msv_status msv_linear(const msv_linear_params* p, void* stream);

#ifdef __cplusplus
}
#endif

#endif /* MAMBASERVE_H */
