// GoogleTest runner for the GPU kernel tests; `--bench` runs the kernel benchmark (bench.cpp), `--bench-model`
// the model benchmark (bench_model.cpp), `--bench-blas` the BLAS path's products (bench_blas.cpp, CUDA).
#include <gtest/gtest.h>

#include <cstring>

namespace msv::test {
int run_bench();
int run_model_bench();
int run_blas_bench();
}

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--bench") == 0) return msv::test::run_bench();
        else if (std::strcmp(argv[i], "--bench-model") == 0) return msv::test::run_model_bench();
        else if (std::strcmp(argv[i], "--bench-blas") == 0) return msv::test::run_blas_bench();
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
