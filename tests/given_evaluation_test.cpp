// The given and classification protocols: OGB's Hits@K against a shared
// negative set, MRR against per-edge candidates, triple classification with
// thresholds per relation, each checked against values worked out by hand; and
// preprocess's reading of the negatives (original ids, errors naming FILE:LINE).
#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "core/data/dataset.h"
#include "core/data/given_negatives.h"
#include "core/data/preprocess.h"
#include "core/plugin/manifest.h"
#include "core/plugin/score_function.h"
#include "core/tasks/link_prediction/given_evaluation.h"
#include "core/tasks/link_prediction/ranking.h"
#include "test_util.h"

namespace marius {
namespace {

using testing::builtin_manifest;
using testing::expect_error;
using testing::TempDir;

const double kNaN = std::numeric_limits<double>::quiet_NaN();

at::Tensor doubles(std::initializer_list<double> v) { return at::tensor(std::vector<double>(v), at::kDouble); }
at::Tensor bools(std::initializer_list<int64_t> v) { return at::tensor(std::vector<int64_t>(v), at::kLong).to(at::kBool); }

TEST(Ranking, HitsAgainstASharedSetFollowOgb) {
  at::Tensor pos = doubles({5, 3, 1, kNaN}), neg = doubles({4, 2, 2, 0});
  EXPECT_DOUBLE_EQ(hits_against_shared(pos, neg, 1), 0.25);  // above 4: only 5
  EXPECT_DOUBLE_EQ(hits_against_shared(pos, neg, 2), 0.5);   // the 2nd highest is 2: 5 and 3
  EXPECT_DOUBLE_EQ(hits_against_shared(pos, neg, 3), 0.5);   // still 2 (a tie), strictly above
  EXPECT_DOUBLE_EQ(hits_against_shared(pos, neg, 4), 0.75);  // the 4th highest is 0: 5, 3 and 1
  EXPECT_DOUBLE_EQ(hits_against_shared(doubles({5, 3, 1}), neg, 4), 1.0);
  EXPECT_DOUBLE_EQ(hits_against_shared(pos, neg, 5), 1.0);   // fewer negatives than K: 1, as OGB
  EXPECT_DOUBLE_EQ(hits_against_shared(doubles({9}), doubles({kNaN, 1}), 1), 0.0);  // a NaN negative is +inf
}

TEST(Ranking, RanksAmongCandidatesCountTiesHalf) {
  at::Tensor scores = at::tensor({1.f, 2.f, 3.f, 5.f, 5.f, 0.f}).view({2, 3});
  at::Tensor ranks = ranks_among(scores, at::tensor({2.5f, 5.f}));
  EXPECT_DOUBLE_EQ(ranks[0].item<double>(), 2.0);  // one above
  EXPECT_DOUBLE_EQ(ranks[1].item<double>(), 2.0);  // two ties: 1 + 0 + 2/2
  at::Tensor worst = ranks_among(scores, at::tensor({std::nanf(""), 9.f}));
  EXPECT_DOUBLE_EQ(worst[0].item<double>(), 4.0);  // M + 1
  EXPECT_DOUBLE_EQ(worst[1].item<double>(), 1.0);
}

TEST(Ranking, BestThresholdClassifiesMostRight) {
  at::Tensor labels = bools({1, 0, 1, 0});
  // Cuts: none 2 right, after 0.9 3, after 0.8 2, after 0.3 3, all 2: the first best.
  EXPECT_DOUBLE_EQ(best_threshold(doubles({0.9, 0.8, 0.3, 0.1}), labels), 0.85);
  EXPECT_DOUBLE_EQ(best_threshold(doubles({4, 2, 1, 0}), bools({1, 1, 0, 0})), 1.5);
  EXPECT_GT(best_threshold(doubles({1, 2}), bools({0, 0})), 2.0);  // all false
  EXPECT_LT(best_threshold(doubles({1, 2}), bools({1, 1})), 1.0);  // all true
}

// Five nodes on a line and in the plane, DistMult with relation (1, 1): every
// score is a dot product of two rows, easy to work out.
struct Fixture {
  Model model;
  at::Tensor table = at::tensor({1.f, 0.f, 2.f, 0.f, 3.f, 0.f, 0.f, 1.f, 1.f, 1.f}).view({5, 2});
  ScoreFunction score{LoadedPlugin::load(load_manifest(builtin_manifest("distmult"))), {}};
  Fixture() {
    model.num_nodes = 5;
    model.dim = 2;
    model.num_relations = 2;
    model.relation_width = 2;
    model.relations = at::ones({2, 2});
  }
};

at::Tensor edges(std::initializer_list<int64_t> v) { return at::tensor(std::vector<int64_t>(v), at::kLong).view({-1, 3}); }

TEST(GivenEvaluation, SharedNegativesGiveOgbHits) {
  Fixture f;
  NodeRows rows(f.table);
  // Positives score 2, 6, 1; negatives 3, 1, 3.
  GivenNegatives g;
  g.edges = edges({0, 0, 2, 3, 0, 3, 2, 0, 4});
  RankMetrics m = given_metrics(f.model, rows, f.score, edges({0, 0, 1, 1, 0, 2, 4, 0, 3}), g, {1, 2, 3, 4}, 2);
  EXPECT_EQ(m.protocol, "given");
  EXPECT_EQ(m.layout, "shared");
  EXPECT_FALSE(m.ranked);
  EXPECT_EQ(m.negatives, 3);
  EXPECT_EQ(m.rankings, 3);
  ASSERT_EQ(m.hits_at.size(), 4u);
  EXPECT_NEAR(m.hits_at[0].second, 1.0 / 3, 1e-12);  // above 3: 6
  EXPECT_NEAR(m.hits_at[1].second, 1.0 / 3, 1e-12);  // 2nd highest 3
  EXPECT_NEAR(m.hits_at[2].second, 2.0 / 3, 1e-12);  // 3rd highest 1: 2 and 6
  EXPECT_NEAR(m.hits_at[3].second, 1.0, 1e-12);      // K above the set's size
  EXPECT_EQ(m.json()["hits@2"].get<double>(), m.hits_at[1].second);
  EXPECT_FALSE(m.json().contains("mrr"));
}

TEST(GivenEvaluation, PerEdgeCandidatesGiveMrr) {
  Fixture f;
  NodeRows rows(f.table);
  const at::Tensor test = edges({0, 0, 1, 1, 0, 2, 4, 0, 3});  // scores 2, 6, 1
  GivenNegatives g;
  g.layout = NegativesLayout::kTails;
  // Edge 0's candidates score 3, 0, 1 (rank 2); edge 1's 2, 2, 0 (rank 1);
  // edge 2's 1, 2, 1 (one above, two ties: rank 3).
  g.tails = at::tensor({2, 3, 4, 0, 4, 3, 0, 1, 3}, at::kLong).view({3, 3});
  RankMetrics m = given_metrics(f.model, rows, f.score, test, g, {2, 3}, 2);
  EXPECT_TRUE(m.ranked);
  EXPECT_EQ(m.layout, "tails");
  EXPECT_EQ(m.negatives, 3);
  EXPECT_EQ(m.rankings, 3);
  EXPECT_NEAR(m.mrr, (0.5 + 1 + 1.0 / 3) / 3, 1e-9);
  EXPECT_NEAR(m.mr, 2.0, 1e-9);
  EXPECT_NEAR(m.hits1, 1.0 / 3, 1e-12);
  EXPECT_NEAR(m.hits_at[0].second, 2.0 / 3, 1e-12);
  EXPECT_NEAR(m.hits_at[1].second, 1.0, 1e-12);
  // Heads: edge 0's head 0 (score 2) against heads 1 and 2 (scores 4, 6): rank 3.
  GivenNegatives h;
  h.layout = NegativesLayout::kHeads;
  h.heads = at::tensor({1, 2}, at::kLong).view({1, 2});
  EXPECT_NEAR(given_metrics(f.model, rows, f.score, edges({0, 0, 1}), h, {}, 8).mrr, 1.0 / 3, 1e-9);
  // Both: two rankings per edge.
  GivenNegatives both;
  both.layout = NegativesLayout::kBoth;
  both.heads = h.heads;
  both.tails = at::tensor({2, 3}, at::kLong).view({1, 2});  // 3, 0: rank 2
  RankMetrics b = given_metrics(f.model, rows, f.score, edges({0, 0, 1}), both, {}, 8);
  EXPECT_EQ(b.rankings, 2);
  EXPECT_NEAR(b.mrr, (1.0 / 3 + 0.5) / 2, 1e-9);
}

TEST(GivenEvaluation, ClassificationChoosesThresholdsOnValid) {
  Fixture f;
  NodeRows rows(f.table);
  // Valid: true triples score 2, 4; false 1, 0: relation 0's threshold 1.5.
  GivenNegatives valid;
  valid.edges = edges({0, 0, 4, 3, 0, 0});
  // Test: true 2, 6, 1; false 3, 1, 3: called true 2, 6 | 3, 3. TP 2, FN 1, FP 2, TN 1.
  GivenNegatives test;
  test.edges = edges({0, 0, 2, 3, 0, 3, 2, 0, 4});
  RankMetrics m = classification_metrics(f.model, rows, f.score, edges({0, 0, 1, 1, 0, 1}), valid,
                                         edges({0, 0, 1, 1, 0, 2, 4, 0, 3}), test, 4);
  EXPECT_EQ(m.protocol, "classification");
  EXPECT_EQ(m.rankings, 6);
  EXPECT_EQ(m.negatives, 3);
  EXPECT_NEAR(m.accuracy, 0.5, 1e-12);
  EXPECT_NEAR(m.f1, 4.0 / 7, 1e-12);
  // Relation 1 never occurs in valid: the threshold over all of valid (also 1.5).
  RankMetrics r1 = classification_metrics(f.model, rows, f.score, edges({0, 0, 1, 1, 0, 1}), valid,
                                          edges({1, 1, 2}), test, 4);  // true 6 right; false 3, 1, 3: 1 right
  EXPECT_NEAR(r1.accuracy, 2.0 / 4, 1e-12);
  GivenNegatives per_edge;
  per_edge.layout = NegativesLayout::kTails;
  per_edge.tails = at::zeros({3, 1}, at::kLong);
  expect_error([&] { classification_metrics(f.model, rows, f.score, edges({0, 0, 1}), per_edge, edges({0, 0, 1}), test, 4); },
               MARIUS_ERR_INVALID_ARGUMENT, {"false triples"});
}

TEST(GivenNegatives, PreprocessReadsOriginalIdsAndNamesBadLines) {
  TempDir dir;
  PreprocessOptions o;
  o.train = dir.write("train.tsv", "a\tr\tb\nb\tr\tc\nc\ts\td\n");
  o.valid = dir.write("valid.tsv", "a\tr\tc\n");
  o.test = dir.write("test.tsv", "a\ts\td\nd\tr\ta\n");
  o.negatives[1] = dir.write("valid-neg.tsv", "d\tr\tb\nc\ts\ta\n");
  o.negatives[2] = dir.write("test-neg.tsv", "b\tr\ta\n");
  o.output = dir.path() / "out";
  PreprocessResult r = preprocess(o);
  EXPECT_EQ(r.given_negatives[1], 2);
  EXPECT_EQ(r.given_negatives[2], 1);
  Dataset d = Dataset::open(o.output);
  auto names = d.node_names();
  auto rels = d.relation_names();
  std::optional<GivenNegatives> v = GivenNegatives::open(d.dir(), Split::kValid, d.info());
  ASSERT_TRUE(v.has_value());
  ASSERT_EQ(v->edges.size(0), 2);
  EXPECT_EQ(names[v->edges[0][0].item<int64_t>()], "d");
  EXPECT_EQ(rels[v->edges[1][1].item<int64_t>()], "s");
  EXPECT_EQ(names[v->edges[1][2].item<int64_t>()], "a");
  EXPECT_FALSE(GivenNegatives::open(d.dir(), Split::kTrain, d.info()).has_value());

  // Per edge: one line per test edge, candidates by original id.
  o.negatives[1].clear();
  o.negatives[2] = dir.write("test-tails.txt", "b c\n# a comment\nb,c\n");
  o.negatives_layout = NegativesLayout::kTails;
  preprocess(o);
  d = Dataset::open(o.output);
  std::optional<GivenNegatives> t = GivenNegatives::open(d.dir(), Split::kTest, d.info());
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->layout, NegativesLayout::kTails);
  EXPECT_EQ(t->count(), 2);
  EXPECT_EQ(d.node_names()[t->tails[1][1].item<int64_t>()], "c");

  o.negatives[2] = dir.write("bad-node.txt", "b c\nb zz\n");
  expect_error([&] { preprocess(o); }, MARIUS_ERR_INVALID_ARGUMENT, {"bad-node.txt:2", "'zz'"});
  o.negatives[2] = dir.write("ragged.txt", "b c\nb\n");
  expect_error([&] { preprocess(o); }, MARIUS_ERR_INVALID_ARGUMENT, {"ragged.txt:2", "1 candidates"});
  o.negatives[2] = dir.write("short.txt", "b c\n");
  expect_error([&] { preprocess(o); }, MARIUS_ERR_INVALID_ARGUMENT, {"short.txt", "1 lines", "2 edges"});
  o.negatives_layout = NegativesLayout::kShared;
  o.negatives[2] = dir.write("bad-rel.tsv", "a\tq\tb\n");
  expect_error([&] { preprocess(o); }, MARIUS_ERR_INVALID_ARGUMENT, {"bad-rel.tsv:1", "relation 'q'"});
}

}  // namespace
}  // namespace marius
