// x_proj and dt_proj of the BLAS path at many batch rows, on tensor cores: Y[m, n] = sum_k X[m, k] W[n, k].
//
// Why our own: these two products have 2 MB of weights each at the mamba-2.8b shape, and at 64-256 rows the vendor
// BLAS spent 14-18 us a layer on them (x_proj split along K plus its reduction, then dt_proj; docs/gpu-model.md,
// `--bench-blas`): a chain of short latency-bound kernels. model_gpu_mma.cu's GEMM puts weight rows on the MMA's M
// side, so each of its blocks reads every batch row's X from L2, which at 64+ rows costs more than the weights
// (it lost to the BLAS there). Here the batch rows are the M side: a block owns 64 batch rows, 64 outputs and a
// slice of K, and stages both tiles in shared memory with asynchronous copies that are all in flight at once (the
// weights before the PDL wait, X after it), so a block's life is one round trip, then its MMAs, then its stores.
//
// Shape: 8 warps, warp w on batch rows 16 (w % 4) .. +16 and outputs 32 (w / 4) .. +32 (four n8 tiles). K runs in
// steps of 32 (4 chunks of 16 bytes); in step s, lane (g = lane / 4, t = lane % 4) takes chunk 4 s + t of X rows g
// and g + 8 (the A fragment) and of each tile's weight row g (the B fragment), and the fragments take those words
// in place: the same permutation of K on both sides (model_gpu_mma.cu uses the same trick). The tiles' rows are
// padded in shared memory to an odd multiple of 64 bytes, so the 8 lanes of each quarter-warp hit distinct banks.
//
// Split-K (MmaArgs::splits > 1, x_proj: 192 outputs): grid.z slices of tall_gemm_slice_steps() steps each write fp32
// partials that launch_split_sum adds in slice order. A row's sums run in an order fixed by N, K and the slice count
// alone, so batched rows equal rows alone, bit for bit. CUDA sm_90+ (bulk copies); elsewhere the vendor BLAS.
#include "gpu/dtype.cuh"
#include "model/model_gpu_kernels.h"
#include "model/model_gpu_launch.cuh"
#include "model/model_gpu_mma.cuh"

#include <algorithm>
#include <string>

namespace msv::gpu::model {
namespace {

constexpr int kBlockRows = 64;     // batch rows per block: 4 m16 tiles
constexpr int kBlockOuts = 64;     // outputs per block: 2 x 4 n8 tiles
constexpr int kWarps = 8;
constexpr int kChunksPerStep = 4;  // 4 x 16 bytes = 32 K elements: two m16n8k16 MMAs

// 16-byte chunks per staged tile row: the slice's chunks, padded so that a row spans an odd multiple of 64 bytes.
__host__ __device__ inline int row_chunks(int slice_steps) {
    const int c = slice_steps * kChunksPerStep;
    return c % 8 == 0 ? c + 4 : c;
}

#if !defined(MSV_HIP)

// Device code with bulk copies and transaction-counting mbarriers: sm_90 and PTX 8.0 (CUDA 12). Elsewhere the kernel
// is empty and tall_gemm_supported() says no.
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900 && __CUDACC_VER_MAJOR__ >= 12
#define MSV_TALL_BULK 1
#else
#define MSV_TALL_BULK 0
#endif

// The tiles arrive by bulk copies (the TMA unit's 1-D form, sm_90): one instruction moves a row's slice, and an
// mbarrier counts the bytes. A first version staged them with one 16-byte cp.async per lane and chunk; its warps
// spent ~2,600 instructions each on copies and their addresses, at 2-3 warps a scheduler, and it was 2-3x slower
// than the vendor BLAS (docs/gpu-model.md, "seventh").
__device__ __forceinline__ uint32_t smem_addr(const void* p) { return static_cast<uint32_t>(__cvta_generic_to_shared(p)); }

// Copies `bytes` (a multiple of 16, both addresses 16-byte aligned) and counts them on `bar`.
__device__ __forceinline__ void bulk_copy(void* dst, const void* src, uint32_t bytes, uint64_t* bar) {
#if MSV_TALL_BULK
    asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];" ::"r"(
                     smem_addr(dst)),
                 "l"(src), "r"(bytes), "r"(smem_addr(bar))
                 : "memory");
#endif
}

