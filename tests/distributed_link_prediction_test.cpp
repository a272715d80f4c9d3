// Distributed link prediction (docs/distributed.md, "Distributed link
// prediction"): the bucket board's invariants (no partition held twice, every
// bucket granted once, its text form), and two workers (threads of this
// process, over 127.0.0.1) that train every bucket of every epoch exactly
// once between them over shared partition files, share relations, commit one
// generation and resume.
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>

#include "core/config/config.h"
#include "core/data/generate.h"
#include "core/data/preprocess.h"
#include "core/dist/bucket_board.h"
#include "core/dist/cluster.h"
#include "core/dist/relation_sync.h"
#include "core/dist/world.h"
#include "core/error.h"
#include "core/run/session.h"
#include "dist_test_util.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace marius {
namespace {

using testing::expect_error;
using testing::local_world;
using testing::TempDir;
using testing::test_port;

// Every bucket a unit of its own (PyTorch-BigGraph's grants), in id order.
std::vector<BoardUnit> bucket_units(int32_t p) {
  std::vector<BoardUnit> units;
  for (int32_t b = 0; b < p * p; ++b) {
    const int32_t i = b / p, j = b % p;
    units.push_back({i == j ? std::vector<int32_t>{i} : std::vector<int32_t>{i, j}, {b}});
  }
  return units;
}

TEST(BucketBoard, GrantsFollowTheOrderAndNeverShareAPartition) {
  BucketBoard board(0, 4);
  // Six states of two partitions hold the 16 buckets of p = 4 (buckets i * 4 + j).
  const std::vector<BoardUnit> units{{{1, 2}, {5, 6, 9, 10}}, {{0, 1}, {0, 1, 4}}, {{0, 3}, {3, 12, 15}},
                                     {{2, 3}, {11, 14}},      {{0, 2}, {2, 8}},    {{1, 3}, {7, 13}}};
  EXPECT_EQ(board.grant(0, units), 0u);
  EXPECT_EQ(board.grant(1, units), 2u);  // {0, 1} shares partition 1 with rank 0's
  EXPECT_FALSE(board.grant(2, units).has_value());  // every state left shares a held partition
  EXPECT_EQ(board.holder(1), 0);
  EXPECT_EQ(board.holder(3), 1);
  EXPECT_EQ(board.running(), 7);
  EXPECT_EQ(board.left(), 9);
  EXPECT_EQ(board.describe_holders(), "rank 0 holds partitions 1, 2; rank 1 holds partitions 0, 3");
  expect_error([&] { board.grant(0, units); }, MARIUS_ERR_INTERNAL, {"while holding"});
  expect_error([&] { board.finish(1, units[0], {1, 2}); }, MARIUS_ERR_INTERNAL, {"does not hold"});
  board.finish(0, units[0], {11, 22});
  EXPECT_EQ(board.written(1), 11u);
  EXPECT_EQ(board.written(2), 22u);
  EXPECT_FALSE(board.written(3).has_value());
  EXPECT_EQ(board.holder(1), -1);
  EXPECT_TRUE(board.finished(6));
  EXPECT_FALSE(board.grant(2, units).has_value());  // every state left needs partition 0 or 3: rank 1's
  board.finish(1, units[2], {33, 44});
  EXPECT_EQ(board.grant(2, units), 1u);
}

TEST(BucketBoard, EveryBucketIsGrantedOnceWhateverTheInterleaving) {
  const int32_t p = 5;
  const std::vector<BoardUnit> units = bucket_units(p);
  BucketBoard board(3, p);
  std::vector<int64_t> held(3, -1);
  std::multiset<int32_t> granted;
  uint64_t draw = 7;
  while (board.left() > 0 || board.running() > 0) {
    draw = draw * 6364136223846793005ULL + 1442695040888963407ULL;
    const int32_t rank = static_cast<int32_t>((draw >> 33) % 3);
    if (held[rank] >= 0) {
      const BoardUnit& u = units[held[rank]];
      board.finish(rank, u, std::vector<uint32_t>(u.partitions.size(), 1));
      held[rank] = -1;
    } else if (auto u = board.grant(rank, units)) {
      held[rank] = static_cast<int64_t>(*u);
      granted.insert(units[*u].buckets[0]);
      for (int32_t other = 0; other < 3; ++other) {  // no partition is held by two workers
        if (other == rank || held[other] < 0) continue;
        for (int32_t k : units[*u].partitions) {
          for (int32_t theirs : units[held[other]].partitions) EXPECT_NE(k, theirs);
        }
      }
    }
    // Round trip through the text form the store keeps.
    board = BucketBoard::parse(board.text());
  }
  EXPECT_EQ(granted.size(), static_cast<size_t>(p * p));
  for (int32_t b = 0; b < p * p; ++b) EXPECT_EQ(granted.count(b), 1u) << b;
  for (int32_t k = 0; k < p; ++k) EXPECT_TRUE(board.written(k).has_value());
}

TEST(BucketBoard, ATextThatIsNotABoardIsAnError) {
  expect_error([] { BucketBoard::parse("{\"epoch\": 1}"); }, MARIUS_ERR_INTERNAL, {"not a board"});
  BucketBoard b(0, 2);
  b.mark_failed("rank 1: disk full");
  EXPECT_EQ(BucketBoard::parse(b.text()).failure(), "rank 1: disk full");
}


// Three workers change the shared relations: every change adds up (a
// parameter service, not last-writer-wins), and rank 0's start is everyone's.
TEST(RelationSync, EveryWorkersChangesAddUp) {
  if (!distributed_available()) GTEST_SKIP() << "built without c10d/Gloo (libgloo-dev absent at configure time)";
  const uint16_t port = test_port();
  auto worker = [port](int32_t rank) {
    std::unique_ptr<Cluster> c = Cluster::join(local_world(3, rank, port), {}, std::chrono::seconds(30));
    at::Tensor relations = at::full({2, 3}, 10.0f * (rank + 1)), state = at::zeros({2, 3});
    RelationSync sync(*c, {relations, state});
    sync.start();
    EXPECT_EQ(relations[1][2].item<float>(), 10.0f);  // rank 0's
    c->barrier();  // as DistributedLinkPrediction::start: no change before every worker took the start
    for (int round = 0; round < 2; ++round) {
      relations.add_(rank + 1);  // changes of 1, 2, 3 per round
      state.add_(1);
      sync.push_pull();
    }
    c->barrier();
    sync.pull();
    EXPECT_EQ(sync.take_syncs(), 2);
    return std::make_pair(relations[0][0].item<float>(), state[1][1].item<float>());
  };
  std::vector<std::future<std::pair<float, float>>> ranks;
  for (int32_t r = 0; r < 3; ++r) ranks.push_back(std::async(std::launch::async, worker, r));
  for (auto& f : ranks) {
    const auto [relation, state] = f.get();
    EXPECT_EQ(relation, 10.0f + 2 * (1 + 2 + 3));
    EXPECT_EQ(state, 6.0f);
  }
}

// A generated graph (train, valid and test edges) preprocessed into 4 partitions: the dataset's directory.
fs::path partitioned_graph(const TempDir& dir, int64_t nodes, int64_t relations, int64_t edges) {
  GenerateOptions g;
  g.output = dir.path() / "graph";
  g.nodes = nodes, g.relations = relations, g.edges = edges;
  generate(g);
  PreprocessOptions o;
  o.train = g.output / "train.tsv";
  o.valid = g.output / "valid.tsv";
  o.test = g.output / "test.tsv";
  o.output = dir.path() / "ds";
  o.partitions = 4;
  preprocess(o);
  return o.output;
}

std::vector<nlohmann::json> records(const fs::path& metrics) {
  std::vector<nlohmann::json> out;
  std::ifstream in(metrics);
  for (std::string line; std::getline(in, line);) {
    nlohmann::json r = nlohmann::json::parse(line);
    if (r.contains("distributed")) out.push_back(r);
  }
  return out;
}

// Two workers, p = 4 partitions: every epoch each of the 16 buckets is trained
// by exactly one of them, their edges add up to the training set, both end
// with the same relations, rank 0 writes the checkpoint and a third epoch
// resumes from it on both.
TEST(DistributedLinkPrediction, TwoWorkersTrainEveryBucketOnceAndResume) {
  if (!distributed_available()) GTEST_SKIP() << "built without c10d/Gloo (libgloo-dev absent at configure time)";
  TempDir dir;
  const fs::path data = partitioned_graph(dir, 400, 5, 6000);
  const fs::path out = dir.path() / "out";
  auto run = [&](int32_t epochs, bool resume) {
    const uint16_t port = test_port();
    auto worker = [&, port](int32_t rank) {
      Config config = Config::parse("", "test", {"dataset.path=" + data.string(), "output.dir=" + out.string(),
                                                 "model.dim=16", "training.epochs=" + std::to_string(epochs),
                                                 "training.batch_size=200", "training.threads=1",
                                                 "storage.buffer_capacity=2", "negatives.chunks=2",
                                                 "negatives.per_chunk=20", "evaluation.every_epoch=false"});
      Session session(config, {});
      std::unique_ptr<Cluster> c = Cluster::join(local_world(2, rank, port), {}, std::chrono::seconds(60));
      session.distribute(*c);
      session.initialize(resume);
      const at::Tensor initial = session.model().relations.clone();
      TrainOptions options;
      options.test_at_end = true;
      const TrainReport report = session.train(options, nullptr);
      EXPECT_EQ(report.test.has_value(), rank == 0);  // only rank 0 evaluates
      EXPECT_FALSE(at::equal(initial, session.model().relations));
      return session.model().relations.clone();
    };
    auto r0 = std::async(std::launch::async, worker, 0), r1 = std::async(std::launch::async, worker, 1);
    const at::Tensor a = r0.get(), b = r1.get();
    EXPECT_TRUE(at::equal(a, b));  // the relations every worker ends with are the shared ones
  };
  run(2, false);
  run(3, true);
  EXPECT_TRUE(fs::exists(out / "checkpoint.bin"));
  EXPECT_FALSE(fs::exists(out / "rank-1" / "checkpoint.bin"));
  const std::vector<nlohmann::json> zero = records(out / "metrics.jsonl"), one = records(out / "rank-1" / "metrics.jsonl");
  ASSERT_EQ(zero.size(), 3u);
  ASSERT_EQ(one.size(), 3u);
  const int64_t train_edges = Dataset::open(data).info().num_edges[0];
  for (size_t e = 0; e < 3; ++e) {
    std::multiset<int32_t> buckets;
    for (const nlohmann::json* r : {&zero[e], &one[e]}) {
      for (int32_t b : (*r)["distributed"]["bucket_ids"]) buckets.insert(b);
      EXPECT_GT((*r)["distributed"]["bytes_sent"].get<int64_t>(), 0);
    }
    EXPECT_EQ(buckets.size(), 16u) << "epoch " << e + 1;
    for (int32_t b = 0; b < 16; ++b) EXPECT_EQ(buckets.count(b), 1u) << "epoch " << e + 1 << " bucket " << b;
    EXPECT_EQ(zero[e]["edges"].get<int64_t>() + one[e]["edges"].get<int64_t>(), train_edges);
  }
  int64_t by_zero = 0, by_one = 0;  // both trained
  for (size_t e = 0; e < 3; ++e) by_zero += zero[e]["distributed"]["buckets"].get<int64_t>(), by_one += one[e]["distributed"]["buckets"].get<int64_t>();
  EXPECT_GT(by_zero, 0);
  EXPECT_GT(by_one, 0);
}

TEST(DistributedLinkPrediction, RefusesWhatCannotRunDistributed) {
  TempDir dir;
  const fs::path data = partitioned_graph(dir, 200, 2, 500);
  const WorldSpec world = local_world(2, 0, 1);
  auto check = [&](std::vector<std::string> overrides, const char* expected) {
    overrides.push_back("dataset.path=" + data.string());
    Session session(Config::parse("", "test", overrides), {});
    expect_error([&] { session.require_distributable(world); }, MARIUS_ERR_UNSUPPORTED, {expected});
  };
  check({}, "trains out of core");
  check({"storage.buffer_capacity=2", "storage.backend=memory"}, "storage.backend = \"memory\"");
  check({"storage.buffer_capacity=2", "optimizer.relation_optimizer=adam"}, "\"adam\"");
}

}  // namespace
}  // namespace marius
