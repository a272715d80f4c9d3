// The `hilbert` ordering policy: the p x p buckets in the order a Hilbert curve
// visits them, buffer states derived from that order (plugins/common/states_from_order.hpp:
// partitions admitted as buckets need them, Belady eviction). A Hilbert curve keeps
// consecutive buckets close in both coordinates, so few partitions change between
// neighbouring buckets. Valid for any 1 <= c <= p (c >= 2 when p >= 2); uses no
// randomness.
#include <utility>
#include <vector>

#include "common/plan_shape.hpp"
#include "common/states_from_order.hpp"
#include "marius/sdk/plugin.hpp"

namespace {

using marius::plugins::Bucket;

// The cell (x, y) that the Hilbert curve over a side x side grid (side a power of
// two) visits at step d, for 0 <= d < side^2. Consecutive steps are neighbouring cells.
Bucket hilbert_cell(int64_t side, int64_t d) {
  int64_t x = 0, y = 0;
  for (int64_t s = 1; s < side; s *= 2) {
    const int64_t rx = 1 & (d / 2);
    const int64_t ry = 1 & (d ^ rx);
    if (ry == 0) {  // rotate the quadrant
      if (rx == 1) {
        x = s - 1 - x;
        y = s - 1 - y;
      }
      std::swap(x, y);
    }
    x += s * rx;
    y += s * ry;
    d /= 4;
  }
  return {static_cast<int32_t>(x), static_cast<int32_t>(y)};
}

// Every bucket (lhs, rhs) of the p x p grid, in the order the Hilbert curve over the
// smallest enclosing power-of-two grid visits it (cells outside p x p are skipped).
std::vector<Bucket> hilbert_order(int32_t p) {
  int64_t side = 1;
  while (side < p) side *= 2;
  std::vector<Bucket> order;
  order.reserve(static_cast<size_t>(p) * static_cast<size_t>(p));
  for (int64_t d = 0; d < side * side; ++d) {
    Bucket cell = hilbert_cell(side, d);
    if (cell.first < p && cell.second < p) order.push_back(cell);
  }
  return order;
}

class Hilbert : public marius::sdk::OrderingPolicy {
 public:
  explicit Hilbert(const marius::sdk::Options&) {}

  void plan(const marius_call_context&, int32_t p, int32_t c, marius::sdk::PlanSink& sink) override {
    marius::plugins::require_plan_shape(p, c);
    marius::plugins::plan_states_in_order(hilbert_order(p), p, c, sink);
  }
};

}  // namespace

MARIUS_PLUGIN(Hilbert, "hilbert", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
