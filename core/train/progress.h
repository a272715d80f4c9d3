// core/train/progress.h - progress of long work on the terminal.
//
// On a terminal: one line redrawn in place at most every 0.2 s (bar, edges/s,
// loss, ETA). Otherwise (a log file, CI): a plain line every 10 s. Thread-safe:
// workers call advance() after each batch; nothing polls.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace marius {

class Progress {
 public:
  // `label` e.g. "epoch 3/10"; `total` units (edges) expected.
  Progress(std::string label, int64_t total, std::FILE* out = stderr);
  // Records `units` more done and their summed loss.
  void advance(int64_t units, double loss);
  // Clears the in-place line (on a terminal) so a summary can follow.
  void finish();

  int64_t done() const { return done_; }

 private:
  void draw(bool force);

  std::string label_;
  int64_t total_;
  std::FILE* out_;
  bool tty_;
  std::mutex mutex_;
  int64_t done_ = 0;
  double loss_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace marius
