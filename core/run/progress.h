// core/run/progress.h - progress of long work on the terminal.
//
// On a terminal: one line redrawn in place at most every 0.2 s (bar, edges/s,
// loss, ETA). Otherwise (a log file, CI): a plain line every 10 s. With no
// stream (out == nullptr) nothing is printed. Thread-safe: workers call
// advance() after each batch; nothing polls. An observer (the C embedding API's
// progress callback) sees every advance().
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>

namespace marius {

class Progress {
 public:
  // `label` e.g. "epoch 3/10"; `total` units expected, named `unit` ("edges",
  // "nodes"); `out` may be nullptr (silent). `with_loss` false: work without
  // a loss (evaluation), whose line shows none.
  Progress(std::string label, int64_t total, std::FILE* out = stderr, std::string unit = "edges",
           bool with_loss = true);

  // Called after every advance(), under the progress lock (so never twice at
  // once), on the advancing worker's thread, with the units done so far, the
  // total and the summed loss. It must not throw; set it before work starts.
  using Observer = std::function<void(int64_t done, int64_t total, double loss_sum)>;
  void set_observer(Observer observer) { observer_ = std::move(observer); }
  // Records `units` more done and their summed loss.
  void advance(int64_t units, double loss);
  // Clears the in-place line (on a terminal) so a summary can follow.
  void finish();

  int64_t done() const { return done_; }

 private:
  void draw(bool force);

  std::string label_;
  std::string unit_;
  int64_t total_;
  std::FILE* out_;
  bool tty_;
  bool with_loss_;
  std::mutex mutex_;
  int64_t done_ = 0;
  double loss_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  Observer observer_;
};

}  // namespace marius
