// core/capi/handle.h - what a marius_session handle holds.
//
// One marius::Session (link prediction) or marius::NodeClassificationSession
// (model.task = "node_classification"), plus the C API's own state: the mutex that serialises
// calls on the session, the session's last error, and caches of the original
// ids (read from the dataset on first use, kept until close so the strings the
// API hands out stay valid).
//
// Closing releases the session and everything it holds, but not the handle:
// the handle becomes a tombstone (closed = true, a few hundred bytes) that is
// never freed, so a call racing with close, or made after it, locks a live
// mutex and fails "<call>: the session is closed" instead of touching freed
// memory. Every handle ever opened stays on a process-wide list (keep_handle),
// which keeps tombstones reachable (leak checkers stay quiet).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/run/session.h"
#include "core/tasks/node_classification/node_classification_session.h"
#include "marius/embedding.h"

namespace marius::capi {

// The original ids of one table, in row order.
struct Names {
  std::vector<std::string> list;
  std::string blob;                                 // each name + '\0'
  std::unordered_map<std::string, int64_t> rows;    // name -> row
};

}  // namespace marius::capi

struct marius_session {
  std::mutex mutex;                         // held by every call on the session
  bool closed = false;                      // under mutex; set once by close, never cleared
  std::unique_ptr<marius::Session> session; // link prediction; null once closed
  std::unique_ptr<marius::NodeClassificationSession> classifier;  // node classification; null once closed
  std::string dataset_dir, output_dir, score, task;
  std::optional<marius::capi::Names> node_names, relation_names;

  std::mutex error_mutex;  // the message only
  std::string error;

  marius_session* next_handle = nullptr;  // the process-wide list of handles (written once, at open)

  // Locks the session for `call`. Throws Error(INVALID_ARGUMENT) when the
  // calling thread is inside this session's progress callback (the session is
  // busy training and would deadlock), and, once the lock is taken, when the
  // session is closed.
  std::unique_lock<std::mutex> lock(const char* call);

  // Releases the session, its tables (but not tensors handed out) and the
  // caches, and marks the handle closed. REQUIRES: lock held, not closed.
  void release() noexcept;

  // The original ids of MARIUS_TABLE_NODES (and _REPRESENTATIONS) or
  // MARIUS_TABLE_RELATIONS (relation rows include the "@inverse" rows).
  // REQUIRES: lock held.
  const marius::capi::Names& names(int32_t table, const char* call);
  // The row of original node id `id`; Error(NOT_FOUND) naming it otherwise. REQUIRES: lock held.
  int64_t node_row(const char* id, const char* call);

  // The link-prediction session; a node-classification one fails
  // INVALID_ARGUMENT "<call>: … <instead>". REQUIRES: lock held, not closed.
  marius::Session& link_prediction(const char* call, const char* instead);
  // The node-classification session; a link-prediction one fails INVALID_ARGUMENT.
  marius::NodeClassificationSession& node_classification(const char* call);
  const marius::Dataset& dataset() const;
};

namespace marius::capi {

// The session whose progress callback this thread is running, or nullptr.
marius_session*& callback_session() noexcept;

// Puts a new handle on the process-wide list; handles are never freed once on
// it (see above). Never fails.
void keep_handle(marius_session* handle) noexcept;

// The handle `session` points to; Error(INVALID_ARGUMENT) naming `call` when it is NULL.
marius_session& checked(marius_session* session, const char* call);

// Throws Error(INVALID_ARGUMENT) naming `call` when `table` is not a MARIUS_TABLE_* (1, 2 or 3).
void require_table(int32_t table, const char* call);

}  // namespace marius::capi
