#include "core/train/pipeline.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "core/error.h"
#include "core/train/interrupt.h"

namespace marius {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

[[noreturn]] void throw_cancelled() {
  fail(MARIUS_ERR_CANCELLED, "training interrupted: the batches in flight were applied, no new batch was started");
}

void finish_stage(StageStats& s, double active) {
  s.idle_seconds = std::max(0.0, s.workers * active - s.busy_seconds);
  s.busy_fraction = s.workers * active > 0 ? s.busy_seconds / (s.workers * active) : 0.0;
}

std::string stage_json(const StageStats& s) {
  return fmt::format(
      "{{\"workers\":{},\"on_compute_workers\":{},\"batches\":{},\"busy_seconds\":{:.3f},\"idle_seconds\":{:.3f},"
      "\"busy\":{:.4f}}}",
      s.workers, s.inline_stage, s.batches, s.busy_seconds, s.idle_seconds, s.busy_fraction);
}

std::string queue_json(const QueueStats& q) {
  return fmt::format("{{\"capacity\":{},\"mean_depth\":{:.3f},\"max_depth\":{}}}", q.capacity, q.mean_depth(),
                     q.max_depth);
}

}  // namespace

std::string PipelineStats::json() const {
  if (mode == PipelineMode::kSync) {
    return fmt::format("{{\"mode\":\"sync\",\"staleness\":1,\"active_seconds\":{:.3f},\"stages\":{{\"load\":{},"
                       "\"compute\":{},\"update\":{}}}}}",
                       active_seconds, stage_json(load), stage_json(compute), stage_json(update));
  }
  return fmt::format(
      "{{\"mode\":\"pipelined\",\"staleness\":{},\"active_seconds\":{:.3f},\"stages\":{{\"load\":{},\"compute\":{},"
      "\"update\":{}}},\"queues\":{{\"load_to_compute\":{},\"compute_to_update\":{}}},\"admission_wait_seconds\":{:.3f},"
      "\"in_flight_mean\":{:.3f},\"in_flight_max\":{}}}",
      staleness, active_seconds, stage_json(load), stage_json(compute), stage_json(update), queue_json(load_to_compute),
      queue_json(compute_to_update), admission_wait_seconds, in_flight_mean, in_flight_max);
}

std::string PipelineStats::summary() const {
  auto pct = [](const StageStats& s) { return static_cast<int>(s.busy_fraction * 100 + 0.5); };
  if (mode == PipelineMode::kSync) {
    return fmt::format("sync: load {}%, compute {}%, update {}% of the time", pct(load), pct(compute), pct(update));
  }
  auto who = [](const StageStats& s) {
    return s.inline_stage ? std::string("on compute workers") : fmt::format("{}w", s.workers);
  };
  return fmt::format(
      "pipelined k={}: busy load {}% ({}), compute {}% ({}w), update {}% ({}); queues {:.1f}/{} {:.1f}/{}; in flight "
      "{:.1f}/{}",
      staleness, pct(load), who(load), pct(compute), compute.workers, pct(update), who(update),
      load_to_compute.mean_depth(), load_to_compute.capacity, compute_to_update.mean_depth(),
      compute_to_update.capacity, in_flight_mean, staleness);
}

Pipeline::Pipeline(const PipelineOptions& options, Stages stages)
    : options_(options),
      stages_(std::move(stages)),
      to_compute_(options.queue_size),
      to_update_(options.queue_size) {
  auto require = [](int64_t value, const char* key) {
    if (value < 1) fail(MARIUS_ERR_INVALID_ARGUMENT, "pipeline.{} = {}: expected a value >= 1", key, value);
  };
  require(options.staleness, "staleness");
  require(options.compute_workers, "compute_workers");
  for (auto [value, key] : {std::pair{options.load_workers, "load_workers"}, {options.update_workers, "update_workers"}}) {
    if (value < 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "pipeline.{} = {}: expected a value >= 0", key, value);
  }
  require(options.queue_size, "queue_size");
  const bool sync = options.mode == PipelineMode::kSync;
  stats_.mode = options.mode;
  stats_.staleness = sync ? 1 : options.staleness;
  // A stage run by the compute workers (0 workers of its own) counts their time.
  stats_.load.workers = sync ? 1 : options.load_workers > 0 ? options.load_workers : options.compute_workers;
  stats_.compute.workers = sync ? 1 : options.compute_workers;
  stats_.update.workers = sync ? 1 : options.update_workers > 0 ? options.update_workers : options.compute_workers;
  stats_.load.inline_stage = !sync && options.load_workers == 0;
  stats_.update.inline_stage = !sync && options.update_workers == 0;
  if (sync) return;
  try {
    for (int64_t i = 0; i < options.load_workers; ++i) threads_.emplace_back(&Pipeline::load_loop, this, i);
    for (int64_t i = 0; i < options.compute_workers; ++i) threads_.emplace_back(&Pipeline::compute_loop, this, i);
    for (int64_t i = 0; i < options.update_workers; ++i) threads_.emplace_back(&Pipeline::update_loop, this, i);
  } catch (...) {  // std::system_error from a thread that could not start
    shutdown();
    throw;
  }
}

Pipeline::~Pipeline() { shutdown(); }

void Pipeline::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    shutdown_ = true;
    stop_ = true;
  }
  admit_.notify_all();
  done_.notify_all();
  to_compute_.close();
  to_update_.close();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void Pipeline::stop_with(std::exception_ptr error) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_) error_ = error;
    stop_ = true;
  }
  admit_.notify_all();
  done_.notify_all();
  to_compute_.close();
  to_update_.close();
}

