// Distributed runs (docs/distributed.md): who a worker is (torchrun, SLURM and
// flag conventions), and joining through c10d over 127.0.0.1: the sums of an
// all-reduce, a configuration that differs named on every worker, a worker
// that never comes named after the timeout.
#include <chrono>
#include <fstream>
#include <future>
#include <map>
#include <string>
#include <tuple>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>

#include "core/config/config.h"
#include "core/data/generate_sbm.h"
#include "core/dist/cluster.h"
#include "core/dist/gradient_exchange.h"
#include "core/tasks/node_classification/node_classification_session.h"
#include "core/dist/launcher.h"
#include "core/dist/world.h"
#include "core/error.h"
#include "dist_test_util.h"
#include "test_util.h"

namespace marius {
namespace {

using testing::expect_error;
using testing::local_world;
using testing::TempDir;
using testing::test_port;

Environment env_of(std::map<std::string, std::string> vars) {
  auto held = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [held](const char* name) -> const char* {
    auto it = held->find(name);
    return it == held->end() ? nullptr : it->second.c_str();
  };
}

TEST(WorldSpec, ReadsTorchrunSlurmAndFlagsInThatOrder) {
  const WorldSpec alone = resolve_world({}, env_of({}));
  EXPECT_FALSE(alone.distributed());
  EXPECT_EQ(alone.world_size, 1);

  const WorldSpec torchrun = resolve_world({}, env_of({{"WORLD_SIZE", "4"}, {"RANK", "2"}, {"LOCAL_RANK", "0"},
                                                       {"MASTER_ADDR", "10.0.0.1"}, {"MASTER_PORT", "1234"},
                                                       {"SLURM_NTASKS", "8"}, {"SLURM_PROCID", "5"}}));
  EXPECT_EQ(torchrun.world_size, 4);
  EXPECT_EQ(torchrun.rank, 2);
  EXPECT_EQ(torchrun.master_addr, "10.0.0.1");
  EXPECT_EQ(torchrun.master_port, 1234);
  EXPECT_EQ(torchrun.source, "torchrun");

  const WorldSpec slurm = resolve_world({}, env_of({{"SLURM_NTASKS", "8"}, {"SLURM_PROCID", "5"},
                                                    {"SLURM_LOCALID", "1"}, {"MASTER_ADDR", "node01"}}));
  EXPECT_EQ(slurm.world_size, 8);
  EXPECT_EQ(slurm.rank, 5);
  EXPECT_EQ(slurm.local_rank, 1);
  EXPECT_EQ(slurm.master_port, 29500);  // torchrun's default
  EXPECT_EQ(slurm.source, "slurm");

  WorldFlags flags;
  flags.world_size = 2, flags.rank = 1, flags.master = "host:99";
  const WorldSpec flagged = resolve_world(flags, env_of({{"WORLD_SIZE", "4"}, {"RANK", "2"}}));
  EXPECT_EQ(flagged.world_size, 2);
  EXPECT_EQ(flagged.rank, 1);
  EXPECT_EQ(flagged.master_addr, "host");
  EXPECT_EQ(flagged.master_port, 99);
  EXPECT_EQ(flagged.describe(), "rank 1 of 2 (flags), rendezvous at host:99");
}

TEST(WorldSpec, BadValuesNameTheVariableOrFlag) {
  expect_error([] { resolve_world({}, env_of({{"WORLD_SIZE", "two"}})); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"WORLD_SIZE = \"two\""});
  expect_error([] { resolve_world({}, env_of({{"WORLD_SIZE", "2"}, {"RANK", "2"}, {"MASTER_ADDR", "h"}})); },
               MARIUS_ERR_INVALID_ARGUMENT, {"RANK = \"2\"", "[0, 1]"});
  expect_error([] { resolve_world({}, env_of({{"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}})); },
               MARIUS_ERR_INVALID_ARGUMENT, {"RANK is not set"});
  expect_error([] { resolve_world({}, env_of({{"WORLD_SIZE", "2"}, {"RANK", "0"}})); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"MASTER_ADDR is not set"});
  expect_error([] { resolve_world({}, env_of({{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_ADDR", "h"},
                                              {"MASTER_PORT", "70000"}})); },
               MARIUS_ERR_INVALID_ARGUMENT, {"MASTER_PORT = \"70000\""});
  WorldFlags rank_only;
  rank_only.rank = 1;
  expect_error([&] { resolve_world(rank_only, env_of({})); }, MARIUS_ERR_INVALID_ARGUMENT, {"--rank 1 needs --world-size"});
  WorldFlags outside;
  outside.world_size = 2, outside.rank = 2, outside.master = "h:1";
  expect_error([&] { resolve_world(outside, env_of({})); }, MARIUS_ERR_INVALID_ARGUMENT, {"--rank 2: expected 0 to 1"});
}

TEST(Agreement, TheFirstDifferenceNamesTheLine) {
  EXPECT_EQ(first_difference("a\nb\n", "a\nb\n", 1), "");
  EXPECT_EQ(first_difference("a\nepochs = 3\n", "a\nepochs = 5\n", 2), "line 2: `epochs = 3` here, `epochs = 5` on rank 2");
  EXPECT_EQ(first_difference("a\n", "a\nb\n", 1), "line 2: `(end)` here, `b` on rank 1");
}


TEST(Cluster, WorkersJoinAndAllReduceOverLoopback) {
  if (!distributed_available()) GTEST_SKIP() << "built without c10d/Gloo (libgloo-dev absent at configure time)";
  const uint16_t port = test_port();
  auto worker = [port](int32_t rank) {
    std::unique_ptr<Cluster> c = Cluster::join(local_world(3, rank, port), {{"config", "same\n"}}, std::chrono::seconds(30));
    at::Tensor t = at::full({1000}, static_cast<double>(rank + 1), at::kDouble);
    c->all_reduce_sum(t);
    const CommStats s = c->take_stats();
    c->barrier();
    return std::make_pair(t.sum().item<double>(), s);
  };
  std::vector<std::future<std::pair<double, CommStats>>> ranks;
  for (int32_t r = 0; r < 3; ++r) ranks.push_back(std::async(std::launch::async, worker, r));
  for (auto& f : ranks) {
    const auto [sum, stats] = f.get();
    EXPECT_EQ(sum, 6000.0);  // (1 + 2 + 3) * 1000
    EXPECT_EQ(stats.collectives, 1);
    EXPECT_EQ(stats.bytes_sent, 8000u * 2 * 2 / 3);  // the ring's 2 (n - 1) / n of 8000 bytes
  }
}

TEST(Cluster, ADifferentConfigurationIsAnErrorOnEveryWorker) {
  if (!distributed_available()) GTEST_SKIP() << "built without c10d/Gloo (libgloo-dev absent at configure time)";
  const uint16_t port = test_port();
  auto worker = [port](int32_t rank) -> std::string {
    try {
      Cluster::join(local_world(2, rank, port), {{"configuration", rank == 0 ? "epochs = 3\n" : "epochs = 5\n"}},
                    std::chrono::seconds(30));
    } catch (const Error& e) {
      return e.what();
    }
    return "joined";
  };
  auto r0 = std::async(std::launch::async, worker, 0), r1 = std::async(std::launch::async, worker, 1);
  const std::string e0 = r0.get(), e1 = r1.get();
  EXPECT_NE(e0.find("the configuration differs from rank 1's, line 1: `epochs = 3` here, `epochs = 5` on rank 1"),
            std::string::npos) << e0;
  EXPECT_NE(e1.find("differs from rank 0's"), std::string::npos) << e1;
}

TEST(Cluster, AWorkerThatNeverComesIsNamedAfterTheTimeout) {
  if (!distributed_available()) GTEST_SKIP() << "built without c10d/Gloo (libgloo-dev absent at configure time)";
  const auto start = std::chrono::steady_clock::now();
  expect_error([] { Cluster::join(local_world(2, 0, test_port()), {}, std::chrono::milliseconds(1500)); }, MARIUS_ERR_IO,
               {"rank 0 of 2", "after 1.5 s only 1 of the 2 workers have joined; missing rank(s) 1"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

// Synchronous exchange: every worker steps on the average of the step's
// gradients. With staleness 2: the first two steps apply nothing, step 3
// applies step 1's average, and drain() applies steps 2 and 3 in order.
TEST(GradientExchange, AveragesNowOrOwnNowAndOthersStalenessStepsLater) {
  if (!distributed_available()) GTEST_SKIP() << "built without c10d/Gloo (libgloo-dev absent at configure time)";
  for (int64_t staleness : {0, 2}) {
    const uint16_t port = test_port();
    auto worker = [port, staleness](int32_t rank) {
      std::unique_ptr<Cluster> c = Cluster::join(local_world(2, rank, port), {}, std::chrono::seconds(30));
      GradientExchange exchange(*c, staleness);
      std::vector<at::Tensor> params = {at::zeros({2, 2}), at::zeros({3})};
      std::vector<double> applied;  // a value of each gradient applied
      for (int step = 1; step <= 3; ++step) {
        params[0].mutable_grad() = at::full({2, 2}, 10.0 * step + rank);  // sums to 20 * step + 1
        params[1].mutable_grad() = at::Tensor();                            // no gradient: zero
        exchange.exchange(params);
        applied.push_back(params[0].grad()[1][1].item<double>());
        EXPECT_EQ(params[1].grad().sum().item<double>(), 0.0);
      }
      params[0].fill_(rank);  // workers that differ ...
      at::Tensor moments = at::full({4}, 2.0 * rank), never;
      exchange.drain(params, {&moments, &never}, [&] { applied.push_back(params[0].grad()[0][0].item<double>()); });
      return std::make_tuple(applied, params[0][0][0].item<double>(), moments[3].item<double>());
    };
    auto r0 = std::async(std::launch::async, worker, 0), r1 = std::async(std::launch::async, worker, 1);
    const auto [a0, w0, m0] = r0.get();
    const auto [a1, w1, m1] = r1.get();
    if (staleness == 0) {  // every step's average at once; nothing left to drain, nothing averaged
      EXPECT_EQ(a0, (std::vector<double>{10.5, 20.5, 30.5}));
      EXPECT_EQ(a1, a0);
      EXPECT_EQ(w0, 0.0);
      EXPECT_EQ(w1, 1.0);
    } else {  // own gradient now, the other's two steps later (the drain gives the last two, summed)
      EXPECT_EQ(a0, (std::vector<double>{5.0, 10.0, 20.5, 26.0}));  // the drain: 10.5 + 15.5 in one step
      EXPECT_EQ(a1, (std::vector<double>{5.5, 10.5, 20.5, 25.0}));
      EXPECT_EQ(w0, 0.5);  // ... end the epoch with the average weights and optimizer state
      EXPECT_EQ(w1, 0.5);
      EXPECT_EQ(m0, 1.0);
      EXPECT_EQ(m1, 1.0);
    }
    double total0 = 0, total1 = 0;  // every gradient applied once in all
    for (double v : a0) total0 += v;
    for (double v : a1) total1 += v;
    EXPECT_EQ(total0, 61.5);
    EXPECT_EQ(total1, 61.5);
  }
}

// Two workers train one model (data parallel, threads of this process): each
// trains half of every epoch's training nodes, and their weights stay equal.
TEST(DistributedNodeClassification, WorkersTrainHalvesAndKeepEqualWeights) {
  if (!distributed_available()) GTEST_SKIP() << "built without c10d/Gloo (libgloo-dev absent at configure time)";
  TempDir dir;
  SbmOptions g;  // written as a dataset, ready to train (one partition)
  g.output = dir.path() / "ds";
  g.nodes = 600, g.edges = 3000, g.classes = 3, g.features = 8, g.partitions = 1;
  g.train_fraction = 0.3, g.valid_fraction = 0.1, g.test_fraction = 0.3;
  generate_sbm(g);
  for (int64_t staleness : {0, 2}) {
    const uint16_t port = test_port();
    auto worker = [&, port, staleness](int32_t rank) {
      Config config = Config::parse("", "test", {"dataset.path=" + g.output.string(),
                                                 "output.dir=" + (dir.path() / ("out-" + std::to_string(staleness)) /
                                                                  std::to_string(rank)).string(),
                                                 "model.task=node_classification", "model.encoder=graphsage",
                                                 "model.layers=2", "model.hidden_dim=16", "model.fanouts=5",
                                                 "training.epochs=3", "training.batch_size=30", "training.threads=1",
                                                 "pipeline.mode=sync", "optimizer.dense=adam",
                                                 "evaluation.every_epoch=true",  // the drain must refresh what evaluation cached
                                                 "distributed.staleness=" + std::to_string(staleness)});
      NodeClassificationSession session(config, {});
      std::unique_ptr<Cluster> c = Cluster::join(local_world(2, rank, port), {}, std::chrono::seconds(60));
      session.initialize(false);
      session.distribute(*c);
      TrainOptions options;
      const NodeClassificationReport report = session.train(options, nullptr);
      EXPECT_EQ(report.last.edges, 90);  // half of the 180 training nodes
      return session.representations().clone();
    };
    auto r0 = std::async(std::launch::async, worker, 0), r1 = std::async(std::launch::async, worker, 1);
    const at::Tensor a = r0.get(), b = r1.get();
    EXPECT_TRUE(at::equal(a, b)) << "staleness " << staleness;
    std::ifstream metrics(dir.path() / ("out-" + std::to_string(staleness)) / "1" / "metrics.jsonl");
    std::string line;
    std::getline(metrics, line);
    const nlohmann::json record = nlohmann::json::parse(line);
    EXPECT_EQ(record["distributed"]["world_size"], 2);
    EXPECT_EQ(record["distributed"]["staleness"], staleness);
    EXPECT_EQ(record["distributed"]["collectives"], 3);  // 90 nodes in batches of 30: one exchange each
    EXPECT_GT(record["distributed"]["bytes_sent"].get<int64_t>(), 0);
  }
}

TEST(Launcher, RefusesNoWorkersOrNoCommand) {
  LaunchOptions o;
  o.workers = 0;
  o.arguments = {"dist-check"};
  expect_error([&] { launch_local(o); }, MARIUS_ERR_INVALID_ARGUMENT, {"-n 0"});
  o.workers = 2;
  o.arguments.clear();
  expect_error([&] { launch_local(o); }, MARIUS_ERR_INVALID_ARGUMENT, {"no command"});
}

TEST(Launcher, PrefixesOutputAndStopsTheOthersWhenOneFails) {
  // /bin/sh as the program: rank 1 fails once rank 0 has printed (a marker
  // file says so), rank 0 would sleep far longer.
  TempDir dir;
  const std::string ready = (dir.path() / "ready").string();
  LaunchOptions o;
  o.workers = 2;
  o.program = "/bin/sh";
  o.grace_seconds = 5;
  o.arguments = {"-c", "echo rank=$RANK of $WORLD_SIZE at $MASTER_ADDR; if [ $RANK = 1 ]; then while [ ! -f " + ready +
                           " ]; do sleep 0.01; done; exit 3; fi; touch " + ready + "; exec sleep 60"};
  std::FILE* out = std::tmpfile();
  o.out = out;
  const auto start = std::chrono::steady_clock::now();
  const LaunchResult r = launch_local(o);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  EXPECT_EQ(r.failed_rank, 1);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.failure, "rank 1 exited with 3");
  std::rewind(out);
  std::string text;
  for (int ch; (ch = std::fgetc(out)) != EOF;) text.push_back(static_cast<char>(ch));
  std::fclose(out);
  EXPECT_NE(text.find("[rank 0] rank=0 of 2 at 127.0.0.1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("[rank 1] rank=1 of 2 at 127.0.0.1\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace marius
