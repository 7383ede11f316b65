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
    MSV_ERR_OUT_OF_MEMORY = 4,       /* host or device allocation failed; the message names the bytes asked for */
    MSV_ERR_DEVICE_LOST = 5,         /* sticky: the device faulted; every later call on the model answers this */
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
    void* conv_state;                /* [.., dim, width - 1] per slot, in dtype: it holds past x values */
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
 * out[r, n] = sum_k x[r, k] * weight[n, k] + (bias ? bias[n] : 0), computed in fp32. Streams the weight matrix once
 * for all rows, so decode at small batch runs at memory bandwidth. The weight may be bf16 (weight_dtype MSV_BF16):
 * each value is widened to fp32 exactly as it is loaded and the sums run as for an fp32 weight, so a bf16 weight
 * gives bit for bit what its fp32 widening gives, in half the bytes read. CPU backend only: GPU backends return
 * MSV_ERR_UNSUPPORTED (they use the vendor BLAS). */
typedef struct msv_linear_params {
    int32_t rows, in_features, out_features;
    msv_dtype weight_dtype;          /* MSV_F32 (0) or MSV_BF16 */
    const float* x;    int64_t x_row_stride;
    const void* weight;              /* [out_features, in_features] row-major (PyTorch's Linear layout) */
    const float* bias;               /* [out_features] or NULL */
    float* out;        int64_t out_row_stride;
} msv_linear_params;

MSV_API msv_status msv_linear(const msv_linear_params* p, void* stream);

/* ==== the model: weights, state pool and one step of batched work (docs/gpu-engine.md section 3) ==============
 * Every library exports this: libmambaserve_cuda / libmambaserve_hip run it on the GPU (pointers below are HOST
 * memory for every backend: the library stages them), libmambaserve_cpu runs the fp32 reference (model/model_ref.h)
 * and accepts weight_dtype MSV_F32 only. Call order: msv_model_create, msv_model_set_tensor for every tensor,
 * msv_model_finalize, msv_model_allocate_pool, then any number of steps and slot operations, msv_model_destroy.
 * A model is used by one thread at a time. */
typedef struct msv_model msv_model;        /* weights, state pool, sampler state, buffers, stream, BLAS handle */
typedef struct msv_snapshot msv_snapshot;  /* one slot's recurrent state, in the memory the model keeps state in */

typedef struct msv_device_info {
    int32_t count;                   /* devices this library sees (0: none, see reason) */
    char name[128];                  /* of the device asked for */
    char arch[32];                   /* "sm_90", "gfx942" */
    int32_t warp_size;
    int64_t total_bytes, free_bytes;
    char reason[256];                /* when count == 0: which of device, driver or permission is missing */
} msv_device_info;
/* Fills *out for device `device` (>= 0). MSV_OK whenever *out was filled, also when count == 0: the CPU library
 * answers count 0 with reason "cpu library". */
MSV_API msv_status msv_device_query(int32_t device, msv_device_info* out);

typedef struct msv_model_config {
    int32_t d_model, n_layer, d_inner, d_state, d_conv, dt_rank;
    int32_t vocab;                   /* rows of the embedding and the LM head (padded); width of logits rows */
    int32_t sampleable_vocab;        /* 1..vocab: ids >= this are never sampled, penalised or in a softmax */
    int32_t conv_bias, proj_bias, tie_embeddings;   /* 0 or 1; proj_bias covers in_proj and out_proj */
    float norm_eps;                  /* RMSNorm epsilon, finite and >= 0 */
    msv_dtype weight_dtype;          /* MSV_F32 (exactness mode), MSV_BF16 or MSV_F16: matrices and activations;
                                        fp32 accumulation, residual stream fp32 */
    msv_dtype state_dtype;           /* SSM state: MSV_F32 or MSV_BF16 (the conv state is in weight_dtype: it holds
                                        past in_proj outputs, which are of that type; exports hold it as fp32) */
    int32_t max_step_tokens;         /* most tokens one step may carry (sum of n_tokens over its entries) */
    int32_t max_decode_batch;        /* most 1-token entries in one step (graph buckets 1, 2, 4, 8, 12, .. it) */
    int32_t max_logprobs;            /* top-N capacity of the sampler and row width of out_top_* (0..1024) */
    int32_t device;                  /* device index (ignored by the CPU library) */
    int32_t use_graphs;              /* 0 or 1: capture decode per batch bucket and replay */
    int32_t mixer_rms;               /* 0 or 1: FalconMamba. Each x_proj output row's dt, B and C are RMS-normalised
                                        on their own, with no weight (x * rsqrt(mean(x^2) + mixer_rms_eps), in fp32),
                                        before dt_proj and the scan */
    float mixer_rms_eps;             /* finite and >= 0; read only when mixer_rms */
} msv_model_config;

