// Node classification with the features paged (docs/out-of-core.md, "Node
// classification out of core"): the SBM generator's dataset form, reading
// features.bin by rows (FeatureFile), streaming full-neighbourhood inference,
// and a session that trains out of core and evaluates as in memory.
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>

#include "core/data/dataset.h"
#include "core/data/feature_file.h"
#include "core/data/generate_sbm.h"
#include "core/data/node_data.h"
#include "core/data/preprocess.h"
#include "core/error.h"
#include "core/gnn/adjacency.h"
#include "core/gnn/encoder.h"
#include "core/gnn/streaming_inference.h"
#include "core/plugin/ordering_policy.h"
#include "core/plugin/registry.h"
#include "core/run/node_assignment.h"
#include "core/run/scheduler.h"
#include "core/storage/feature_pages.h"
#include "core/run/session.h"
#include "core/tasks/node_classification/node_classification_session.h"
#include "test_util.h"

namespace marius {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::expect_error;

// A 4-partition SBM dataset: 2000 nodes, 3 classes, 16 features.
fs::path sbm_dataset(const TempDir& dir, const std::string& name, bool float16 = false) {
  SbmOptions o;
  o.output = dir.path() / name;
  o.nodes = 2000;
  o.edges = 12000;
  o.classes = 3;
  o.features = 16;
  o.partitions = 4;
  o.float16 = float16;
  o.train_fraction = 0.2, o.valid_fraction = 0.1, o.test_fraction = 0.2;
  generate_sbm(o);
  return o.output;
}

TEST(GenerateSbm, TheDatasetFormIsReadyToTrain) {
  TempDir dir;
  const fs::path ds = sbm_dataset(dir, "ds");
  Dataset d = Dataset::open(ds);
  EXPECT_EQ(d.info().num_nodes, 2000);
  EXPECT_EQ(d.info().num_edges[0], 12000);
  EXPECT_EQ(d.partition_offsets().size(), 5u);
  EXPECT_FALSE(d.info().has_relations);
  NodeData n = NodeData::open(ds, 2000);
  EXPECT_EQ(n.feature_dim(), 16);
  EXPECT_EQ(n.num_classes(), 3);
  EXPECT_EQ(n.nodes(Split::kTrain).numel(), 400);
  EXPECT_EQ(n.nodes(Split::kTest).numel(), 400);
  std::set<int64_t> seen;  // the splits are disjoint
  for (Split s : kSplits) {
    for (int64_t i = 0; i < n.nodes(s).numel(); ++i) EXPECT_TRUE(seen.insert(n.nodes(s)[i].item<int64_t>()).second);
  }
  // The adjacency index equals the adjacency built from the edges.
  Adjacency loaded = Adjacency::load(d, Direction::kBoth);
  Adjacency built = Adjacency::build(d.edges(Split::kTrain), 2000, 1, false, Direction::kBoth);
  EXPECT_TRUE(at::equal(loaded.offsets, built.offsets));
  EXPECT_TRUE(at::equal(loaded.neighbors, built.neighbors));
  // Features carry the class: class means differ more than the noise averages out.
  at::Tensor f = n.features(), y = n.labels();
  at::Tensor m0 = f.index_select(0, y.eq(0).nonzero().view(-1)).mean(0);
  at::Tensor m1 = f.index_select(0, y.eq(1).nonzero().view(-1)).mean(0);
  EXPECT_GT((m0 - m1).norm().item<double>(), 0.5);
  // The same options give the same files.
  const fs::path again = sbm_dataset(dir, "again");
  EXPECT_TRUE(at::equal(NodeData::open(again, 2000).features(), f));
}

TEST(FeatureFile, RangesAndGathersEqualTheWholeTable) {
  TempDir dir;
  for (bool half : {false, true}) {
    SCOPED_TRACE(half ? "float16" : "float32");
    const fs::path ds = sbm_dataset(dir, half ? "ds16" : "ds32", half);
    const at::Tensor whole = NodeData::open(ds, 2000).features();
    FeatureFile file = FeatureFile::open(ds / "features.bin", 2000);
    EXPECT_EQ(file.dim(), 16);
    EXPECT_EQ(file.float16(), half);
    at::Tensor range = at::empty({300, 16}, at::kFloat);
    file.read_range(1200, 300, range.data_ptr<float>());
    EXPECT_TRUE(at::equal(range, whole.slice(0, 1200, 1500)));
    at::Tensor ids = at::tensor(std::vector<int64_t>{7, 1999, 8, 7, 0, 9, 1500}, at::kLong);
    EXPECT_TRUE(at::equal(file.gather(ids), whole.index_select(0, ids)));
    expect_error([&] { FeatureFile::open(ds / "features.bin", 1999); }, MARIUS_ERR_INVALID_ARGUMENT,
                 {"features.bin", "2000 rows", "1999 nodes"});
  }
}

TEST(StreamingInference, EqualsInferenceOverTheWholeTable) {
  TempDir dir;
  const fs::path ds = sbm_dataset(dir, "ds");
  Dataset d = Dataset::open(ds);
  const Adjacency adjacency = Adjacency::load(d, Direction::kBoth);
  PluginRegistry registry;
  registry.add_builtin();
  for (const char* layer : {"gcn", "graphsage", "gat"}) {
    SCOPED_TRACE(layer);
    EncoderSpec spec;
    spec.layer = layer;
    spec.num_layers = 2;
    spec.in_dim = 16, spec.hidden_dim = 8, spec.out_dim = 3;
    GnnEncoder encoder(registry, spec, 5);
    const at::Tensor whole = encoder.infer(adjacency, NodeData::open(ds, 2000).features());
    const FeatureFile features = FeatureFile::open(ds / "features.bin", 2000);
    const fs::path scratch = make_scratch_directory(dir.path());
    // 137 rows a block: blocks that split partitions, the first layer's rows gathered by id.
    FeatureFile out = infer_streaming(encoder, adjacency, [&](const at::Tensor& ids) { return features.gather(ids); },
                                      scratch, 137);
    at::Tensor streamed = out.gather(at::arange(2000, at::kLong));
    EXPECT_TRUE(at::allclose(streamed, whole, 1e-5, 1e-5)) << (streamed - whole).abs().max().item<double>();
    EXPECT_FALSE(fs::exists(scratch / "layer-1.bin"));  // read, then deleted
    EXPECT_TRUE(fs::exists(scratch / "layer-2.bin"));
    // A failing input deletes what the call wrote.
    const fs::path failing = make_scratch_directory(dir.path());
    EXPECT_THROW(infer_streaming(encoder, adjacency, [&](const at::Tensor&) -> at::Tensor {
                   fail(MARIUS_ERR_IO, "injected");
                 }, failing, 137),
                 Error);
    EXPECT_TRUE(fs::is_empty(failing));
  }
}

// Records what the scheduler hands a node classification task out of core.
class RecordingTask : public Task {
 public:
  RecordingTask(at::Tensor degrees, at::Tensor features) : degrees_(std::move(degrees)), features_(std::move(features)) {}
  std::vector<int64_t> nodes;   // every example's node, as trained
  bool degrees_whole = true;    // each state's adjacency gives the whole graph's degrees
  bool features_right = true;   // the table's feature rows are the nodes' rows of features.bin
  int64_t num_batches(const Segment&) const override { return 1; }
  std::unique_ptr<TaskBatch> load(const Segment& segment, int64_t, uint32_t) override {
    const NodeTable& t = *segment.table;
    const at::Tensor rows = segment.examples.view(-1);
    const at::Tensor ids = t.global_ids.index_select(0, rows);
    for (int64_t i = 0; i < ids.numel(); ++i) nodes.push_back(ids[i].item<int64_t>());
    degrees_whole &= t.adjacency != nullptr && at::equal(t.adjacency->degrees.index_select(0, rows), degrees_.index_select(0, ids));
    features_right &= at::equal(t.features.index_select(0, rows), features_.index_select(0, ids));
    auto batch = std::make_unique<TaskBatch>();
    batch->examples = rows.size(0);
    return batch;
  }
  void compute(TaskBatch&, uint32_t) override {}
  void update(TaskBatch&, uint32_t) override {}
  StepTimes take_times() override { return {}; }
  bool samples_neighbourhoods() const override { return true; }

