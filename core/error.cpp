#include "core/error.h"

namespace marius {

const char* status_name(marius_status code) noexcept {
  switch (code) {
    case MARIUS_OK: return "OK";
    case MARIUS_ERR_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case MARIUS_ERR_NOT_FOUND: return "NOT_FOUND";
    case MARIUS_ERR_OUT_OF_RANGE: return "OUT_OF_RANGE";
    case MARIUS_ERR_IO: return "IO";
    case MARIUS_ERR_NO_SPACE: return "NO_SPACE";
    case MARIUS_ERR_OUT_OF_MEMORY: return "OUT_OF_MEMORY";
    case MARIUS_ERR_UNSUPPORTED: return "UNSUPPORTED";
    case MARIUS_ERR_VERSION_MISMATCH: return "VERSION_MISMATCH";
    case MARIUS_ERR_INTERNAL: return "INTERNAL";
    case MARIUS_ERR_CANCELLED: return "CANCELLED";
    case MARIUS_ERR_NON_FINITE: return "NON_FINITE";
    default: return "UNKNOWN";
  }
}

}  // namespace marius
