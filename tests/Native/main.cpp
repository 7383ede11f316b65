// GoogleTest runner for the GPU kernel tests; `--bench` runs the kernel benchmark (bench.cpp), `--bench-model`
// the model benchmark (bench_model.cpp).
#include <gtest/gtest.h>

#include <cstring>

namespace msv::test {
int run_bench();
int run_model_bench();
}

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--bench") == 0) return msv::test::run_bench();
        else if (std::strcmp(argv[i], "--bench-model") == 0) return msv::test::run_model_bench();
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