/* Allocates the weights (uninitialised) and the step buffers. *out is NULL on failure. */
MSV_API msv_status msv_model_create(const msv_model_config* config, msv_model** out);
/* NULL is a no-op. Snapshots own their memory and may be freed before or after their model. */
MSV_API void msv_model_destroy(msv_model* m);

typedef enum msv_tensor {
    MSV_T_EMBEDDING = 0,             /* [vocab, d_model] */
    MSV_T_NORM_F = 1,                /* [d_model] */
    MSV_T_LM_HEAD = 2,               /* [vocab, d_model]; only when tie_embeddings == 0 */
    MSV_T_NORM = 10,                 /* per layer from here on: [d_model] */
    MSV_T_IN_PROJ = 11,              /* [2 d_inner, d_model] */
    MSV_T_IN_PROJ_BIAS = 12,         /* [2 d_inner]; only when proj_bias */
    MSV_T_CONV_WEIGHT = 13,          /* [d_inner, d_conv] */
    MSV_T_CONV_BIAS = 14,            /* [d_inner]; only when conv_bias */
    MSV_T_X_PROJ = 15,               /* [dt_rank + 2 d_state, d_inner] */
    MSV_T_DT_PROJ = 16,              /* [d_inner, dt_rank] */
    MSV_T_DT_PROJ_BIAS = 17,         /* [d_inner] */
    MSV_T_A_LOG = 18,                /* [d_inner, d_state]: the model keeps A = -exp(A_log) in fp32 */
    MSV_T_D = 19,                    /* [d_inner] */
    MSV_T_OUT_PROJ = 20,             /* [d_model, d_inner] */
    MSV_T_OUT_PROJ_BIAS = 21,        /* [d_model]; only when proj_bias */
} msv_tensor;
/* Copies one tensor (row-major, PyTorch's layout) from host memory in any msv_dtype; the model converts it to its
 * storage type (matrices and the embedding to weight_dtype; norms, conv, A, D and biases to fp32) in pieces, so the
 * host never holds more than the caller's source. `layer` is in [0, n_layer) for per-layer tensors and ignored for
 * the others; `count` must be the tensor's element count. Setting a tensor twice overwrites it. Before finalize. */
MSV_API msv_status msv_model_set_tensor(msv_model* m, msv_tensor t, int32_t layer, const void* host, msv_dtype src,
                                        int64_t count);
/* Checks that every tensor was set (the message names the first missing one), derives what the forward needs and
 * returns the bytes of weight memory in use (may be NULL). Once. */
MSV_API msv_status msv_model_finalize(msv_model* m, int64_t* weight_bytes);

/* Bytes one slot costs (recurrent state plus sampler state) and the bytes the device (CPU: the host) has free now,
 * for sizing the pool. Either pointer may be NULL. */
MSV_API msv_status msv_model_memory(msv_model* m, int64_t* bytes_per_slot, int64_t* free_bytes);
/* Allocates the pool of `slots` slots (state zero, sampler state clear) and captures the decode graphs. Once,
 * after finalize. */
MSV_API msv_status msv_model_allocate_pool(msv_model* m, int32_t slots);

/* How one sample is drawn (docs/gpu-engine.md "Sampler on the device"; model/sampler_math.h has the exact rules).
 * On the slot's logits row (ids < sampleable_vocab): + logit bias; + MSV_BAN_BIAS on banned ids; repetition
 * penalty over the slot's seen set (prompt ids and outputs); - frequency_penalty * count - presence_penalty over its
 * output counts; then greedy argmax (lowest id on ties) when temperature < 1e-5, else temperature, the top_k / top_p /
 * min_p thresholds and a Gumbel-max draw keyed by (seed, position, token id). */
typedef struct msv_sampling {
    uint64_t seed;
    float temperature;               /* finite, >= 0; < 1e-5: greedy */
    int32_t top_k;                   /* >= 0; 0: off */
    float top_p;                     /* (0, 1]; 1: off */
    float min_p;                     /* [0, 1]; 0: off */
    float repetition_penalty;        /* finite, > 0; 1: off */
    float presence_penalty, frequency_penalty;   /* finite; 0: off */
    int32_t logprobs;                /* top-N to return, 0..max_logprobs; < 0: none. The chosen token's logprob is
                                        always returned. */
    int32_t n_bias;                  /* >= 0 entries in bias_ids / bias_values */
    int32_t n_prompt;                /* >= 0 entries in prompt_ids; read only when the target resets */
    const int32_t* bias_ids;         /* >= 0; ids >= sampleable_vocab are ignored (as the host sampler does) */
    const float* bias_values;        /* finite */
    const int32_t* prompt_ids;       /* in [0, vocab): the repetition-penalty set at reset */
    const uint32_t* ban_bits;        /* NULL, or (sampleable_vocab + 31) / 32 words: a set bit (id & 31) of word
                                        id >> 5 bans that id for this step (a structured output's grammar): its
                                        logit gets MSV_BAN_BIAS after the bias entries, exactly as a bias entry of
                                        that value appended to the list would. A 50k vocabulary's mask is 6 KB,
                                        where the same bans as bias entries were ~360 KB a row. */
} msv_sampling;

