// Session's part in a distributed run (docs/distributed.md, "Distributed link
// prediction"): what may run as one of several workers, and where a worker
// writes. Training itself goes through DistributedLinkPrediction, which
// initialize(), train_epoch() and save() consult.
#include <fmt/format.h>

#include "core/dist/cluster.h"
#include "core/dist/distributed_link_prediction.h"
#include "core/error.h"
#include "core/logging.h"
#include "core/run/session.h"

namespace fs = std::filesystem;

namespace marius {

void Session::distribute(Cluster& cluster) {
  if (model_) fail(MARIUS_ERR_INTERNAL, "distribute: call it before initialize");
  require_distributable(cluster.world());
  distributed_ = std::make_unique<DistributedLinkPrediction>(cluster);
}

void Session::require_distributable(const WorldSpec& world) const {
  const int32_t p = static_cast<int32_t>(dataset_.partition_offsets().size()) - 1;
  auto refuse = [&](const std::string& why) {
    fail(MARIUS_ERR_UNSUPPORTED, "distributed ({}): link prediction {}", world.describe(), why);
  };
  if (!out_of_core()) {
    refuse(fmt::format("trains out of core, its node partitions in files every worker reaches: give a partitioned "
                       "dataset (preprocess --partitions P) and storage.buffer_capacity from 2 to P - 1; this "
                       "configuration trains in memory (dataset partitions = {}, storage.buffer_capacity = {})",
                       p, config_.buffer_capacity));
  }
  if (capacity_ < 2) refuse("needs storage.buffer_capacity >= 2 (a bucket's two partitions)");
  if (device_capacity_ > 0) refuse("with a device tier (storage.device_capacity) does not run distributed yet");
  if (!config_.encoder.empty()) refuse(fmt::format("with model.encoder = \"{}\" does not run distributed yet", config_.encoder));
  if (config_.storage_backend == "memory") {
    refuse("with storage.backend = \"memory\" would keep each worker's partitions to itself; use posix, io_uring or mmap "
           "on a filesystem every worker reaches");
  }
  if (config_.relation_optimizer == RelationOptimizer::kAdam) {
    refuse("shares relations with optimizer.relation_optimizer = \"adagrad\" only, not \"adam\"");
  }
  if (p < 2 * world.world_size) {
    logger().warn("distributed: {} partitions for {} workers: workers wait for partitions; PyTorch-BigGraph advises at "
                  "least twice as many partitions as workers", p, world.world_size);
  }
}

fs::path Session::metrics_dir() const {
  if (distributed_ && distributed_->rank() > 0) return fs::path(config_.output) / fmt::format("rank-{}", distributed_->rank());
  return config_.output;
}

bool Session::evaluates() const { return !distributed_ || distributed_->rank() == 0; }

}  // namespace marius
