#include "core/run/progress.h"

#include <unistd.h>

#include <fmt/format.h>

namespace marius {

Progress::Progress(std::string label, int64_t total, std::FILE* out, std::string unit, bool with_loss)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      out_(out),
      tty_(out != nullptr && isatty(fileno(out)) != 0),
      with_loss_(with_loss) {
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

void Progress::advance(int64_t units, double loss) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ += units;
  loss_ += loss;
  if (observer_) observer_(done_, total_, loss_);
  draw(false);
}

void Progress::draw(bool force) {
  if (out_ == nullptr) return;
  auto now = std::chrono::steady_clock::now();
  double since_draw = std::chrono::duration<double>(now - last_draw_).count();
  if (!force && since_draw < (tty_ ? 0.2 : 10.0)) return;
  last_draw_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double rate = elapsed > 0 ? done_ / elapsed : 0;
  double eta = rate > 0 ? (total_ - done_) / rate : 0;
  double fraction = total_ > 0 ? static_cast<double>(done_) / total_ : 1;
  double mean_loss = done_ > 0 ? loss_ / done_ : 0;
  const std::string loss = with_loss_ ? fmt::format("{}loss {:.4f}", tty_ ? "  " : ", ", mean_loss) : std::string();
  if (tty_) {
    const int width = 30;
    int filled = static_cast<int>(fraction * width);
    fmt::print(out_, "\r{} [{}{}] {:5.1f}% {:>9.0f} {}/s{}  ETA {:.0f}s\x1b[K", label_, std::string(filled, '#'),
               std::string(width - filled, '.'), 100 * fraction, rate, unit_, loss, eta);
  } else {
    fmt::print(out_, "{}: {}/{} {} ({:.1f}%), {:.0f} {}/s{}, ETA {:.0f}s\n", label_, done_, total_, unit_,
               100 * fraction, rate, unit_, loss, eta);
  }
  std::fflush(out_);
}

void Progress::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (tty_ && out_ != nullptr) {
    fmt::print(out_, "\r\x1b[K");
    std::fflush(out_);
  }
}

}  // namespace marius
