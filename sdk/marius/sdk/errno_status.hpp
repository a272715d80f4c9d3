// marius/sdk/errno_status.hpp - the one mapping from an operating-system error
// (errno) to a marius_status, shared by the core's writers (checkpoints, exports,
// dataset files) and the storage-backend plugins. Header-only; depends only on
// the status codes of <marius/abi/common.h>.
#pragma once

#include <cerrno>

#include "marius/abi/common.h"

namespace marius::sdk {

// ENOSPC and EDQUOT (a full device or quota) -> NO_SPACE, ENOENT -> NOT_FOUND,
// ENOMEM -> OUT_OF_MEMORY, anything else -> IO.
inline marius_status status_of_errno(int err) noexcept {
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      return MARIUS_ERR_NO_SPACE;
    case ENOENT:
      return MARIUS_ERR_NOT_FOUND;
    case ENOMEM:
      return MARIUS_ERR_OUT_OF_MEMORY;
    default:
      return MARIUS_ERR_IO;
  }
}

}  // namespace marius::sdk
