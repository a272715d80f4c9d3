// core/capi/guard.h - the boundary of the C embedding API (abi/marius/embedding.h).
//
// Every exported function runs its body through guard(): nothing thrown inside
// (marius::Error, std::bad_alloc, c10::Error, anything) crosses the C ABI. A
// failure becomes a status plus a message, stored as this thread's last error
// (marius_last_error) and, when a session is involved, as the session's
// (marius_session_error). Reporting never throws either.
#pragma once

#include <cstdint>
#include <cstring>
#include <new>
#include <string>

#include "core/error.h"
#include "marius/embedding.h"

namespace marius::capi {

// Stores `message` (prefixed "<call>: " when call is non-null) as the thread's
// and the session's last error; returns `code`. Never throws.
marius_status report(marius_session* session, marius_status code, const char* call, const char* message) noexcept;

// This thread's last error ("" if none).
const char* last_error_text() noexcept;

// The message of a c10::Error without its C++ backtrace (c10 headers stay out of here).
const char* c10_message(const std::exception& e) noexcept;

template <class Body>
marius_status guard(const char* call, marius_session* session, Body&& body) noexcept {
  try {
    body();
    return MARIUS_OK;
  } catch (const Error& e) {
    // marius::Error messages already name their context (key, file, plugin).
    return report(session, e.code() == MARIUS_OK ? MARIUS_ERR_INTERNAL : e.code(), nullptr, e.what());
  } catch (const std::bad_alloc&) {
    return report(session, MARIUS_ERR_OUT_OF_MEMORY, call, "out of memory");
  } catch (const std::exception& e) {
    return report(session, MARIUS_ERR_INTERNAL, call, c10_message(e));
  } catch (...) {
    return report(session, MARIUS_ERR_INTERNAL, call, "unknown exception");
  }
}

// Throws Error(INVALID_ARGUMENT) "<call>: <what> is NULL" when p is null.
template <class T>
void require(const T* p, const char* call, const char* what) {
  if (p == nullptr) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} is NULL", call, what);
}

// Checks a caller-filled struct_size against the struct's frozen 1.0 size.
void require_size(uint32_t struct_size, uint64_t minimum, const char* call, const char* type);

// Copies `value` into the caller's struct `out` up to the smaller of the two
// sizes, and stores that size in out->struct_size (the rule for output structs).
template <class T>
void fill_out(T* out, T value) noexcept {
  uint32_t size = out->struct_size < sizeof(T) ? out->struct_size : static_cast<uint32_t>(sizeof(T));
  value.struct_size = size;
  std::memcpy(static_cast<void*>(out), &value, size);
}

}  // namespace marius::capi
