#include "core/run/interrupt.h"

#include <atomic>
#include <csignal>

namespace marius {

namespace {

std::atomic<bool> requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "request_interrupt must be async-signal-safe");

struct sigaction previous_int, previous_term;

extern "C" void on_signal(int signal) {
  if (requested.exchange(true)) {  // the second one: stop now
    std::signal(signal, SIG_DFL);
    std::raise(signal);
  }
}

bool installed_int = false, installed_term = false;

// Installs on_signal for `signal` unless the signal is ignored (a background
// job of a script, nohup): that choice of the parent is kept.
bool install(int signal, struct sigaction* previous) {
  if (sigaction(signal, nullptr, previous) != 0 || previous->sa_handler == SIG_IGN) return false;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  return sigaction(signal, &action, nullptr) == 0;
}

}  // namespace

void request_interrupt() noexcept { requested.store(true); }
bool interrupt_requested() noexcept { return requested.load(std::memory_order_relaxed); }
void clear_interrupt() noexcept { requested.store(false); }

InterruptHandler::InterruptHandler() {
  clear_interrupt();
  installed_int = install(SIGINT, &previous_int);
  installed_term = install(SIGTERM, &previous_term);
}

InterruptHandler::~InterruptHandler() {
  if (installed_int) sigaction(SIGINT, &previous_int, nullptr);
  if (installed_term) sigaction(SIGTERM, &previous_term, nullptr);
}

}  // namespace marius
