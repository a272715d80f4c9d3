// core/run/step.h - one segment's batches through the pipeline's stages.
#pragma once

#include <cstdint>

#include "core/config/config.h"
#include "core/run/task.h"
#include "core/pipeline/pipeline.h"
#include "core/run/progress.h"

namespace marius {

// What a segment's batches added up to once every update was applied.
struct SegmentTotals {
  double loss = 0;            // summed batch losses
  int64_t batches = 0;
  int64_t examples = 0;
  int64_t gradient_rows = 0;  // node-gradient rows the compute stage produced
  SegmentTotals& operator+=(const SegmentTotals& o) {
    loss += o.loss, batches += o.batches, examples += o.examples, gradient_rows += o.gradient_rows;
    return *this;
  }
};

// The pipeline's layout from the configuration's [pipeline] keys (compute
// workers 0: training.threads).
PipelineOptions pipeline_options(const Config& config);

// Runs `segment`'s batches through `pipeline` with `task`'s stages and returns
// once every batch's update is applied; `progress` (may be null) advances
// after each update. Throws what the pipeline throws (the first stage error,
// Error(CANCELLED)); nothing touches `segment` after it returns or throws.
SegmentTotals run_segment(Pipeline& pipeline, Task& task, const Segment& segment, Progress* progress);

}  // namespace marius