 private:
  at::Tensor degrees_, features_;
};

// Every training node trains exactly once per epoch, on its own feature row,
// and the layers see whole-graph degrees although a state's neighbourhoods are
// restricted to its partitions (marius/abi/layer.h promises whole-graph degrees).
TEST(NodeClassificationOutOfCore, TheSchedulerTrainsEachNodeOnceWithWholeGraphDegrees) {
  TempDir dir;
  const fs::path ds = sbm_dataset(dir, "ds");
  Dataset dataset = Dataset::open(ds);
  const NodeData data = NodeData::open(ds, 2000);
  const Adjacency whole = Adjacency::load(dataset, Direction::kBoth);
  Config config = Config::parse("", "test", {"dataset.path=" + ds.string(), "pipeline.mode=sync", "training.seed=3"});
  PluginRegistry registry;
  registry.add_builtin();
  OrderingPolicy ordering(registry.load(registry.find("beta", MARIUS_KIND_ORDERING_POLICY)), {});
  FeaturePages pages(FeatureFile::open(ds / "features.bin", 2000), dataset.partition_offsets(), 3,
                     dataset.largest_partition_rows(), /*normalize_rows=*/false);
  Tiers tiers{&dataset, &ordering, nullptr, c10::kCPU, 0};
  tiers.features = &pages;
  tiers.capacity = 2;
  tiers.train_nodes = data.nodes(Split::kTrain);
  tiers.neighbourhood_degrees = whole.degrees;
  Model model;
  model.num_nodes = 2000;
  EpochScheduler scheduler(config, model, at::Tensor(), dataset.degrees(), tiers);
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    RecordingTask task(whole.degrees, data.features());
    const EpochResult r = scheduler.train_epoch(task, epoch, nullptr);
    std::vector<int64_t> expected(data.nodes(Split::kTrain).data_ptr<int64_t>(),
                                  data.nodes(Split::kTrain).data_ptr<int64_t>() + 400);
    std::sort(expected.begin(), expected.end());
    std::sort(task.nodes.begin(), task.nodes.end());
    EXPECT_EQ(task.nodes, expected) << "epoch " << epoch;
    EXPECT_TRUE(task.degrees_whole);
    EXPECT_TRUE(task.features_right);
    EXPECT_EQ(r.states_trained, 2);  // a cover of 4 partitions by states of 2
    EXPECT_EQ(r.feature_io.bytes_read, uint64_t{2000} * 16 * 4);
  }
}

