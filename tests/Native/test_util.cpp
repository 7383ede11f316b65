#include "test_util.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <sstream>

namespace msv::test {

size_t dtype_size(msv_dtype dtype) { return dtype == MSV_F32 ? 4 : 2; }

const char* dtype_name(msv_dtype dtype) {
    switch (dtype) {
        case MSV_F32: return "f32";
        case MSV_F16: return "f16";
        case MSV_BF16: return "bf16";
    }
    return "?";
}

uint16_t float_to_half(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    const uint32_t sign = (x >> 16) & 0x8000u;
    x &= 0x7fffffffu;
    if (x > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);
    if (x >= 0x47800000u) return static_cast<uint16_t>(sign | 0x7c00u);
    if (x < 0x38800000u) {  // half subnormal or zero: multiples of 2^-24, scaling by 2^24 is exact
        float a;
        std::memcpy(&a, &x, 4);
        return static_cast<uint16_t>(sign | static_cast<uint32_t>(std::nearbyint(a * 16777216.0f)));
    }
    uint32_t r = x - 0x38000000u;  // rebias the exponent (127 -> 15); round the mantissa to 10 bits, ties to even
    r += 0xfffu + ((r >> 13) & 1u);
    return static_cast<uint16_t>(sign | (r >> 13));
}

float half_to_float(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    const uint32_t man = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0) {
        const float v = std::ldexp(static_cast<float>(man), -24);
        std::memcpy(&bits, &v, 4);
        bits |= sign;
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 112u) << 23) | (man << 13);
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

uint16_t float_to_bf16(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return static_cast<uint16_t>(u >> 16);
}

float bf16_to_float(uint16_t b) {
    const uint32_t u = static_cast<uint32_t>(b) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

float round_to(msv_dtype dtype, float f) {
    switch (dtype) {
        case MSV_F16: return half_to_float(float_to_half(f));
        case MSV_BF16: return bf16_to_float(float_to_bf16(f));
        default: return f;
    }
}

#if !defined(MSV_TESTS_HOST_ONLY)
Buffer::Buffer(msv_dtype dtype, size_t count) : dtype_(dtype), host_(count) {
    cuda_ok(cudaMalloc(&device_, std::max<size_t>(count, 1) * dtype_size(dtype)), "cudaMalloc");
}

Buffer::~Buffer() { (void)cudaFree(device_); }

void Buffer::normal(std::mt19937& rng, float mean, float stddev) {
    std::normal_distribution<float> dist(mean, stddev);
    for (float& v : host_) v = round_to(dtype_, dist(rng));
}

void Buffer::uniform(std::mt19937& rng, float lo, float hi) {
    std::uniform_real_distribution<float> dist(lo, hi);
    for (float& v : host_) v = round_to(dtype_, dist(rng));
}

void Buffer::poison() {
    std::fill(host_.begin(), host_.end(), std::numeric_limits<float>::quiet_NaN());
    cuda_ok(cudaMemset(device_, 0xFF, host_.size() * dtype_size(dtype_)), "cudaMemset");
}

void Buffer::upload() {
    if (dtype_ == MSV_F32) {
        cuda_ok(cudaMemcpy(device_, host_.data(), host_.size() * 4, cudaMemcpyHostToDevice), "cudaMemcpy H2D");
        return;
    }
    const std::vector<uint16_t> b = bits();
    cuda_ok(cudaMemcpy(device_, b.data(), b.size() * 2, cudaMemcpyHostToDevice), "cudaMemcpy H2D");
}

std::vector<float> Buffer::download() const {
    std::vector<float> out(host_.size());
    if (dtype_ == MSV_F32) {
        cuda_ok(cudaMemcpy(out.data(), device_, out.size() * 4, cudaMemcpyDeviceToHost), "cudaMemcpy D2H");
        return out;
    }
    std::vector<uint16_t> b(host_.size());
    cuda_ok(cudaMemcpy(b.data(), device_, b.size() * 2, cudaMemcpyDeviceToHost), "cudaMemcpy D2H");
    for (size_t i = 0; i < b.size(); ++i) out[i] = dtype_ == MSV_F16 ? half_to_float(b[i]) : bf16_to_float(b[i]);
    return out;
}

std::vector<uint16_t> Buffer::bits() const {
    std::vector<uint16_t> b(host_.size());
    for (size_t i = 0; i < b.size(); ++i)
        b[i] = dtype_ == MSV_F16 ? float_to_half(host_[i]) : float_to_bf16(host_[i]);
    return b;
}

void Buffer::set_from_bits(const std::vector<uint16_t>& b) {
    for (size_t i = 0; i < b.size(); ++i) host_[i] = dtype_ == MSV_F16 ? half_to_float(b[i]) : bf16_to_float(b[i]);
}
#endif

::testing::AssertionResult all_close(const std::vector<float>& got, const std::vector<float>& want, double tol) {
    if (got.size() != want.size()) return ::testing::AssertionFailure() << "size " << got.size() << " vs " << want.size();
    double sumsq = 0.0;
    size_t counted = 0;
    for (float w : want) {
        if (!std::isnan(w)) {
            sumsq += static_cast<double>(w) * w;
            ++counted;
        }
    }
    if (counted == 0) return ::testing::AssertionFailure() << "reference has no written element";
    const double rms = std::sqrt(sumsq / static_cast<double>(counted));
    size_t bad = 0, first = 0;
    double worst = 0.0;
    for (size_t i = 0; i < got.size(); ++i) {
        bool ok;
        double err = 0.0;
        if (std::isnan(want[i])) {
            ok = std::isnan(got[i]);
        } else {
            err = std::fabs(static_cast<double>(got[i]) - want[i]);
            ok = err <= tol * (std::fabs(static_cast<double>(want[i])) + rms);  // false for NaN
        }
        if (!ok) {
            if (bad++ == 0) first = i;
        }
        if (err / (std::fabs(static_cast<double>(want[i])) + rms) > worst) worst = err / (std::fabs(want[i]) + rms);
    }
    if (bad == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << bad << " of " << got.size() << " elements off (tol " << tol
                                         << ", worst scaled error " << worst << "); first at " << first << ": got "
                                         << got[first] << ", want " << want[first] << " (rms " << rms << ")";
}

double tolerance(msv_dtype dtype) {
    switch (dtype) {
        case MSV_F16: return 2e-3;
        case MSV_BF16: return 1e-2;
        default: return 2e-4;
    }
}

std::vector<int32_t> random_slots(std::mt19937& rng, int batch, int slots) {
    std::vector<int32_t> all(slots);
    std::iota(all.begin(), all.end(), 0);
    std::shuffle(all.begin(), all.end(), rng);
    all.resize(batch);
    return all;
}

unsigned fresh_seed() { return std::random_device{}(); }

#if !defined(MSV_TESTS_HOST_ONLY)
DeviceInts::DeviceInts(const std::vector<int32_t>& values) {
    cuda_ok(cudaMalloc(reinterpret_cast<void**>(&device_), std::max<size_t>(values.size(), 1) * 4), "cudaMalloc");
    cuda_ok(cudaMemcpy(device_, values.data(), values.size() * 4, cudaMemcpyHostToDevice), "cudaMemcpy H2D");
}

DeviceInts::~DeviceInts() { (void)cudaFree(device_); }
#endif

}  // namespace msv::test
