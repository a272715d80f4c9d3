#include "core/pipeline/pipeline.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/run/interrupt.h"

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

nlohmann::ordered_json stage_json(const StageStats& s) {
  return {{"workers", s.workers},
          {"on_compute_workers", s.inline_stage},
          {"batches", s.batches},
          {"busy_seconds", s.busy_seconds},
          {"idle_seconds", s.idle_seconds},
          {"busy", s.busy_fraction}};
}

nlohmann::ordered_json queue_json(const QueueStats& q) {
  return {{"capacity", q.capacity}, {"mean_depth", q.mean_depth()}, {"max_depth", q.max_depth}};
}

}  // namespace

nlohmann::ordered_json PipelineStats::json() const {
  nlohmann::ordered_json j = {
      {"mode", choice_name(mode)},
      {"staleness", mode == PipelineMode::kSync ? 1 : staleness},
      {"active_seconds", active_seconds},
      {"stages", {{"load", stage_json(load)}, {"compute", stage_json(compute)}, {"update", stage_json(update)}}}};
  if (mode == PipelineMode::kSync) return j;
  j["queues"] = {{"load_to_compute", queue_json(load_to_compute)}, {"compute_to_update", queue_json(compute_to_update)}};
  j["admission_wait_seconds"] = admission_wait_seconds;
  j["in_flight_mean"] = in_flight_mean;
  j["in_flight_max"] = in_flight_max;
  return j;
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

Pipeline::Pipeline(const PipelineOptions& options, std::function<void()> thread_start)
    : options_(options),
      thread_start_(std::move(thread_start)),
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

bool Pipeline::admit(int64_t* index, const Stages** stages) {
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
    *stages = stages_;
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
  if (thread_start_) thread_start_();
  int64_t index;
  for (const Stages* stages; admit(&index, &stages);) {
    Item item{nullptr, stages};
    if (!stage(stats_.load, [&] {
          item.batch = stages->load(index, worker);
          item.batch->index = index;
        })) {
      return;
    }
    if (!to_compute_.push(std::move(item))) return;
  }
}

// With load_workers = 0 a compute worker admits and loads its own batches;
// with update_workers = 0 it applies their updates itself.
void Pipeline::compute_loop(uint32_t worker) {
  if (thread_start_) thread_start_();
  const bool own_load = options_.load_workers == 0, own_update = options_.update_workers == 0;
  for (;;) {
    Item item;
    if (own_load) {
      int64_t index;
      if (!admit(&index, &item.stages)) return;
      if (!stage(stats_.load, [&] {
            item.batch = item.stages->load(index, worker);
            item.batch->index = index;
          })) {
        return;
      }
    } else if (!to_compute_.pop(item)) {
      return;
    }
    if (!stage(stats_.compute, [&] { item.stages->compute(*item.batch, worker); })) return;
    if (own_update) {
      if (!stage(stats_.update, [&] {
            item.stages->update(*item.batch, worker);
            item.batch.reset();
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
  if (thread_start_) thread_start_();
  for (Item item; to_update_.pop(item);) {
    if (!stage(stats_.update, [&] {
          item.stages->update(*item.batch, worker);
          item.batch.reset();
        })) {
      return;
    }
    retire();
  }
}

void Pipeline::run(int64_t num_batches, const Stages& stages) {
  auto start = Clock::now();
  if (options_.mode == PipelineMode::kSync) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (error_) std::rethrow_exception(error_);
    }
    try {
      run_sync(num_batches, stages);
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
  stages_ = &stages;
  next_ = 0;
  end_ = num_batches;
  completed_ = 0;
  admit_.notify_all();
  done_.wait(lock, [&] { return stop_ || completed_ == end_; });
  stages_ = nullptr;
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

void Pipeline::run_sync(int64_t num_batches, const Stages& stages) {
  for (int64_t b = 0; b < num_batches; ++b) {
    if (interrupt_requested()) throw_cancelled();
    auto t0 = Clock::now();
    std::unique_ptr<Batch> item = stages.load(b, 0);
    item->index = b;
    auto t1 = Clock::now();
    stages.compute(*item, 0);
    auto t2 = Clock::now();
    stages.update(*item, 0);
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