/* What a ban adds to a logit: large and finite (the sampler's arithmetic is not written for -inf), some 10^7 times
 * any real logit, so no threshold or draw picks it and its exp() is 0. */
#define MSV_BAN_BIAS (-1e9f)

typedef struct msv_sample_target {
    int32_t slot;                    /* != its entry's slot: a fork, the entry's state is copied here first */
    int32_t reset;                   /* 0 or 1: (re)start this slot's sampler state: clear output counts, seen set
                                        = prompt_ids. Slot operations never touch sampler state; only this does. */
    int32_t position;                /* >= 0: tokens this sample drew so far, the RNG counter */
    const msv_sampling* sampling;    /* may be shared by several targets */
} msv_sample_target;

/* 48 bytes on 64-bit targets, no padding: tokens at offset 0, then the six int32 fields in this order at 8, 12, 16,
 * 20, 24 and 28, stop_ids at 32, n_stop_ids at 40 and reserved at 44 (the managed engine mirrors this layout field for
 * field). */
typedef struct msv_step_entry {
    const int32_t* tokens;           /* [n_tokens], ids in [0, vocab); not read (may be NULL) when from_previous */
    int32_t slot;                    /* the state the chunk starts from and ends in */
    int32_t n_tokens;                /* >= 1: a prefill chunk, or one decode token */
    int32_t all_logits;              /* 0 or 1: copy every position's logits to out_logits */
    int32_t first_sample, n_samples; /* this entry's targets: samples[first_sample, first_sample + n_samples),
                                        all drawn from its last position's logits */
    int32_t from_previous;           /* 0: `tokens` is the input. k >= 1: one decode token (n_tokens 1) whose id is
                                        the token drawn for target k - 1 (an index into that step's `samples`) of
                                        the step begun just before this one on the same model (msv_model_step or
                                        msv_model_step_begin), read where the model keeps it (on a GPU: the device,
                                        with no host round trip). Refused when no step ran before on the model,
                                        when k - 1 >= that step's n_samples, when n_tokens != 1, and on a GPU when
                                        the step has an entry of more than one token (the device reads the token
                                        in the decode path only). */
    const int32_t* stop_ids;         /* from_previous entries only, else NULL with n_stop_ids 0: the tokens that end
                                        the sample that drew the token read. When that token is one of them, it is
                                        not fed: the entry runs on no slot's state (on a GPU the model's scratch
                                        slot) and its slot keeps the state it had, the one before the stop token,
                                        which is what a finished sample's state is when steps run in turn (a
                                        conversation's next turn resumes from it). Its targets' draws then mean
                                        nothing. */
    int32_t n_stop_ids;              /* >= 0 */
    int32_t reserved;                /* 0 */
} msv_step_entry;

typedef struct msv_step {
    const msv_step_entry* entries;
    const msv_sample_target* samples;
    int32_t n_entries;               /* >= 0 */
    int32_t n_samples;               /* >= 0; every target belongs to exactly one entry */
    int32_t* out_tokens;             /* [n_samples] */
    float* out_logprobs;             /* [n_samples]: the chosen token's log-softmax over the raw logits */
    int32_t* out_top_ids;            /* [n_samples, max_logprobs], or NULL when no target asks for logprobs > 0;
                                        largest first, lower id first on ties; unused entries -1 */
    float* out_top_logprobs;         /* [n_samples, max_logprobs] alike; unused entries -INFINITY */
    float* out_logits;               /* [sum of n_tokens over all_logits entries, vocab], entry order; or NULL when
                                        no entry asks */
    int32_t* out_bad_entry;          /* may be NULL; set to -1, or, when the step is refused because of one entry
                                        or one of its targets, to that entry's index */
} msv_step;
/* Runs one step: every entry's chunk from its slot's state (several prefill chunks of different lengths and
 * decodes together), then the forks, then sampling. Slots: each slot appears at most once in a step, as an entry's
 * slot or as a fork target (an entry's own target, slot == entry slot, is not a second use). Refuses bad input before
 * changing any state: MSV_ERR_INVALID_ARGUMENT, message "msv_model_step: entry 3: slot 70 out of range [0, 64)" or
 * "... sample 5: ...", and *out_bad_entry. */
