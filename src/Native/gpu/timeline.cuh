// Per-block timeline of the decode step's kernels, for diagnosis only (build flag -DMSV_TIMELINE=1, CUDA only).
//
// Why: ncu serialises kernels and a graph replay hides them from the host, so where the time of a batch-1 layer
// goes beyond its bytes (docs/gpu-model.md, "What is left") could only be inferred: which kernel ends late, how
// long a programmatic dependent launch takes to release the next kernel, how the blocks' ends spread. Each
// recorded block's thread 0 notes, on its SM's clock, when the block started, when its PDL wait returned and when
// its work was done, plus the global timer at start and end so the host can put every SM on one time axis
// (tests/Native/timeline.py). Without the flag every call here compiles to nothing.
//
// Buffer (device, zeroed by the host before each step): [0] records taken (atomic), [1] capacity, then records of
// kTimelineWords words: meta (tag << 56 | smid << 40 | grid blocks << 20 | linear block), gt0, c0, c1, c2, gt2, ca,
// cb (ca, cb: two marks inside the work where a kernel sets them, else 0).
#pragma once

#include "common/vendor.h"

#ifndef MSV_TIMELINE
#define MSV_TIMELINE 0
#endif

namespace msv::gpu {

constexpr int kTimelineWords = 8;
// Where the meta word's fields sit (model_gpu_timeline.cpp unpacks them): tag, SM, grid blocks, linear block.
constexpr int kTimelineTagShift = 56, kTimelineSmShift = 40, kTimelineBlocksShift = 20;
constexpr unsigned long long kTimelineSmMask = 0xffff, kTimelineBlockMask = 0xfffff;
// Which kernel a record is from (the GEMV's epilogue kinds first, as in model_gpu_gemv.cuh).
enum TimelineTag {
    kTagGemvStore = 0, kTagGemvConv = 1, kTagGemvResidual = 2, kTagGemvPartial = 3, kTagDtSsu = 4,
    // The sampler's four kernels (model_gpu_sampler.cu): mark a before a block's ticket, mark b after it.
    kTagSamplePrepare = 5, kTagSampleThreshold = 6, kTagSampleCollect = 7, kTagSampleDraw = 8,
    // Its kernel for plain greedy targets (model_gpu_sampler_plain.cuh): no ticket, no marks.
    kTagSamplePlain = 9
};

struct BlockTimeline {
#if MSV_TIMELINE && !defined(MSV_HIP)
    unsigned long long gt0 = 0, c0 = 0, c1 = 0, ca = 0, cb = 0;
    __device__ static unsigned long long global_ns() {
        unsigned long long t;
        asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
        return t;
    }
    __device__ static unsigned smid() {
        unsigned s;
        asm volatile("mov.u32 %0, %%smid;" : "=r"(s));
        return s;
    }
    __device__ void start() {
        gt0 = global_ns();
        c0 = clock64();
    }
    __device__ void waited() { c1 = clock64(); }
    __device__ void mark_a() { ca = clock64(); }
    __device__ void mark_b() { cb = clock64(); }
    __device__ void end(unsigned long long* buf, int tag) {
        if (buf == nullptr) return;
        const unsigned long long c2 = clock64(), gt2 = global_ns();
        const unsigned long long i = atomicAdd(buf, 1ull);
        if (i >= buf[1]) return;
        const unsigned long long blocks = gridDim.x * gridDim.y * gridDim.z;
        const unsigned long long b = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
        unsigned long long* r = buf + 2 + i * kTimelineWords;
        r[0] = (static_cast<unsigned long long>(tag) << kTimelineTagShift) |
               (static_cast<unsigned long long>(smid()) << kTimelineSmShift) | (blocks << kTimelineBlocksShift) | b;
        r[1] = gt0, r[2] = c0, r[3] = c1, r[4] = c2, r[5] = gt2, r[6] = ca, r[7] = cb;
    }
#else
    __device__ void start() {}
    __device__ void waited() {}
    __device__ void mark_a() {}
    __device__ void mark_b() {}
    __device__ void end(unsigned long long*, int) {}
#endif
};

}  // namespace msv::gpu
