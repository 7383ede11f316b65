// Helpers for the GPU kernel tests: host mirrors of device buffers in one dtype, host-side fp16/bf16 rounding
// (so the fp32 reference sees exactly the values the kernel reads), NaN poisoning, and a tolerance check.
#pragma once

#if !defined(MSV_TESTS_HOST_ONLY)  // the CPU library's test binary has no device runtime (CMakeLists.txt)
#include "common/vendor.h"
#endif
#include "mambaserve.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace msv::test {

#if !defined(MSV_TESTS_HOST_ONLY)
inline void cuda_ok(cudaError_t err, const char* what) {
    if (err != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(err));
}
#endif

inline void msv_ok(msv_status status, const char* what) {
    if (status != MSV_OK)
        throw std::runtime_error(std::string(what) + " returned " + std::to_string(status) + ": " + msv_last_error());
}

size_t dtype_size(msv_dtype dtype);
const char* dtype_name(msv_dtype dtype);
uint16_t float_to_half(float f);
float half_to_float(uint16_t h);
uint16_t float_to_bf16(float f);
float bf16_to_float(uint16_t b);
// The value `f` becomes once stored in `dtype`.
float round_to(msv_dtype dtype, float f);

#if !defined(MSV_TESTS_HOST_ONLY)
// One tensor as the kernel sees it (device, in `dtype`) and as the reference sees it (host, fp32 values that are
// exactly representable in `dtype`). Copies and moves are disallowed: it owns device memory.
class Buffer {
public:
    Buffer(msv_dtype dtype, size_t count);
    ~Buffer();
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;

    msv_dtype dtype() const { return dtype_; }
    size_t size() const { return host_.size(); }
    float* host() { return host_.data(); }
    std::vector<float>& values() { return host_; }
    void* device() { return device_; }
    template <typename T> T* device_as() { return static_cast<T*>(device_); }

    // Normal(mean, stddev) or uniform [lo, hi) values, rounded to the dtype.
    void normal(std::mt19937& rng, float mean = 0.0f, float stddev = 1.0f);
    void uniform(std::mt19937& rng, float lo, float hi);
    // Host and device all-NaN (bytes 0xFF: a NaN in every dtype); an element the kernel should not write stays so.
    void poison();
    void upload();
    std::vector<float> download() const;
    // Raw dtype bits of the host values (fp16/bf16 only), for a reference that reads bf16 storage.
    std::vector<uint16_t> bits() const;
    void set_from_bits(const std::vector<uint16_t>& bits);

private:
    msv_dtype dtype_;
    std::vector<float> host_;
    void* device_ = nullptr;
};
#endif

// Every element of `got` must be within tol * (|want| + rms(want)) of `want`; where `want` is NaN (a poisoned
// element the reference did not write), `got` must be NaN too. NaN in `got` elsewhere fails.
::testing::AssertionResult all_close(const std::vector<float>& got, const std::vector<float>& want, double tol);

// Tolerance for an output stored in `dtype` and computed in fp32 from the same rounded inputs as the reference:
// the output rounding (fp16 2^-11, bf16 2^-8 relative) plus fp32 reordering.
double tolerance(msv_dtype dtype);

// Distinct, unsorted slot indices in [0, slots) for `batch` entries.
std::vector<int32_t> random_slots(std::mt19937& rng, int batch, int slots);

// Fresh seed per test (printed in the failure message so a failure can be replayed).
unsigned fresh_seed();

#if !defined(MSV_TESTS_HOST_ONLY)
class DeviceInts {
public:
    explicit DeviceInts(const std::vector<int32_t>& values);
    ~DeviceInts();
    DeviceInts(const DeviceInts&) = delete;
    DeviceInts& operator=(const DeviceInts&) = delete;
    const int32_t* get() const { return device_; }

private:
    int32_t* device_ = nullptr;
};

// A non-default stream, so the tests also check that kernels run on the stream the caller passes.
class Stream {
public:
    Stream() { cuda_ok(cudaStreamCreate(&stream_), "cudaStreamCreate"); }
    ~Stream() { (void)cudaStreamDestroy(stream_); }
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    void* handle() const { return static_cast<void*>(stream_); }
    void sync() const { cuda_ok(cudaStreamSynchronize(stream_), "cudaStreamSynchronize"); }

private:
    cudaStream_t stream_{};
};
#endif

// Sets an environment variable for one scope (the model reads its MSV_* knobs at create; kernels such as the
// scan read theirs at each launch).
// The value it had before comes back at the end of the scope (run-device.sh's TEST_ENVS set knobs for a whole run).
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) had_ = true, old_ = old;
        setenv(name, value, 1);
    }
    ~ScopedEnv() {
        if (had_)
            setenv(name_, old_.c_str(), 1);
        else
            unsetenv(name_);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* name_;
    bool had_ = false;
    std::string old_;
};

}  // namespace msv::test
