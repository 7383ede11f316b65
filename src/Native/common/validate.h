// Argument checks shared by the <family>_api.cpp entry points. Each check names the offending field in the message,
// so a managed caller sees e.g. "msv_selective_scan_fwd: u is NULL". Device pointers are never dereferenced here.
#pragma once

#include "common/error.h"

#include <cstdint>
#include <string>

namespace msv {

class Validator {
public:
    explicit Validator(const char* function) : function_(function) {}

    bool ok() const { return ok_; }
    msv_status status() const { return ok_ ? MSV_OK : MSV_ERR_INVALID_ARGUMENT; }

    Validator& not_null(const void* ptr, const char* field) {
        if (ok_ && ptr == nullptr) fail(std::string(field) + " is NULL");
        return *this;
    }
    Validator& positive(int64_t value, const char* field) {
        if (ok_ && value <= 0) fail(std::string(field) + " must be > 0, got " + std::to_string(value));
        return *this;
    }
    Validator& at_least(int64_t value, int64_t minimum, const char* field) {
        if (ok_ && value < minimum)
            fail(std::string(field) + " must be >= " + std::to_string(minimum) + ", got " + std::to_string(value));
        return *this;
    }
    Validator& dtype(msv_dtype value, const char* field) {
        if (ok_ && value != MSV_F32 && value != MSV_F16 && value != MSV_BF16)
            fail(std::string(field) + " is not a valid msv_dtype: " + std::to_string(static_cast<int>(value)));
        return *this;
    }
    // A rule the typed checks above do not cover; `describe` (returning the message after "function: ") runs only
    // when the rule is broken, so a passing call builds no string.
    template <typename Describe>
    Validator& check(bool holds, const Describe& describe) {
        if (ok_ && !holds) fail(describe());
        return *this;
    }
    // A [batch, seqlen, width] view: rows must not overlap (>= width apart when there is more than one row), and
    // batch entries must be >= 0 apart. Overlap between batch entries is only rejected for written views.
    Validator& view(int64_t batch_stride, int64_t row_stride, int64_t batch, int64_t seqlen, int64_t width,
                    const char* name, bool written) {
        if (!ok_) return *this;
        const std::string n(name);
        if (seqlen > 1 && row_stride < width)
            fail(n + "_row_stride must be >= " + std::to_string(width) + ", got " + std::to_string(row_stride));
        else if (batch_stride < 0)
            fail(n + "_batch_stride must be >= 0, got " + std::to_string(batch_stride));
        else if (written && batch > 1 && batch_stride < (seqlen - 1) * row_stride + width)
            fail(n + "_batch_stride overlaps the previous batch entry: " + std::to_string(batch_stride));
        return *this;
    }

    msv_status finish() { return status(); }

private:
    void fail(const std::string& what) {
        ok_ = false;
        set_error(MSV_ERR_INVALID_ARGUMENT, std::string(function_) + ": " + what);
    }

    const char* function_;
    bool ok_ = true;
};

}  // namespace msv