MSV_API msv_status msv_model_step(msv_model* m, const msv_step* s);

/* A step the host does not wait for (vLLM's asynchronous scheduling): msv_model_step split in two, so that step
 * N + 1 (its decode entries taking their tokens from step N's draws through from_previous) is enqueued before N's
 * outputs are read, and the device does not sit idle between them. The engine's loop: begin N; begin N + 1; end N;
 * begin N + 2; end N + 1; ...
 *
 * msv_model_step_begin validates the step exactly as msv_model_step does (refusing it before changing any state),
 * enqueues all of its device work and returns without waiting (the CPU library runs it to the end right here). Its
 * input arrays (entries, tokens, samples, samplings and their bias / ban / prompt arrays) may be reused as soon as it
 * returns; its output arrays (out_tokens, out_logprobs, out_top_ids, out_top_logprobs, out_logits) must stay valid
 * until the msv_model_step_end that ends it, which is when they hold the results (out_bad_entry is written at
 * begin). At most two steps may be begun and not yet ended: a third begin is refused (MSV_ERR_INVALID_ARGUMENT,
 * *out_bad_entry -1). An all_logits entry's rows are copied straight into out_logits; a GPU copy to pageable memory
 * waits for the device, so such a step runs no further ahead than msv_model_step.
 *
 * msv_model_step_end ends the oldest begun step: waits for it and writes its outputs into the arrays given at its
 * begin. MSV_ERR_INVALID_ARGUMENT when no step is in flight; a device fault is reported here as msv_model_step
 * reports it (MSV_ERR_DEVICE, MSV_ERR_DEVICE_LOST), and the step counts as ended.
 *
 * msv_model_step_wait_mark blocks until the step begun last has passed its mark, late in its forward (on a GPU an
 * event after MSV_AHEAD_MARK percent of its layers, 75 unless set, none when "off"), and returns MSV_OK at once when
 * no step is in flight or the step has no mark (the CPU library runs a step at its begin). An engine that runs ahead
 * waits for it before it decides on the next step, so that a request that arrives while the step runs joins the next
 * step rather than the one after, while the device still has the step's tail to run when the next one is begun. A
 * device fault is reported as msv_model_step_end reports it; the step stays in flight.
 *
 * msv_model_step is refused while a begun step is not ended. Slot operations (copy, zero, snapshot, restore,
 * snapshot_from_host) stay allowed while steps are in flight: on a GPU they run after the begun steps in the
 * model's stream order (and may wait for them); on the CPU every call is synchronous anyway. */
MSV_API msv_status msv_model_step_begin(msv_model* m, const msv_step* s);
MSV_API msv_status msv_model_step_end(msv_model* m);
MSV_API msv_status msv_model_step_wait_mark(msv_model* m);

MSV_API msv_status msv_model_copy_slot(msv_model* m, int32_t src, int32_t dst);  /* recurrent state only */
MSV_API msv_status msv_model_zero_slot(msv_model* m, int32_t slot);              /* recurrent state only */
/* A copy of one slot's state, kept where the model keeps state (device memory on a GPU). */
MSV_API msv_status msv_model_snapshot(msv_model* m, int32_t slot, msv_snapshot** out);
/* Only a snapshot of this model (msv_model_snapshot or msv_model_snapshot_from_host on it). */
MSV_API msv_status msv_model_restore(msv_model* m, int32_t slot, const msv_snapshot* s);
/* Bytes of the snapshot's export: a 32-byte header (model/snapshot_format.h), then conv state
 * [n_layer, d_inner, d_conv - 1] fp32, then SSM state [n_layer, d_inner, d_state] in state_dtype. -1 for NULL. */
MSV_API int64_t msv_snapshot_bytes(const msv_snapshot* s);
/* Export: writes exactly msv_snapshot_bytes(s) bytes to host (bytes must equal it). */
MSV_API msv_status msv_snapshot_read(const msv_snapshot* s, void* host, int64_t bytes);
/* Import: a snapshot of this model from an export of a model of the same shape and state dtype (checked). */
MSV_API msv_status msv_model_snapshot_from_host(msv_model* m, const void* host, int64_t bytes, msv_snapshot** out);
MSV_API void msv_snapshot_free(msv_snapshot* s);  /* NULL is a no-op */

#ifdef __cplusplus
}
#endif

#endif /* MAMBASERVE_H */
