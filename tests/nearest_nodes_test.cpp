// Nearest-neighbour search over node embeddings: exact (core/model/nearest_nodes.h)
// and FAISS's IVF index (core/model/ivf_index.h).
#include <gtest/gtest.h>

#include <fstream>

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/model/ivf_index.h"
#include "core/model/nearest_nodes.h"
#include "marius/abi/score.h"
#include "test_util.h"

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

TEST(NearestNodes, ManyQueriesAtOnceEqualOneAtATime) {
  at::manual_seed(12);
  at::Tensor table = at::randn({300, 8});
  NodeRows rows(table);
  const std::vector<int64_t> queries = {0, 299, 150, 7, 7};
  for (uint32_t metric : {MARIUS_COMPARATOR_COSINE, MARIUS_COMPARATOR_DOT, MARIUS_COMPARATOR_L2}) {
    std::vector<std::vector<NearNode>> all = nearest_nodes(rows, queries, 6, metric);
    ASSERT_EQ(all.size(), queries.size());
    for (size_t q = 0; q < queries.size(); ++q) {
      std::vector<NearNode> one = nearest_nodes(rows, queries[q], 6, metric);
      ASSERT_EQ(all[q].size(), one.size());
      for (size_t i = 0; i < one.size(); ++i) EXPECT_EQ(all[q][i].node, one[i].node);
    }
  }
}

// 40 tight clusters of 50 rows: what an IVF index is for.
at::Tensor clustered_table() {
  at::manual_seed(13);
  at::Tensor centres = at::randn({40, 16}) * 4;
  return (centres.repeat_interleave(50, 0) + at::randn({2000, 16}) * 0.5).contiguous();
}

TEST(IvfIndex, AllListsProbedIsExactAndDefaultProbesRecallMost) {
  if (!have_faiss()) GTEST_SKIP() << "built without FAISS";
  at::Tensor table = clustered_table();
  NodeRows rows(table);
  std::vector<int64_t> queries;
  for (int64_t i = 0; i < 2000; i += 37) queries.push_back(i);
  for (uint32_t metric : {MARIUS_COMPARATOR_COSINE, MARIUS_COMPARATOR_DOT, MARIUS_COMPARATOR_L2}) {
    IvfIndex index = IvfIndex::build(rows, metric, IvfOptions{20, 3});
    EXPECT_EQ(index.nlist(), 20);
    EXPECT_EQ(index.size(), 2000);
    std::vector<std::vector<NearNode>> exact = nearest_nodes(rows, queries, 10, metric);
    std::vector<std::vector<NearNode>> every = index.search(rows.gather(at::tensor(queries, at::kLong)), queries, 10, 20);
    std::vector<std::vector<NearNode>> some = index.search(rows.gather(at::tensor(queries, at::kLong)), queries, 10, 2);
    int64_t same = 0, hit = 0, total = 0;
    for (size_t q = 0; q < queries.size(); ++q) {
      ASSERT_EQ(every[q].size(), 10u);
      for (size_t i = 0; i < exact[q].size(); ++i) {
        ++total;
        same += every[q][i].node == exact[q][i].node ? 1 : 0;
        EXPECT_NEAR(every[q][i].similarity, exact[q][i].similarity, 1e-3);
        for (const NearNode& n : some[q]) hit += n.node == exact[q][i].node ? 1 : 0;
        EXPECT_NE(every[q][i].node, queries[q]);  // the query's own node is left out
      }
    }
    EXPECT_GE(same, total - 2) << metric;  // every list probed: exact search (up to float ties)
    EXPECT_GE(static_cast<double>(hit) / static_cast<double>(total), 0.9) << metric;  // 2 of 20 lists
  }
}

TEST(IvfIndex, CalibrationFindsTheFewestProbesThatReachTheTarget) {
  if (!have_faiss()) GTEST_SKIP() << "built without FAISS";
  at::manual_seed(14);
  at::Tensor table = at::randn({1500, 12});  // no clusters: recall grows slowly with the lists probed
  NodeRows rows(table);
  IvfIndex index = IvfIndex::build(rows, MARIUS_COMPARATOR_COSINE, IvfOptions{30, 2});
  for (double target : {0.5, 0.9, 1.0}) {
    IvfIndex::Calibration c = index.calibrate(rows, MARIUS_COMPARATOR_COSINE, 10, target, 200, 4);
    EXPECT_GE(c.recall, target);
    EXPECT_LE(c.nprobe, 30);
  }
  EXPECT_EQ(index.calibrate(rows, MARIUS_COMPARATOR_COSINE, 10, 0.0, 200, 4).nprobe, 1);
  EXPECT_EQ(index.calibrate(rows, MARIUS_COMPARATOR_COSINE, 10, 1.0, 200, 4).nprobe,
            index.calibrate(rows, MARIUS_COMPARATOR_COSINE, 10, 1.0, 200, 4).nprobe);  // seeded
  EXPECT_LT(index.calibrate(rows, MARIUS_COMPARATOR_COSINE, 10, 0.5, 200, 4).nprobe,
            index.calibrate(rows, MARIUS_COMPARATOR_COSINE, 10, 1.0, 200, 4).nprobe);
}

TEST(IvfIndex, SavedIndexReadsBackAndRefusesAnotherMetricOrAForeignFile) {
  if (!have_faiss()) GTEST_SKIP() << "built without FAISS";
  testing::TempDir dir;
  at::Tensor table = clustered_table();
  NodeRows rows(table);
  IvfIndex index = IvfIndex::build(rows, MARIUS_COMPARATOR_COSINE, IvfOptions{});
  EXPECT_EQ(index.nlist(), 45);  // about sqrt(2000)
  const auto file = dir.path() / "index" / "ivf.faiss";
  index.save(file);
  EXPECT_FALSE(std::filesystem::exists(file.string() + ".tmp"));
  IvfIndex back = IvfIndex::load(file, MARIUS_COMPARATOR_COSINE);
  const std::vector<int64_t> queries = {5, 999};
  at::Tensor q = rows.gather(at::tensor(queries, at::kLong));
  std::vector<std::vector<NearNode>> a = index.search(q, queries, 5, 4), b = back.search(q, queries, 5, 4);
  for (size_t i = 0; i < 2; ++i) {
    for (size_t j = 0; j < 5; ++j) EXPECT_EQ(a[i][j].node, b[i][j].node);
  }
  testing::expect_error([&] { IvfIndex::load(file, MARIUS_COMPARATOR_L2); }, MARIUS_ERR_INVALID_ARGUMENT,
                        {"ivf.faiss", "another metric"});
  std::ofstream(dir.path() / "junk.faiss") << "not an index";
  testing::expect_error([&] { IvfIndex::load(dir.path() / "junk.faiss", MARIUS_COMPARATOR_COSINE); },
                        MARIUS_ERR_INVALID_ARGUMENT, {"junk.faiss"});
  testing::expect_error([&] { IvfIndex::build(rows, MARIUS_COMPARATOR_DOT, IvfOptions{3000, 1}); },
                        MARIUS_ERR_INVALID_ARGUMENT, {"nlist 3000"});
}

}  // namespace
}  // namespace marius
