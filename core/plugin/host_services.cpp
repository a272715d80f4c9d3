#include "core/plugin/host_services.h"

#include <cstdlib>
#include <new>

#include <torch/csrc/api/include/torch/version.h>

#include "core/error.h"
#include "core/logging.h"

#ifndef MARIUS_VERSION_STRING
#error "MARIUS_VERSION_STRING must be defined by the build"
#endif

namespace marius {

namespace {

void host_log(int32_t level, const char* plugin, const char* message, uint64_t length) noexcept {
  try {
    spdlog::level::level_enum l = level <= MARIUS_LOG_TRACE   ? spdlog::level::trace
                                  : level == MARIUS_LOG_DEBUG ? spdlog::level::debug
                                  : level == MARIUS_LOG_INFO  ? spdlog::level::info
                                  : level == MARIUS_LOG_WARN  ? spdlog::level::warn
                                                              : spdlog::level::err;
    std::string_view text(message != nullptr ? message : "", message != nullptr ? length : 0);
    logger().log(l, "[{}] {}", plugin != nullptr ? plugin : "plugin", text);
  } catch (...) {
    // Logging must never fail a plugin call.
  }
}

void* host_alloc(uint64_t size, uint64_t alignment) noexcept {
  if (alignment == 0) alignment = 64;
  if ((alignment & (alignment - 1)) != 0) return nullptr;
  if (alignment < sizeof(void*)) alignment = sizeof(void*);
  void* p = nullptr;
  if (posix_memalign(&p, alignment, size == 0 ? 1 : size) != 0) return nullptr;
  return p;
}

void host_free(void* pointer) noexcept { std::free(pointer); }

uint64_t host_rng_next(marius_rng* rng) noexcept { return rng != nullptr ? rng->engine() : 0; }

void host_rng_fill(marius_rng* rng, uint64_t* out, uint64_t count) noexcept {
  if (rng == nullptr || out == nullptr) return;
  for (uint64_t i = 0; i < count; ++i) out[i] = rng->engine();
}

const marius_host_api kHostApi = {
    sizeof(marius_host_api),
    MARIUS_ABI_MAJOR,
    MARIUS_ABI_MINOR,
    0,
    MARIUS_VERSION_STRING,
    TORCH_VERSION,
    &host_log,
    &host_set_error,
    &host_alloc,
    &host_free,
    &host_rng_next,
    &host_rng_fill,
};

}  // namespace

marius_status host_set_error(const marius_call_context* ctx, marius_status code, const char* message,
                             uint64_t length) noexcept {
  if (ctx == nullptr || ctx->host_state == nullptr) return code;
  try {
    auto* owner = static_cast<CallContext*>(ctx->host_state);
    owner->message_.assign(message != nullptr ? message : "", message != nullptr ? length : 0);
  } catch (...) {
    // Out of memory while copying the message: the status still goes through.
  }
  return code;
}

const marius_host_api* host_api() { return &kHostApi; }

CallContext::CallContext(std::string label, marius_rng* rng, uint32_t thread_index) : label_(std::move(label)) {
  ctx_.struct_size = sizeof(marius_call_context);
  ctx_.thread_index = thread_index;
  ctx_.host = host_api();
  ctx_.host_state = this;
  ctx_.device_type = kDLCPU;
  ctx_.device_id = 0;
  ctx_.stream = nullptr;
  ctx_.rng = rng;
}

void CallContext::check(marius_status status, const char* slot) {
  std::string message = std::move(message_);
  message_.clear();
  if (status == MARIUS_OK) return;
  if (status < MARIUS_ERR_INVALID_ARGUMENT || status > MARIUS_ERR_INTERNAL) {
    message = fmt::format("unknown status {}; {}", status, message);
    status = MARIUS_ERR_INTERNAL;
  }
  if (message.empty()) message = fmt::format("{} (the plugin gave no message)", status_name(status));
  throw Error(status, fmt::format("{}: {} failed: {}", label_, slot, message));
}

}  // namespace marius