// The share of the training nodes' neighbours resident in the state each
// trains in; every node is in a state holding its partition.
double resident_share(const std::vector<const BufferState*>& states, const std::vector<std::vector<int64_t>>& assigned,
                      const Adjacency& whole, const Dataset& dataset) {
  int64_t resident = 0, all = 0;
  for (size_t s = 0; s < states.size(); ++s) {
    const std::set<int32_t> held(states[s]->partitions.begin(), states[s]->partitions.end());
    for (int64_t node : assigned[s]) {
      EXPECT_TRUE(held.count(static_cast<int32_t>(dataset.partition_of(node)))) << node;
      for (int64_t e = whole.offsets[node].item<int64_t>(); e < whole.offsets[node + 1].item<int64_t>(); ++e) {
        resident += static_cast<int64_t>(held.count(static_cast<int32_t>(dataset.partition_of(whole.neighbors[e].item<int64_t>()))));
        ++all;
      }
    }
  }
  return static_cast<double>(resident) / static_cast<double>(all);
}

// Each training node trains once, in a state of a greedy cover of the
// partitions, the same way for the same draw. How much of its neighbourhood
// that state holds is the partitioning's doing: about c/p with random
// partitions, most of it with METIS's (preprocess --partitioner metis).
TEST(NodeAssignment, ACoverTrainsEachNodeOnceAndMetisKeepsNeighbourhoodsResident) {
  TempDir dir;
  SbmOptions g;
  g.output = dir.path() / "graph";
  g.nodes = 2000, g.edges = 12000, g.classes = 4, g.features = 8;
  g.train_fraction = 0.2, g.valid_fraction = 0.1, g.test_fraction = 0.2;
  generate_sbm(g);
  double share[2] = {0, 0};
  for (Partitioner partitioner : {Partitioner::kRandom, Partitioner::kMetis}) {
    PreprocessOptions o;
    o.train = g.output / "edges.tsv";
    o.node_inputs.split_nodes[0] = g.output / "train_nodes.txt";
    o.partitions = 4;
    o.partitioner = partitioner;
    o.output = dir.path() / partitioner_name(partitioner);
    preprocess(o);
    Dataset dataset = Dataset::open(o.output);
    const at::Tensor train = NodeData::open(o.output, 2000).nodes(Split::kTrain);
    const Adjacency whole = Adjacency::load(dataset, Direction::kBoth);
    // Every pair of the 4 partitions, as BETA's plan with c = 2 holds them.
    std::vector<BufferState> plan;
    for (int32_t i = 0; i < 4; ++i) {
      for (int32_t j = i + 1; j < 4; ++j) plan.push_back(BufferState{{i, j}, {}});
    }
    std::vector<const BufferState*> states;
    for (const BufferState& st : plan) states.push_back(&st);
    const auto assigned = assign_training_nodes(states, train, dataset, 17);
    EXPECT_EQ(assigned, assign_training_nodes(states, train, dataset, 17));
    EXPECT_NE(assigned, assign_training_nodes(states, train, dataset, 18));
    std::vector<int64_t> got, expected(train.data_ptr<int64_t>(), train.data_ptr<int64_t>() + train.numel());
    for (const auto& nodes : assigned) got.insert(got.end(), nodes.begin(), nodes.end());
    std::sort(got.begin(), got.end());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(got, expected);
    EXPECT_EQ(std::count_if(assigned.begin(), assigned.end(), [](const auto& n) { return !n.empty(); }), 2);
    share[partitioner == Partitioner::kMetis] = resident_share(states, assigned, whole, dataset);
  }
  EXPECT_NEAR(share[0], 0.5, 0.05);  // c / p
  EXPECT_GT(share[1], 0.7) << "random " << share[0];
}

