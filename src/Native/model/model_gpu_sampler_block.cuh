// Block-wide reductions of the device sampler (model_gpu_sampler.cu), in MSV_GROUP-lane groups: every thread of the
// block gets the result, and the partial results meet in a fixed order, so a reduction's bits never depend on timing.
#pragma once

#include "common/vendor.h"
#include "model/sampler_math.h"

#include <cstdint>

namespace msv::gpu::model::sampler_block {

namespace sm = msv::sampler;

// Every sampler kernel runs blocks of this many threads.
constexpr int kThreads = 256;
constexpr int kGroups = kThreads / MSV_GROUP;

// A (value, id) pair ranked by sm::ranks_before: larger value first, lower id on ties.
struct Best {
    float v;
    int32_t id;
};
constexpr Best kNone{-INFINITY, 0x7fffffff};
__device__ __forceinline__ Best better(Best a, Best b) { return sm::ranks_before(b.v, b.id, a.v, a.id) ? b : a; }

// Room for one reduction's group results; free again when the reduction returns.
struct Scratch {
    Best best[kGroups], best_b[kGroups], best_c[kGroups];
    double dsum[kGroups];
    int32_t isum[kGroups];
    uint32_t umin[kGroups], umax[kGroups];
    unsigned long long scan[kGroups];
    unsigned long long broadcast;
};

// The Best of the lane `off` lanes away (xor) in this thread's group.
__device__ __forceinline__ Best lane_xor(Best b, int off) {
    return Best{__shfl_xor_sync(MSV_GROUP_MASK, b.v, off, MSV_GROUP), __shfl_xor_sync(MSV_GROUP_MASK, b.id, off, MSV_GROUP)};
}

__device__ inline Best block_best(Best b, Scratch& sc) {
    for (int off = MSV_GROUP / 2; off > 0; off /= 2) b = better(b, lane_xor(b, off));
    if (threadIdx.x % MSV_GROUP == 0) sc.best[threadIdx.x / MSV_GROUP] = b;
    __syncthreads();
    Best r = sc.best[0];
    for (int k = 1; k < kGroups; ++k) r = better(r, sc.best[k]);
    __syncthreads();
    return r;
}

// Three block_best reductions in one round (one pair of barriers instead of three); the same results.
__device__ inline void block_best3(Best& x, Best& y, Best& z, Scratch& sc) {
    for (int off = MSV_GROUP / 2; off > 0; off /= 2)
        x = better(x, lane_xor(x, off)), y = better(y, lane_xor(y, off)), z = better(z, lane_xor(z, off));
    if (threadIdx.x % MSV_GROUP == 0) {
        const int g = threadIdx.x / MSV_GROUP;
        sc.best[g] = x, sc.best_b[g] = y, sc.best_c[g] = z;
    }
    __syncthreads();
    x = sc.best[0], y = sc.best_b[0], z = sc.best_c[0];
    for (int k = 1; k < kGroups; ++k)
        x = better(x, sc.best[k]), y = better(y, sc.best_b[k]), z = better(z, sc.best_c[k]);
    __syncthreads();
}

template <typename V> __device__ V block_sum(V v, V* scratch) {
    for (int off = MSV_GROUP / 2; off > 0; off /= 2) v += __shfl_xor_sync(MSV_GROUP_MASK, v, off, MSV_GROUP);
    if (threadIdx.x % MSV_GROUP == 0) scratch[threadIdx.x / MSV_GROUP] = v;
    __syncthreads();
    V r = scratch[0];
    for (int k = 1; k < kGroups; ++k) r += scratch[k];
    __syncthreads();
    return r;
}

// Count and mass of a block in one round.
__device__ inline void block_count_mass(int32_t& n, double& e, Scratch& sc) {
    for (int off = MSV_GROUP / 2; off > 0; off /= 2) {
        n += __shfl_xor_sync(MSV_GROUP_MASK, n, off, MSV_GROUP);
        e += __shfl_xor_sync(MSV_GROUP_MASK, e, off, MSV_GROUP);
    }
    if (threadIdx.x % MSV_GROUP == 0) sc.isum[threadIdx.x / MSV_GROUP] = n, sc.dsum[threadIdx.x / MSV_GROUP] = e;
    __syncthreads();
    n = sc.isum[0], e = sc.dsum[0];
    for (int k = 1; k < kGroups; ++k) n += sc.isum[k], e += sc.dsum[k];
    __syncthreads();
}

// Smallest and largest key of a block in one round (a thread with no key passes ~0u and 0).
__device__ inline void block_min_max(uint32_t& lo, uint32_t& hi, Scratch& sc) {
    for (int off = MSV_GROUP / 2; off > 0; off /= 2) {
        lo = min(lo, static_cast<uint32_t>(__shfl_xor_sync(MSV_GROUP_MASK, lo, off, MSV_GROUP)));
        hi = max(hi, static_cast<uint32_t>(__shfl_xor_sync(MSV_GROUP_MASK, hi, off, MSV_GROUP)));
    }
    if (threadIdx.x % MSV_GROUP == 0) sc.umin[threadIdx.x / MSV_GROUP] = lo, sc.umax[threadIdx.x / MSV_GROUP] = hi;
    __syncthreads();
    lo = sc.umin[0], hi = sc.umax[0];
    for (int k = 1; k < kGroups; ++k) lo = min(lo, sc.umin[k]), hi = max(hi, sc.umax[k]);
    __syncthreads();
}

// An exclusive prefix sum over the block (thread order) and the block's total.
__device__ inline unsigned long long block_exclusive_scan(unsigned long long v, unsigned long long* group_total,
                                                   unsigned long long& total) {
    const int lane = threadIdx.x % MSV_GROUP, g = threadIdx.x / MSV_GROUP;
    unsigned long long inc = v;
    for (int off = 1; off < MSV_GROUP; off *= 2) {
        const unsigned long long o = __shfl_up_sync(MSV_GROUP_MASK, inc, off, MSV_GROUP);
        if (lane >= off) inc += o;
    }
    if (lane == MSV_GROUP - 1) group_total[g] = inc;
    __syncthreads();
    unsigned long long before = 0;
    total = 0;
    for (int k = 0; k < kGroups; ++k) before += k < g ? group_total[k] : 0, total += group_total[k];
    __syncthreads();
    return before + inc - v;
}

// The device-scope fence of last_block. The pattern needs release before the ticket and acquire after it, not a
// sequentially consistent fence: CUDA's __threadfence() is fence.sc.gpu (MEMBAR.SC.GPU on sm_90), fence.acq_rel.gpu
// the lighter MEMBAR.ALL.GPU. MSV_SAMPLER_SC_FENCE=1 keeps __threadfence() (A/B); HIP has only __threadfence(), and
// PTX has fence.acq_rel from sm_70.
#ifndef MSV_SAMPLER_SC_FENCE
#define MSV_SAMPLER_SC_FENCE 0
#endif
__device__ __forceinline__ void ticket_fence() {
#if !defined(MSV_HIP) && !MSV_SAMPLER_SC_FENCE && defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 700
    asm volatile("fence.acq_rel.gpu;" ::: "memory");
#else
    __threadfence();
#endif
}

// True in the block that finishes a target's work last among the `blocks` blocks that count on `counter`, after every
// one of them made its global writes visible (the threadfence-reduction pattern: fence, then a ticket). The last
// block resets the counter for the next step; it reads what the others wrote with load_l2 (never a stale L1 line).
__device__ inline bool last_block(uint32_t* counter, uint32_t blocks, bool& flag) {
    ticket_fence();
    __syncthreads();
    if (threadIdx.x == 0) {
        const uint32_t ticket = atomicAdd(counter, 1u);
        flag = ticket == blocks - 1;
        if (flag) *counter = 0;
    }
    __syncthreads();
    const bool last = flag;
    __syncthreads();  // flag is free for the next call
    if (last) ticket_fence();
    return last;
}

// A load that skips L1 (CUDA: ld.global.cg, which pipelines like any load; a volatile load would wait for each).
// HIP: a plain load, after last_block's device-scope fence, which invalidates the vector L1 on AMD.
template <typename T> __device__ __forceinline__ T load_l2(const T* p) {
#if defined(MSV_HIP)
    return *p;
#else
    return __ldcg(p);
#endif
}

}  // namespace msv::gpu::model::sampler_block
