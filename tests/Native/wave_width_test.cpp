// AMD's data-center GPUs (gfx90a, gfx942) run 64-wide wavefronts, NVIDIA and RDNA 32-wide. The kernels cooperate in
// MSV_GROUP-lane groups (common/vendor.h): every shuffle passes MSV_GROUP (or a width below it) and MSV_GROUP_MASK,
// and block reductions index partials by threadIdx.x / MSV_GROUP. This test reads the kernel sources and fails on
// a 32-lane mask, a literal shuffle width, or a lane / warp index computed from a literal 32 or warpSize, so a
// kernel that would be wrong on a 64-wide wavefront cannot land unnoticed. (ModelGpuErrors.DeviceQuery_* checks
// on the device that its warp is a whole number of groups.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

TEST(WaveWidth, KernelSources_UseTheGroupConstants) {
    const fs::path root(MSV_NATIVE_SOURCE_DIR);
    ASSERT_TRUE(fs::exists(root / "common" / "vendor.h")) << root;
    const std::vector<std::pair<std::regex, std::string>> rules = {
        {std::regex(R"(0x[fF]{8})"), "a literal 32-lane mask (use MSV_GROUP_MASK)"},
        {std::regex(R"(__shfl\w*\(.*,\s*[0-9]+\s*\))"), "a literal shuffle width (use MSV_GROUP)"},
        {std::regex(R"(\bwarpSize\b)"), "warpSize (the kernels cooperate in MSV_GROUP lanes)"},
        {std::regex(R"(threadIdx\.x\s*(%|/)\s*32\b)"), "a lane or warp index from a literal 32"},
        {std::regex(R"(threadIdx\.x\s*(&\s*31|>>\s*5)\b)"), "a lane or warp index from a literal 32"},
    };
    int files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        const std::string ext = entry.path().extension().string();
        if (ext != ".cu" && ext != ".cuh") continue;
        ++files;
        std::ifstream in(entry.path());
        std::string line;
        for (int n = 1; std::getline(in, line); ++n)
            for (const auto& [re, why] : rules)
                EXPECT_FALSE(std::regex_search(line, re)) << entry.path().lexically_relative(root).string() << ":" << n
                                                          << ": " << why << "\n  " << line;
    }
    EXPECT_GT(files, 10);
}

}  // namespace
