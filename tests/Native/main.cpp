// GoogleTest runner for the GPU kernel tests; `--bench` runs the benchmark (bench.cpp) instead.
#include <gtest/gtest.h>

#include <cstring>

namespace msv::test {
int run_bench();
}

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--bench") == 0) return msv::test::run_bench();
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