// Stages rows [row0, row0 + rows) x chunks [c0, c0 + nc) of a [limit_rows, ld] matrix into `tile` (`stride` chunks a
// row): lane l of the calling warp copies rows l, l + 32, ... by bulk copies of their chunks below kc. Rows past
// limit_rows and chunks past kc are left to zero_tail.
template <typename T>
__device__ __forceinline__ void stage_rows(uint4* tile, int stride, const T* src, int64_t ld, int row0, int limit_rows,
                                          int rows, int c0, int valid, uint64_t* bar) {
    constexpr int E = 16 / sizeof(T);
    const int lane = threadIdx.x % MSV_GROUP;
    for (int r = lane; r < rows && row0 + r < limit_rows; r += MSV_GROUP)
        bulk_copy(tile + r * stride, src + (row0 + r) * ld + static_cast<int64_t>(c0) * E, valid * 16u, bar);
}
// Zeroes what the bulk copies leave out: rows [live_rows, rows), and chunks [valid, nc) of the rows below.
__device__ __forceinline__ void zero_tail(uint4* tile, int stride, int live_rows, int rows, int valid, int nc) {
    const int lane = threadIdx.x % MSV_GROUP, warp = threadIdx.x / MSV_GROUP;
    for (int r = warp; r < rows; r += kWarps)
        for (int c = (r < live_rows ? valid : 0) + lane; c < nc; c += MSV_GROUP) tile[r * stride + c] = make_uint4(0, 0, 0, 0);
}

template <typename T>
__global__ void __launch_bounds__(kWarps * MSV_GROUP) tall_gemm_kernel(const MmaArgs a, int slice_steps) {
#if MSV_TALL_BULK
    extern __shared__ uint4 tiles[];
    __shared__ uint64_t bar;
    const int lane = threadIdx.x % MSV_GROUP, warp = threadIdx.x / MSV_GROUP;
    const int g = lane >> 2, t = lane & 3;
    const int n0 = blockIdx.x * kBlockOuts, m0 = blockIdx.y * kBlockRows;
    const int c0 = blockIdx.z * slice_steps * kChunksPerStep;
    // This slice's whole steps (chunks past kc within the last step are zeros).
    const int steps = max(0, min(slice_steps, (a.kc - c0 + kChunksPerStep - 1) / kChunksPerStep));
    const int nc = steps * kChunksPerStep, valid = max(0, min(nc, a.kc - c0));
    const int stride = row_chunks(slice_steps);
    uint4* w_tile = tiles;
    uint4* x_tile = tiles + kBlockOuts * stride;
    const int w_rows = max(0, min(kBlockOuts, a.N - n0)), x_rows = max(0, min(kBlockRows, a.M - m0));

    if (threadIdx.x == 0) {
        asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;" ::"r"(smem_addr(&bar)) : "memory");
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    }
    zero_tail(w_tile, stride, w_rows, kBlockOuts, valid, nc);
    zero_tail(x_tile, stride, x_rows, kBlockRows, valid, nc);
    __syncthreads();
    if (warp == 0) {
        // One arrival, expecting every byte of both tiles; the weights go before the PDL wait (in flight while the
        // predecessor finishes), X after it.
        if (lane == 0)
            asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(smem_addr(&bar)),
                         "r"(static_cast<uint32_t>((w_rows + x_rows) * valid * 16))
                         : "memory");
        __syncwarp();
        stage_rows(w_tile, stride, static_cast<const T*>(a.W), a.ldw, n0, a.N, kBlockOuts, c0, valid, &bar);
    }
    msv_pdl_wait();
    msv_pdl_launch_dependents();
    if (warp == 0) stage_rows(x_tile, stride, static_cast<const T*>(a.X), a.ldx, m0, a.M, kBlockRows, c0, valid, &bar);
    asm volatile(
        "{\n"
        ".reg .pred done;\n"
        "WAIT:\n"
        "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], 0;\n"
        "@!done bra WAIT;\n"
        "}\n" ::"r"(smem_addr(&bar))
        : "memory");

    const int mt = warp % 4, nh = warp / 4;
    const uint4* x_lo = x_tile + (mt * 16 + g) * stride + t;
    const uint4* x_hi = x_lo + 8 * stride;
    const uint4* w_row = w_tile + (nh * 32 + g) * stride + t;
    float acc[4][4] = {};
#pragma unroll 2
    for (int s = 0; s < steps; ++s) {
        const int c = s * kChunksPerStep;
        const uint4 lo = x_lo[c], hi = x_hi[c];
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const uint4 b = w_row[j * 8 * stride + c];
            MmaInstr<T>::run(acc[j], lo.x, hi.x, lo.y, hi.y, b.x, b.y);
            MmaInstr<T>::run(acc[j], lo.z, hi.z, lo.w, hi.w, b.z, b.w);
        }
    }

    // Lane (g, t) of tile j holds D[m = g (+ 8 for values 2, 3)][n = 8 j + 2 t (+ 1 for values 1, 3)]: two
    // neighbouring outputs of a row, stored as one pair where they can be.
#pragma unroll
    for (int j = 0; j < 4; ++j)
