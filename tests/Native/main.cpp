// GoogleTest runner for the GPU kernel tests; `--bench` runs the kernel benchmark (bench.cpp), `--bench-model`
// the model benchmark (bench_model.cpp), `--bench-blas` the BLAS path's products (bench_blas.cpp, CUDA). The CPU
// library's test binary (MSV_TESTS_HOST_ONLY) has the tests alone.
#include <gtest/gtest.h>

#include <cstring>

#if !defined(MSV_TESTS_HOST_ONLY)
namespace msv::test {
int run_bench();
int run_model_bench();
int run_blas_bench();
}
#endif

int main(int argc, char** argv) {
#if !defined(MSV_TESTS_HOST_ONLY)
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--bench") == 0) return msv::test::run_bench();
        else if (std::strcmp(argv[i], "--bench-model") == 0) return msv::test::run_model_bench();
        else if (std::strcmp(argv[i], "--bench-blas") == 0) return msv::test::run_blas_bench();
#endif
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
