// core/run/interrupt.h - a process-wide request to stop training (Ctrl-C).
//
// request_interrupt() is async-signal-safe (it stores to a lock-free atomic).
// The pipeline checks interrupt_requested() before admitting each batch, so
// the batches in flight finish and training stops with Error(CANCELLED).
// InterruptHandler installs SIGINT and SIGTERM handlers that request it while
// alive (one alive at a time); a second signal restores the default action
// (terminates at once). A signal the process inherited as ignored (a
// background job of a script, nohup) stays ignored.
#pragma once

namespace marius {

void request_interrupt() noexcept;
bool interrupt_requested() noexcept;
void clear_interrupt() noexcept;

class InterruptHandler {
 public:
  InterruptHandler();   // installs the handlers, clears a previous request
  ~InterruptHandler();  // restores the previous handlers
  InterruptHandler(const InterruptHandler&) = delete;
  InterruptHandler& operator=(const InterruptHandler&) = delete;
};

}  // namespace marius