Config nc_config(const fs::path& ds, const fs::path& out, std::vector<std::string> extra) {
  std::vector<std::string> keys = {"dataset.path=" + ds.string(), "output.dir=" + out.string(),
                                   "model.task=node_classification", "model.encoder=graphsage", "model.layers=2",
                                   "model.hidden_dim=16", "model.fanouts=10", "model.direction=both",
                                   "training.epochs=4", "training.batch_size=50", "pipeline.mode=sync",
                                   "optimizer.dense=adam", "optimizer.dense_learning_rate=0.01",
                                   "evaluation.every_epoch=false"};
  keys.insert(keys.end(), extra.begin(), extra.end());
  return Config::parse("", "test", keys);
}

// Trains out of core: every training node once per epoch, the features read
// by partition, and evaluation (streamed) equal to the in-memory session's on
// the same weights; it learns the planted classes.
TEST(NodeClassificationOutOfCore, TrainsEachNodeOncePerEpochAndEvaluatesAsInMemory) {
  TempDir dir;
  const fs::path ds = sbm_dataset(dir, "ds");
  NodeClassificationSession paged(nc_config(ds, dir.path() / "paged", {"storage.buffer_capacity=2"}), {});
  NodeClassificationSession whole(nc_config(ds, dir.path() / "whole", {}), {});
  ASSERT_TRUE(paged.out_of_core());
  ASSERT_FALSE(whole.out_of_core());
  EXPECT_FALSE(paged.node_data().features().defined());  // the table stays on disk
  paged.initialize(false);
  whole.initialize(false);
  for (Split split : {Split::kValid, Split::kTest}) {  // the same initial weights evaluate the same
    const ClassificationMetrics a = paged.evaluate(split), b = whole.evaluate(split);
    EXPECT_EQ(a.accuracy, b.accuracy);
    EXPECT_EQ(a.macro_f1, b.macro_f1);
  }
  EXPECT_TRUE(at::allclose(paged.representations(), whole.representations(), 1e-5, 1e-5));

  TrainOptions options;
  options.test_at_end = true;
  const NodeClassificationReport report = paged.train(options, nullptr);
  EXPECT_EQ(report.last.edges, 400);  // each training node once
  EXPECT_TRUE(report.last.out_of_core);
  EXPECT_GT(report.last.states_trained, 1);
  EXPECT_EQ(report.last.feature_io.bytes_read, uint64_t{2000} * 16 * 4);  // a cover reads the table once
  EXPECT_GE(report.last.feature_io.partitions_read, 4);
  ASSERT_TRUE(report.test.has_value());
  EXPECT_GT(report.test->accuracy, 0.8);
  std::ifstream metrics(dir.path() / "paged" / "metrics.jsonl");
  std::string line;
  std::getline(metrics, line);
  const nlohmann::json record = nlohmann::json::parse(line);
  EXPECT_GT(record["feature_io"]["bytes_read"].get<int64_t>(), 0);
  EXPECT_GT(record["states"].get<int64_t>(), 1);  // the cover's states: 2 of the 4 partitions each
  EXPECT_GE(record["plan_states"].get<int64_t>(), record["states"].get<int64_t>());
  // The streamed evaluation keeps only the last layer's outputs (in a scratch
  // directory of its own), until the model changes.
  std::vector<std::string> scratch;
  for (const auto& entry : fs::recursive_directory_iterator(dir.path() / "paged")) {
    if (entry.path().parent_path().filename().string().rfind("inference.", 0) == 0) scratch.push_back(entry.path().filename());
  }
  EXPECT_EQ(scratch, std::vector<std::string>{"layer-2.bin"});

  // Without reading ahead (storage.prefetch = false) it learns as well; the
  // prefetch slot also keeps a partition the plan evicts, so it reads no more.
  NodeClassificationSession on_demand(
      nc_config(ds, dir.path() / "on-demand", {"storage.buffer_capacity=2", "storage.prefetch=false"}), {});
  on_demand.initialize(false);
  const NodeClassificationReport unfetched = on_demand.train(options, nullptr);
  EXPECT_LE(report.last.feature_io.partitions_read, unfetched.last.feature_io.partitions_read);
  EXPECT_GT(unfetched.test->accuracy, 0.8);

  // Resume continues from the checkpoint.
  NodeClassificationSession resumed(nc_config(ds, dir.path() / "paged", {"storage.buffer_capacity=2", "training.epochs=5"}), {});
  resumed.initialize(/*resume=*/true);
  EXPECT_EQ(resumed.epochs_done(), 4);
  EXPECT_EQ(resumed.evaluate(Split::kTest).accuracy, report.test->accuracy);
  TrainOptions one;
  one.epochs = 1;
  EXPECT_EQ(resumed.train(one, nullptr).epochs_done, 5);
}

