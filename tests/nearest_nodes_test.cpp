// Exact nearest-neighbour search over node embeddings (core/model/nearest_nodes.h).
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/model/nearest_nodes.h"
#include "marius/abi/score.h"

namespace marius {
namespace {

// Brute force: every other node's similarity to `node`, best first, ties by id.
std::vector<int64_t> brute_force(const at::Tensor& table, int64_t node, int64_t k, uint32_t metric) {
  at::Tensor q = table[node];
  std::vector<std::pair<double, int64_t>> all;
  for (int64_t i = 0; i < table.size(0); ++i) {
    if (i == node) continue;
    at::Tensor x = table[i];
    double s = metric == MARIUS_COMPARATOR_DOT      ? (q * x).sum().item<double>()
               : metric == MARIUS_COMPARATOR_COSINE ? ((q * x).sum() / (q.norm() * x.norm())).item<double>()
                                                    : -(q - x).norm().item<double>();
    all.push_back({-s, i});
  }
  std::sort(all.begin(), all.end());
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < k && i < static_cast<int64_t>(all.size()); ++i) ids.push_back(all[i].second);
  return ids;
}

TEST(NearestNodes, ExactSearchMatchesBruteForceForEveryMetric) {
  at::manual_seed(11);
  at::Tensor table = at::randn({50, 6});
  NodeRows rows(table);
  for (const char* name : {"cosine", "dot", "l2"}) {
    const uint32_t metric = similarity_metric(name);
    for (int64_t node : {0, 17, 49}) {
      std::vector<NearNode> got = nearest_nodes(rows, node, 5, metric);
      std::vector<int64_t> expected = brute_force(table, node, 5, metric);
      ASSERT_EQ(got.size(), expected.size()) << name;
      for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].node, expected[i]) << name << " node " << node << " rank " << i;
      for (size_t i = 1; i < got.size(); ++i) EXPECT_GE(got[i - 1].similarity, got[i].similarity) << name;
    }
  }
}

TEST(NearestNodes, LeavesTheNodeOutRanksNaNLastAndRefusesBadInput) {
  at::Tensor table = at::zeros({4, 2});
  table[1][0] = 1.0f;
  table[2][0] = 2.0f;
  table[3][0] = std::nanf("");
  NodeRows rows(table);
  std::vector<NearNode> got = nearest_nodes(rows, 1, 10, MARIUS_COMPARATOR_L2);
  ASSERT_EQ(got.size(), 3u);  // every other node, not node 1 itself
  EXPECT_EQ(got[0].node, 0);  // distance 1, tied with node 2: the smaller id first
  EXPECT_EQ(got[1].node, 2);
  EXPECT_EQ(got[2].node, 3);  // NaN: last
  EXPECT_THROW(nearest_nodes(rows, 4, 3, MARIUS_COMPARATOR_DOT), Error);
  EXPECT_THROW(nearest_nodes(rows, 0, 0, MARIUS_COMPARATOR_DOT), Error);
  EXPECT_THROW(similarity_metric("manhattan"), Error);
}

}  // namespace
}  // namespace marius
