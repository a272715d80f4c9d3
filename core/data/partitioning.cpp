#include "core/data/partitioning.h"

#include "core/error.h"

namespace marius {

void check_partitions(int64_t partitions, int64_t num_nodes) {
  if (partitions < 1 || partitions > kMaxPartitions) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "--partitions {}: expected a value in [1, {}]", partitions, kMaxPartitions);
  }
  if (num_nodes >= 0 && partitions > num_nodes) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "--partitions {}: more partitions than the {} nodes (every partition needs at least one node)", partitions,
         num_nodes);
  }
}

NodePartitioning::NodePartitioning(int64_t num_nodes, int64_t partitions)
    : num_nodes_(num_nodes), partitions_(partitions), wide_(num_nodes > INT64_MAX / partitions) {
  if (partitions < 1 || partitions > kMaxPartitions || partitions > num_nodes) {
    fail(MARIUS_ERR_INTERNAL, "NodePartitioning: {} partitions of {} nodes", partitions, num_nodes);
  }
}

int64_t NodePartitioning::offset(int64_t k) const {
  using U = unsigned __int128;
  return static_cast<int64_t>(static_cast<U>(k) * static_cast<U>(num_nodes_) / static_cast<U>(partitions_));
}

std::vector<int64_t> NodePartitioning::offsets() const {
  std::vector<int64_t> out(static_cast<size_t>(partitions_ + 1));
  for (int64_t k = 0; k <= partitions_; ++k) out[static_cast<size_t>(k)] = offset(k);
  return out;
}

}  // namespace marius
