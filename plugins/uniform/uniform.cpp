// The `uniform` negative sampler.
//
// Each chunk gets N negatives: round(N * degree_fraction) are drawn uniformly
// from the batch's nodes on the corrupted side (a node appears in the batch in
// proportion to its degree, so this samples by degree at no cost), the rest
// uniformly from the allowed node ranges. Uses only the call's random stream.
#include <cmath>

#include "marius/sdk/plugin.hpp"

namespace {

using marius::sdk::require_arg;

class UniformSampler : public marius::sdk::NegativeSampler {
 public:
  explicit UniformSampler(const marius::sdk::Options& options)
      : degree_fraction_(options.get_float("degree_fraction")) {
    require_arg(degree_fraction_ >= 0.0 && degree_fraction_ <= 1.0, "degree_fraction must lie in [0, 1]");
  }

  void sample(const marius_call_context& ctx, const marius_sample_args& args) override {
    using namespace marius::sdk;
    require_arg(args.num_chunks >= 1 && args.negatives_per_chunk >= 1, "num_chunks and negatives_per_chunk must be >= 1");
    const DLTensor& ranges = expect_i64(args.node_ranges, "node_ranges", 2);
    require_arg(ranges.shape[0] >= 1 && ranges.shape[1] == 2, "node_ranges must be [K,2] with K >= 1");
    const DLTensor& out = expect_i64(args.out, "out", 2);
    require_arg(out.shape[0] == args.num_chunks && out.shape[1] == args.negatives_per_chunk,
                "out must be [num_chunks, negatives_per_chunk]");

    // Cumulative sizes of the allowed ranges, to map a uniform draw to an id.
    const int64_t* r = data_of<int64_t>(ranges);
    const int64_t k = ranges.shape[0];
    cumulative_.assign(static_cast<size_t>(k), 0);
    int64_t total = 0;
    for (int64_t i = 0; i < k; ++i) {
      int64_t begin = r[2 * i], end = r[2 * i + 1];
      require_arg(begin >= 0 && begin < end && end <= args.num_nodes,
                  "node range " + std::to_string(i) + " [" + std::to_string(begin) + "," + std::to_string(end) +
                      ") must be non-empty and inside [0, num_nodes)");
      total += end - begin;
      cumulative_[static_cast<size_t>(i)] = total;
    }

    const int64_t n = args.negatives_per_chunk;
    int64_t from_batch = static_cast<int64_t>(std::llround(static_cast<double>(n) * degree_fraction_));
    const int64_t* batch = nullptr;
    int64_t per_chunk = 0;
    if (from_batch > 0) {
      const DLTensor& b = expect_i64(args.batch_nodes, "batch_nodes (needed for degree_fraction > 0)", 1);
      require_arg(b.shape[0] >= args.num_chunks, "batch_nodes must hold at least one node per chunk");
      batch = data_of<int64_t>(b);
      per_chunk = b.shape[0] / args.num_chunks;
    }

    Rng rng(ctx);
    int64_t* ids = data_of<int64_t>(out);
    for (int64_t c = 0; c < args.num_chunks; ++c) {
      int64_t* row = ids + c * n;
      for (int64_t j = 0; j < n - from_batch; ++j) row[j] = uniform_id(rng.next() % static_cast<uint64_t>(total), r);
      for (int64_t j = n - from_batch; j < n; ++j) {
        row[j] = batch[c * per_chunk + static_cast<int64_t>(rng.next() % static_cast<uint64_t>(per_chunk))];
      }
    }
  }

 private:
  // The id at position `offset` of the concatenated ranges.
  int64_t uniform_id(uint64_t offset, const int64_t* ranges) const {
    size_t i = 0;
    while (static_cast<int64_t>(offset) >= cumulative_[i]) ++i;
    int64_t start = i == 0 ? 0 : cumulative_[i - 1];
    return ranges[2 * i] + (static_cast<int64_t>(offset) - start);
  }

  double degree_fraction_;
  std::vector<int64_t> cumulative_;
};

}  // namespace

MARIUS_PLUGIN(UniformSampler, "uniform", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_DETERMINISTIC)