// GNN link prediction out of core with features: the features page beside
// the embeddings (the epoch record's "feature_io"), evaluation streams, and
// resume gives the same representations.
TEST(LinkPredictionOutOfCore, FeaturesPageBesideTheEmbeddings) {
  TempDir dir;
  const fs::path ds = sbm_dataset(dir, "ds");
  auto config = [&] {
    return Config::parse("", "test",
                         {"dataset.path=" + ds.string(), "output.dir=" + (dir.path() / "lp").string(),
                          "model.encoder=graphsage", "model.fanouts=5", "model.dim=8", "model.node_input=both",
                          "model.normalize_features=true", "training.epochs=2", "training.batch_size=200",
                          "negatives.chunks=2", "negatives.per_chunk=20", "storage.buffer_capacity=2",
                          "evaluation.protocol=none"});
  };
  Session session(config(), {});
  session.initialize(false);
  ASSERT_TRUE(session.out_of_core());
  const TrainReport report = session.train(TrainOptions{});
  EXPECT_GE(report.last.feature_io.bytes_read, uint64_t{2000} * 16 * 4);
  EXPECT_GT(report.last.io.swaps, 0);
  const at::Tensor representations = session.representations();
  EXPECT_EQ(representations.sizes(), (at::IntArrayRef{2000, 8}));
  EXPECT_TRUE(at::isfinite(representations).all().item<bool>());
  for (const auto& entry : fs::directory_iterator(dir.path() / "lp")) {  // the streamed layers are deleted
    EXPECT_NE(entry.path().filename().string().rfind("inference.", 0), 0u) << entry.path();
  }
  std::ifstream metrics(dir.path() / "lp" / "metrics.jsonl");
  std::string line;
  std::getline(metrics, line);
  EXPECT_GT(nlohmann::json::parse(line)["feature_io"]["bytes_read"].get<int64_t>(), 0);
  Session resumed(config(), {});
  resumed.initialize(/*resume=*/true);
  EXPECT_TRUE(at::allclose(resumed.representations(), representations));
}

TEST(NodeClassificationOutOfCore, LearnedEmbeddingsAreRefusedNamingTheKey) {
  TempDir dir;
  const fs::path ds = sbm_dataset(dir, "ds");
  expect_error([&] {
    NodeClassificationSession(nc_config(ds, dir.path() / "out", {"storage.buffer_capacity=2", "model.node_input=both"}), {});
  }, MARIUS_ERR_UNSUPPORTED, {"model.node_input = \"both\"", "pages node features only", "storage.buffer_capacity"});
}

}  // namespace
}  // namespace marius
