#include "core/run/step.h"

#include <mutex>

namespace marius {

PipelineOptions pipeline_options(const Config& config) {
  PipelineOptions o;
  o.mode = config.pipeline_mode;
  o.staleness = config.staleness;
  o.load_workers = config.load_workers;
  o.compute_workers = config.compute_workers > 0 ? config.compute_workers : config.threads;
  o.update_workers = config.update_workers;
  o.queue_size = config.queue_size;
  return o;
}

SegmentTotals run_segment(Pipeline& pipeline, Task& task, const Segment& segment, Progress* progress) {
  SegmentTotals totals;
  totals.batches = task.num_batches(segment);
  std::mutex totals_mutex;  // update workers add their batches' figures
  Pipeline::Stages stages;
  stages.load = [&](int64_t index, uint32_t w) -> std::unique_ptr<Pipeline::Batch> {
    return task.load(segment, index, w);
  };
  stages.compute = [&](Pipeline::Batch& b, uint32_t w) { task.compute(static_cast<TaskBatch&>(b), w); };
  stages.update = [&](Pipeline::Batch& b, uint32_t w) {
    TaskBatch& batch = static_cast<TaskBatch&>(b);
    task.update(batch, w);
    if (progress != nullptr) progress->advance(batch.examples, batch.loss);
    std::lock_guard<std::mutex> lock(totals_mutex);
    totals.loss += batch.loss;
    totals.examples += batch.examples;
    totals.gradient_rows += batch.gradient_rows;
  };
  pipeline.run(totals.batches, stages);
  return totals;
}

}  // namespace marius
