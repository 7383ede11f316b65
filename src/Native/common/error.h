// Thread-local error message behind msv_last_error, and the guard every extern "C" entry point runs its body in.
#pragma once

#include "mambaserve.h"

#include <exception>
#include <new>
#include <string>

namespace msv {

// Sets the message msv_last_error returns on this thread; returns `status` so callers can `return set_error(...)`.
msv_status set_error(msv_status status, const std::string& message);
void clear_error();

// Runs `body` (returning msv_status) so that no C++ exception crosses the C boundary.
template <typename F>
msv_status guarded(const char* function, F&& body) noexcept {
    try {
        clear_error();
        return body();
    } catch (const std::bad_alloc&) {
        return set_error(MSV_ERR_OUT_OF_MEMORY, std::string(function) + ": out of host memory");
    } catch (const std::exception& e) {
        return set_error(MSV_ERR_DEVICE, std::string(function) + ": " + e.what());
    } catch (...) {
        return set_error(MSV_ERR_DEVICE, std::string(function) + ": unknown C++ exception");
    }
}

}  // namespace msv