void Pipeline::add_busy(StageStats& stage, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  stage.busy_seconds += seconds;
  ++stage.batches;
}

bool Pipeline::admit(int64_t* index) {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    auto ready = [&] { return stop_ || (next_ < end_ && in_flight_ < options_.staleness); };
    if (!ready()) {
      const bool throttled = next_ < end_;  // work waits only because k batches are in flight
      auto start = Clock::now();
      admit_.wait(lock, ready);
      if (throttled) stats_.admission_wait_seconds += seconds_since(start);
    }
    if (stop_) return false;
    if (interrupt_requested()) {  // admit nothing more; run() throws once the batches in flight are done
      end_ = next_;
      if (completed_ == end_) done_.notify_all();
      continue;
    }
    *index = next_++;
    ++in_flight_;
    ++stats_.admitted;
    in_flight_sum_ += in_flight_;
    stats_.in_flight_max = std::max(stats_.in_flight_max, in_flight_);
    return true;
  }
}

void Pipeline::retire() {
  std::lock_guard<std::mutex> lock(mutex_);
  --in_flight_;
  ++completed_;
  admit_.notify_one();
  if (completed_ == end_) done_.notify_all();
}

// Each stage call: timed, and the first exception stops the pipeline (false).
template <class Call>
bool Pipeline::stage(StageStats& stats, Call&& call) {
  try {
    auto start = Clock::now();
    call();
    add_busy(stats, seconds_since(start));
    return true;
  } catch (...) {
    stop_with(std::current_exception());
    return false;
  }
}

void Pipeline::load_loop(uint32_t worker) {
  if (stages_.thread_start) stages_.thread_start();
  for (int64_t index; admit(&index);) {
    Item item;
    if (!stage(stats_.load, [&] {
          item = stages_.load(index, worker);
          item->index = index;
        })) {
      return;
    }
    if (!to_compute_.push(std::move(item))) return;
  }
}

// With load_workers = 0 a compute worker admits and loads its own batches;
// with update_workers = 0 it applies their updates itself.
void Pipeline::compute_loop(uint32_t worker) {
  if (stages_.thread_start) stages_.thread_start();
  const bool own_load = options_.load_workers == 0, own_update = options_.update_workers == 0;
  for (;;) {
    Item item;
    if (own_load) {
      int64_t index;
      if (!admit(&index)) return;
      if (!stage(stats_.load, [&] {
            item = stages_.load(index, worker);
            item->index = index;
          })) {
        return;
      }
    } else if (!to_compute_.pop(item)) {
      return;
    }
    if (!stage(stats_.compute, [&] { stages_.compute(*item, worker); })) return;
    if (own_update) {
      if (!stage(stats_.update, [&] {
            stages_.update(*item, worker);
            item.reset();
          })) {
        return;
      }
      retire();
    } else if (!to_update_.push(std::move(item))) {
      return;
    }
  }
}

void Pipeline::update_loop(uint32_t worker) {
  if (stages_.thread_start) stages_.thread_start();
  for (Item item; to_update_.pop(item);) {
    if (!stage(stats_.update, [&] {
          stages_.update(*item, worker);
          item.reset();
        })) {
      return;
    }
    retire();
  }
}

void Pipeline::run(int64_t num_batches) {
  auto start = Clock::now();
  if (options_.mode == PipelineMode::kSync) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (error_) std::rethrow_exception(error_);
    }
    try {
      run_sync(num_batches);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
      stats_.active_seconds += seconds_since(start);
      throw;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.active_seconds += seconds_since(start);
    return;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  if (error_) std::rethrow_exception(error_);
  if (stop_) throw_cancelled();
  next_ = 0;
  end_ = num_batches;
  completed_ = 0;
  admit_.notify_all();
  done_.wait(lock, [&] { return stop_ || completed_ == end_; });
  stats_.active_seconds += seconds_since(start);
  if (error_ || end_ < num_batches) {  // an error, or cancelled at admission
    stop_ = true;
    std::exception_ptr error = error_;
    lock.unlock();
    // Every stage has stopped before the caller hears of it: nothing touches
    // the caller's data (tables, edges) after run() returns or throws.
    shutdown();
    if (error) std::rethrow_exception(error);
    throw_cancelled();
  }
}

void Pipeline::run_sync(int64_t num_batches) {
  for (int64_t b = 0; b < num_batches; ++b) {
    if (interrupt_requested()) throw_cancelled();
    auto t0 = Clock::now();
    Item item = stages_.load(b, 0);
    item->index = b;
    auto t1 = Clock::now();
    stages_.compute(*item, 0);
    auto t2 = Clock::now();
    stages_.update(*item, 0);
    item.reset();
    auto t3 = Clock::now();
    std::lock_guard<std::mutex> lock(mutex_);
    auto span = [](Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };
    stats_.load.busy_seconds += span(t0, t1);
    stats_.compute.busy_seconds += span(t1, t2);
    stats_.update.busy_seconds += span(t2, t3);
    ++stats_.load.batches;
    ++stats_.compute.batches;
    ++stats_.update.batches;
  }
}

PipelineStats Pipeline::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  PipelineStats s = stats_;
  s.load_to_compute = to_compute_.stats();
  s.compute_to_update = to_update_.stats();
  s.in_flight_mean = s.admitted > 0 ? static_cast<double>(in_flight_sum_) / s.admitted : 0.0;
  finish_stage(s.load, s.active_seconds);
  finish_stage(s.compute, s.active_seconds);
  finish_stage(s.update, s.active_seconds);
  return s;
}

}  // namespace marius
