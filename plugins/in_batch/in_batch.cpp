// The `in_batch` negative sampler (as PyTorch-BigGraph's batch negatives): each
// chunk's negatives are the corrupted-side nodes of the chunk's own edges, so no
// random draws are needed and every negative is a node that occurs in real
// edges. With N > S (more negatives than edges per chunk), the chunk's nodes are
// repeated cyclically.
#include "marius/sdk/plugin.hpp"

namespace {

using marius::sdk::require_arg;

class InBatch : public marius::sdk::NegativeSampler {
 public:
  explicit InBatch(const marius::sdk::Options&) {}

  void sample(const marius_call_context&, const marius_sample_args& args) override {
    using namespace marius::sdk;
    require_arg(args.num_chunks >= 1 && args.negatives_per_chunk >= 1, "num_chunks and negatives_per_chunk must be >= 1");
    const DLTensor& ranges = expect_i64(args.node_ranges, "node_ranges", 2);
    require_arg(ranges.shape[0] >= 1 && ranges.shape[1] == 2, "node_ranges must be [K,2] with K >= 1");
    const int64_t* r = data_of<int64_t>(ranges);
    for (int64_t i = 0; i < ranges.shape[0]; ++i) {
      require_arg(r[2 * i] >= 0 && r[2 * i] < r[2 * i + 1] && r[2 * i + 1] <= args.num_nodes,
                  "node range " + std::to_string(i) + " must be non-empty and inside [0, num_nodes)");
    }
    const DLTensor& out = expect_i64(args.out, "out", 2);
    require_arg(out.shape[0] == args.num_chunks && out.shape[1] == args.negatives_per_chunk,
                "out must be [num_chunks, negatives_per_chunk]");
    const DLTensor& batch = expect_i64(args.batch_nodes, "batch_nodes (the in-batch sampler needs them)", 1);
    const int64_t per_chunk = batch.shape[0] / args.num_chunks;
    require_arg(per_chunk >= 1, "batch_nodes must hold at least one node per chunk");
    const int64_t* nodes = data_of<int64_t>(batch);
    int64_t* ids = data_of<int64_t>(out);
    for (int64_t c = 0; c < args.num_chunks; ++c) {
      for (int64_t j = 0; j < args.negatives_per_chunk; ++j) {
        ids[c * args.negatives_per_chunk + j] = nodes[c * per_chunk + j % per_chunk];
      }
    }
  }
};

}  // namespace

MARIUS_PLUGIN(InBatch, "in_batch", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
