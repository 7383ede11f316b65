#include "model/model_gpu_graphs.h"

#include "common/error.h"
#include "gpu/check.h"
#include "model/model_gpu.h"

#include <cstdio>
#include <string>

namespace msv::gpu::model {

std::vector<int> decode_buckets(int max_decode_batch, bool between) {
    std::vector<int> b;
    for (int n = 1; n < max_decode_batch; n *= 2) {
        b.push_back(n);
        if (between && n >= 8 && n + n / 2 < max_decode_batch) b.push_back(n + n / 2);
    }
    b.push_back(std::max(1, max_decode_batch));
    return b;
}

int bucket_for(int rows, int max_decode_batch, bool between) {
    for (int b : decode_buckets(max_decode_batch, between))
        if (b >= rows) return b;
    return max_decode_batch;
}

DecodeGraphs::~DecodeGraphs() {
    for (Entry& e : graphs_)
        if (e.exec) (void)cudaGraphExecDestroy(e.exec);
}

msv_status DecodeGraphs::capture(Model& m) {
    // Every bucket runs once eagerly before any capture: the BLAS library chooses, loads and sets up the kernels of a
    // shape at its first call, which fails inside a capture (seen on the H200: cuBLAS could not launch the 40-row LM
    // head GEMM of a 40-slot pool, that shape's first call). The inputs are the zeroed step buffers (token 0 on slot
    // 0, no sampling target); the state and sampler memory the runs touched are zeroed after.
    for (int rows : decode_buckets(m.config().max_decode_batch, m.buckets_between()))
        if (msv_status s = m.enqueue_decode(rows, SamplerKernels::kAll); s != MSV_OK) return s;
    if (msv_status s = m.zero_pools(); s != MSV_OK) return s;
    return capture_buckets(m);
}

msv_status DecodeGraphs::capture_buckets(Model& m) {
    for (int rows : decode_buckets(m.config().max_decode_batch, m.buckets_between()))
        for (const SamplerKernels kernels : {SamplerKernels::kAll, SamplerKernels::kGreedy, SamplerKernels::kPlain}) {
            if (kernels == SamplerKernels::kGreedy && !m.greedy_only_steps()) continue;
            if (kernels == SamplerKernels::kPlain && !m.plain_greedy()) continue;
            cudaGraph_t graph = nullptr;
            cudaError_t err = cudaStreamBeginCapture(m.stream(), cudaStreamCaptureModeThreadLocal);
            msv_status s = err == cudaSuccess ? m.enqueue_decode(rows, kernels) : MSV_OK;
            const cudaError_t end = cudaStreamEndCapture(m.stream(), &graph);
            if (err == cudaSuccess) err = end;
            cudaGraphExec_t exec = nullptr;
            if (err == cudaSuccess && s == MSV_OK) err = cudaGraphInstantiateWithFlags(&exec, graph, 0);
            if (graph) (void)cudaGraphDestroy(graph);
            // A capture that fails is retried, this and every bucket after it, without its newest optional part:
            // first the step mark's side branch (msv_model_step_wait_mark then returns at once), then programmatic
            // edges (every decode step runs slower from there on). Said once each on stderr.
            const char* without = m.step_mark_on() ? "the step mark"
                                   : m.pdl()          ? "programmatic dependent launch"
                                                      : nullptr;
            if ((err != cudaSuccess || s != MSV_OK) && without != nullptr) {
                std::fprintf(stderr,
                             "mambaserve: decode graph capture of %d rows with %s failed (%s); capturing without it\n",
                             rows, without, err != cudaSuccess ? cudaGetErrorString(err) : msv_last_error());
                (void)cudaGetLastError();
                if (m.step_mark_on()) m.step_mark_off();
                else m.set_pdl(false);
                for (Entry& e : graphs_) (void)cudaGraphExecDestroy(e.exec);
                graphs_.clear();
                return capture_buckets(m);
            }
            if (s != MSV_OK) return s;
            if (err != cudaSuccess) return m.fail(err, "msv_model_allocate_pool: decode graph capture");
            graphs_.push_back({rows, kernels, exec});
        }
    return MSV_OK;
}

msv_status DecodeGraphs::replay(int rows, SamplerKernels kernels, cudaStream_t stream) {
    for (const Entry& e : graphs_)
        if (e.rows == rows && e.kernels == kernels)
            return launch_status(cudaGraphLaunch(e.exec, stream), "graph launch");
    return set_error(MSV_ERR_DEVICE, "no decode graph for " + std::to_string(rows) + " rows" +
                                         (kernels == SamplerKernels::kGreedy  ? " of greedy targets alone"
                                          : kernels == SamplerKernels::kPlain ? " of plain greedy targets alone"
                                                                              : ""));
}

}  // namespace msv::gpu::model