#pragma unroll
        for (int h = 0; h < 2; ++h) {
            const int m = m0 + mt * 16 + g + 8 * h, n = n0 + nh * 32 + j * 8 + 2 * t;
            if (m >= a.M || n >= a.N) continue;
            float v0 = acc[j][2 * h], v1 = acc[j][2 * h + 1];
            const bool both = n + 1 < a.N;
            if (a.splits > 1) {  // this slice's share, summed by launch_split_sum (splits x M x N < 2^31)
                float* p = a.partial + (static_cast<int>(blockIdx.z) * a.M + m) * a.N + n;
                p[0] = v0;
                if (both) p[1] = v1;
                continue;
            }
            if (a.bias) v0 += a.bias[n], v1 += both ? a.bias[n + 1] : 0.0f;
            if (both && !a.y_f32 && a.beta == 0.0f && a.ldy % 2 == 0) {  // 4-byte aligned: n is even
                *reinterpret_cast<uint32_t*>(static_cast<T*>(a.Y) + static_cast<int64_t>(m) * a.ldy + n) =
                    pack2<T>(v0, v1);
                continue;
            }
            store_out<T>(a, m, n, v0);
            if (both) store_out<T>(a, m, n + 1, v1);
        }
#endif  // MSV_TALL_BULK
}

template <typename T>
cudaError_t launch_typed(const MmaArgs& a, int slice_steps, size_t smem, cudaStream_t s, bool pdl) {
    const dim3 grid((a.N + kBlockOuts - 1) / kBlockOuts, (a.M + kBlockRows - 1) / kBlockRows, a.splits);
    return launch_kernel(tall_gemm_kernel<T>, grid, dim3(kWarps * MSV_GROUP), smem, s, pdl, a, slice_steps);
}

#endif  // !MSV_HIP

}  // namespace

bool tall_gemm_supported(msv_dtype wt, int cc_major) {
#if defined(MSV_HIP) || !defined(__CUDACC_VER_MAJOR__) || __CUDACC_VER_MAJOR__ < 12
    (void)wt, (void)cc_major;
    return false;
#else
    // The kernel holds its bulk-copy code only where compiled for sm_90 or later: PTX of an older target, JIT-compiled
    // for this device, would be the empty body.
    cudaFuncAttributes attr{};
    return wt != MSV_F32 && cc_major >= 9 && cudaFuncGetAttributes(&attr, tall_gemm_kernel<bf16>) == cudaSuccess &&
           attr.ptxVersion >= 90;
#endif
}

int tall_gemm_slice_steps(int kc, int splits) {
    const int steps = (kc + kChunksPerStep - 1) / kChunksPerStep;
    return (steps + std::max(1, splits) - 1) / std::max(1, splits);
}

int tall_gemm_slices(int kc, int splits) {
    const int steps = (kc + kChunksPerStep - 1) / kChunksPerStep, per = tall_gemm_slice_steps(kc, splits);
    return std::max(1, (steps + per - 1) / per);
}

size_t tall_gemm_smem(int kc, int splits) {
    return size_t(kBlockOuts + kBlockRows) * row_chunks(tall_gemm_slice_steps(kc, splits)) * 16;
}

msv_status tall_gemm_prepare(msv_dtype wt, size_t smem) {
#if defined(MSV_HIP)
    (void)wt, (void)smem;
    return set_error(MSV_ERR_UNSUPPORTED, "tall gemm: not built for HIP");
#else
    const int bytes = static_cast<int>(smem);
    const cudaError_t err =
        wt == MSV_BF16 ? cudaFuncSetAttribute(tall_gemm_kernel<bf16>, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes)
                       : cudaFuncSetAttribute(tall_gemm_kernel<__half>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                              bytes);
    if (err != cudaSuccess)
        return set_error(MSV_ERR_DEVICE, "tall gemm: " + std::to_string(smem) + " bytes of shared memory: " +
                                             cudaGetErrorString(err));
    return MSV_OK;
#endif
}

msv_status launch_tall_gemm(msv_dtype wt, const MmaArgs& a, cudaStream_t s, bool pdl) {
#if defined(MSV_HIP)
    (void)wt, (void)a, (void)s, (void)pdl;
    return set_error(MSV_ERR_UNSUPPORTED, "tall gemm: not built for HIP");
#else
    const bool bad_split = a.splits < 1 || (a.splits > 1 && a.partial == nullptr);
    if (a.M <= 0 || wt == MSV_F32 || bad_split || a.epi != MmaEpi::kStore)
        return set_error(MSV_ERR_INVALID_ARGUMENT, "tall gemm: " + std::to_string(a.M) + " rows, " +
                                                       std::to_string(a.splits) + " slices, fp32 weights or an epilogue");
    const int steps = tall_gemm_slice_steps(a.kc, a.splits);
    const size_t smem = tall_gemm_smem(a.kc, a.splits);
    const cudaError_t err = wt == MSV_BF16 ? launch_typed<bf16>(a, steps, smem, s, pdl)
                                           : launch_typed<__half>(a, steps, smem, s, pdl);
    if (err != cudaSuccess) return set_error(MSV_ERR_DEVICE, std::string("tall gemm launch: ") + cudaGetErrorString(err));
    return MSV_OK;
#endif
}

}  // namespace msv::gpu::model
