// The work split shared by the per-channel reference kernels (causal conv1d, selective scan): one unit of work per
// (batch entry, block of contiguous channels), spread over the OpenMP team when the call has enough arithmetic.
#pragma once

#include "common/math.h"

#include <algorithm>
#include <cstdint>

namespace msv::ref {

// Calls block(b, d0, nc) for every batch entry b and every block [d0, d0 + nc) of at most `block_size` channels
// below `dim`. `work` is the call's arithmetic (compared with kParallelMinWork); blocks must not share outputs.
template <typename Block>
void for_each_channel_block(int64_t batch, int dim, int block_size, int64_t work, const Block& block) {
    const int64_t blocks = (dim + block_size - 1) / block_size;
#pragma omp parallel for collapse(2) schedule(static) if (work >= kParallelMinWork)
    for (int64_t b = 0; b < batch; ++b) {
        for (int64_t blk = 0; blk < blocks; ++blk) {
            const int d0 = static_cast<int>(blk * block_size);
            block(b, d0, std::min(block_size, dim - d0));
        }
    }
}

}  // namespace msv::ref
