#include "common/error.h"

#include "common/abi.h"  // compiled into every backend library, so every backend checks the layouts

namespace {
thread_local std::string t_last_error;
}

namespace msv {

msv_status set_error(msv_status status, const std::string& message) {
    try {
        t_last_error = message;
    } catch (...) {
        // Out of memory while formatting: the status alone still tells the caller what failed.
    }
    return status;
}

void clear_error() { t_last_error.clear(); }

}  // namespace msv

extern "C" MSV_API const char* msv_last_error(void) { return t_last_error.c_str(); }
