// The DENSE sampler's layout and reproducibility, the adjacency index, and
// that sampled inference with every fanout `all` equals full-neighbourhood
// inference through the built-in layer plugins.
#include <memory>

#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "core/error.h"
#include "core/gnn/adjacency.h"
#include "core/gnn/dense_sampler.h"
#include "core/gnn/dense_optimizer.h"
#include "core/gnn/dense_parameters.h"
#include "core/gnn/encoder.h"
#include "core/config/config.h"
#include "core/data/adjacency_index.h"
#include "core/data/preprocess.h"
#include "core/plugin/registry.h"
#include "test_util.h"

namespace marius {
namespace {

// A random plain graph: `m` edges over `n` nodes, some listed in both directions.
at::Tensor random_edges(int64_t n, int64_t m, uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  at::Tensor h = at::randint(n, {m}, gen, at::kLong), t = at::randint(n, {m}, gen, at::kLong);
  at::Tensor e = at::stack({h, at::zeros_like(h), t}, 1);
  return at::cat({e, e.slice(0, 0, m / 4).index_select(1, at::tensor({2, 1, 0}, at::kLong))});
}

TEST(Adjacency, BothDirectionsOfAPlainGraphCountAnEdgeOnce) {
  at::Tensor edges = at::tensor({0, 0, 1, 1, 0, 0, 2, 0, 1}, at::kLong).view({3, 3});  // 0->1, 1->0, 2->1
  Adjacency a = Adjacency::build(edges, 3, 1, /*has_relations=*/false, Direction::kBoth);
  EXPECT_TRUE(at::equal(a.offsets, at::tensor({0, 1, 3, 4}, at::kLong)));
  EXPECT_EQ(a.degrees[1].item<float>(), 2.0f);  // 0 and 2
  Adjacency in = Adjacency::build(edges, 3, 1, false, Direction::kIncoming);
  EXPECT_EQ(in.degrees[1].item<float>(), 2.0f);  // 0 and 2 point at 1
  EXPECT_EQ(in.degrees[2].item<float>(), 0.0f);
}

void expect_same(const Adjacency& a, const Adjacency& b) {
  EXPECT_EQ(a.num_relations, b.num_relations);
  EXPECT_TRUE(at::equal(a.offsets, b.offsets));
  EXPECT_TRUE(at::equal(a.neighbors, b.neighbors));
  EXPECT_TRUE(at::equal(a.relations, b.relations));
  EXPECT_TRUE(at::equal(a.degrees, b.degrees));
}

// Preprocess writes the index; loading it gives what sorting the training edges
// gives, in every direction, relational or plain, also when rows are built in
// many sorted runs (a small memory budget) and with partitions (renumbered ids).
TEST(AdjacencyIndex, LoadingEqualsBuildingFromTheEdges) {
  for (bool relational : {true, false}) {
    SCOPED_TRACE(relational ? "relational" : "plain");
    testing::TempDir dir;
    std::string text;
    at::Tensor e = random_edges(60, 400, relational ? 5 : 6);  // repeats and reversed copies included
    for (int64_t i = 0; i < e.size(0); ++i) {
      const int64_t h = e[i][0].item<int64_t>(), t = e[i][2].item<int64_t>();
      text += relational ? fmt::format("n{}\tr{}\tn{}\n", h, (h + t) % 3, t) : fmt::format("n{}\tn{}\n", h, t);
    }
    PreprocessOptions o;
    o.train = dir.write("edges.tsv", text);
    for (int64_t partitions : {1, 4}) {
      SCOPED_TRACE(partitions);
      o.output = dir.path() / fmt::format("ds{}", partitions);
      o.partitions = partitions;
      preprocess(o);
      Dataset d = Dataset::open(o.output);
      ASSERT_TRUE(has_adjacency_index(d));
      const DatasetInfo& info = d.info();
      for (Direction dir : {Direction::kIncoming, Direction::kOutgoing, Direction::kBoth}) {
        SCOPED_TRACE(direction_name(dir));
        expect_same(Adjacency::load(d, dir),
                    Adjacency::build(d.edges(Split::kTrain), info.num_nodes, info.num_relations, info.has_relations, dir));
      }
      // Merged from many sorted runs: the same files.
      const testing::TempDir again;
      write_adjacency_index(d, again.path(), /*memory_budget=*/640);  // 20 entries a run
      for (const char* name : {"adjacency_in.bin", "adjacency_out.bin"}) {
        EXPECT_EQ(testing::read_file(again.path() / name), testing::read_file(o.output / name)) << name;
      }
    }
  }
}

TEST(AdjacencyIndex, ACorruptIndexIsRefusedNamingTheFile) {
  testing::TempDir dir;
  PreprocessOptions o;
  o.train = dir.write("edges.tsv", "a\tb\nb\tc\nc\ta\n");
  o.output = dir.path() / "ds";
  preprocess(o);
  const std::filesystem::path file = o.output / "adjacency_out.bin";
  std::filesystem::resize_file(file, std::filesystem::file_size(file) - 8);
  Dataset d = Dataset::open(o.output);
  testing::expect_error([&] { Adjacency::load(d, Direction::kBoth); }, MARIUS_ERR_INVALID_ARGUMENT,
                        {file.string(), "bytes, expected"});
  // Without the index (an older dataset), the adjacency is built from the edges.
  std::filesystem::remove(file);
  EXPECT_EQ(Adjacency::load(d, Direction::kBoth).neighbors.size(0), 6);
}

TEST(Dense, EachLayerReadsAPrefixAndNodesAppearOnce) {
  Adjacency a = Adjacency::build(random_edges(200, 1000, 1), 200, 1, false, Direction::kBoth);
  std::vector<Fanout> fanouts = parse_fanouts("5,3,2", "test");
  at::Tensor roots = at::tensor({3, 7, 3, 150, 7}, at::kLong);
  DenseSample s = sample_dense(a, roots, fanouts, 42);
  ASSERT_EQ(s.num_layers(), 3);
  EXPECT_EQ(s.hop_end[0], 3);  // roots deduplicated
  EXPECT_EQ(std::get<0>(at::_unique(s.nodes)).numel(), s.nodes.numel());
  EXPECT_EQ(s.root_rows[2].item<int64_t>(), s.root_rows[0].item<int64_t>());
  for (int64_t k = 0; k < 3; ++k) {
    LayerGraph g = s.layer(k);
    EXPECT_EQ(g.num_dst(), s.hop_end[2 - k]);
    EXPECT_EQ(g.degrees.size(0), s.hop_end[3 - k]);
    if (g.neighbors.numel() > 0) EXPECT_LT(g.neighbors.max().item<int64_t>(), s.hop_end[3 - k]);
  }
  // Uniform fanouts keep at most k distinct neighbours of a row.
  at::Tensor counts = s.offsets.slice(0, 1) - s.offsets.slice(0, 0, -1);
  EXPECT_LE(counts.slice(0, 0, s.hop_end[0]).max().item<int64_t>(), 5);
  DenseSample again = sample_dense(a, roots, fanouts, 42);
  EXPECT_TRUE(at::equal(s.nodes, again.nodes));
  EXPECT_TRUE(at::equal(s.neighbors, again.neighbors));
  DenseSample other = sample_dense(a, roots, fanouts, 43);
  EXPECT_FALSE(at::equal(s.neighbors, other.neighbors) && at::equal(s.nodes, other.nodes));
}

TEST(Dense, FanoutsAreCheckedByName) {
  EXPECT_THROW(parse_fanouts("5,,2", "model.fanouts"), Error);
  EXPECT_THROW(parse_fanouts("0", "model.fanouts"), Error);
  EXPECT_THROW(parse_fanouts("dropout:1.5", "model.fanouts"), Error);
  EXPECT_EQ(parse_fanouts("all,dropout:0.25,7", "k")[1].rate, 0.25);
}

// Full inference and sampled inference with fanout `all` agree within 1e-5, for every built-in layer.
TEST(Dense, SampledAllEqualsFullInference) {
  const int64_t n = 120;
  Adjacency a = Adjacency::build(random_edges(n, 500, 2), n, 1, false, Direction::kBoth);
  at::Tensor x = at::randn({n, 6}, at::make_generator<at::CPUGeneratorImpl>(3));
  PluginRegistry registry;
  registry.add_builtin();
  for (const char* layer : {"graphsage", "gcn", "gat", "rgcn"}) {
    SCOPED_TRACE(layer);
    EncoderSpec spec;
    spec.layer = layer;
    spec.num_layers = 2;
    spec.in_dim = 6, spec.hidden_dim = 8, spec.out_dim = 4;
    if (std::string(layer) == "gat") spec.options["heads"] = int64_t{2};
    GnnEncoder encoder(registry, spec, 7);
    at::Tensor full = encoder.infer(a, x);
    at::Tensor roots = at::arange(0, n, 3, at::kLong);
    DenseSample s = sample_dense(a, roots, parse_fanouts("all,all", "k"), 1);
    at::Tensor sampled;
    {
      at::NoGradGuard no_grad;
      sampled = encoder.forward(s, x.index_select(0, s.nodes), /*training=*/false, 0).index_select(0, s.root_rows);
    }
    EXPECT_LT((sampled - full.index_select(0, roots)).abs().max().item<double>(), 1e-5);
  }
}

// Async dense updates: each batch computes on a stash taken at begin();
// finish() applies the stash's gradients to the parameters, and the staleness
// counts the updates between a batch's begin and its finish.
// A one-layer GCN (3 -> 2) and SGD at rate 0.5 over its parameters.
struct SmallEncoder {
  SmallEncoder() {
    registry.add_builtin();
    EncoderSpec spec;
    spec.layer = "gcn";
    spec.in_dim = 3, spec.hidden_dim = 3, spec.out_dim = 2;
    encoder = std::make_unique<GnnEncoder>(registry, spec, 1);
    optimizer = std::make_unique<DenseOptimizer>(
        Config::parse("", "test", {"optimizer.dense=sgd", "optimizer.dense_learning_rate=0.5"}));
  }
  PluginRegistry registry;
  std::unique_ptr<GnnEncoder> encoder;
  std::unique_ptr<DenseOptimizer> optimizer;
};

TEST(DenseParameters, AsyncStashesAreIndependentAndStalenessIsCounted) {
  SmallEncoder small;
  GnnEncoder& encoder = *small.encoder;
  DenseParameters dense(encoder, *small.optimizer, /*async=*/true);
  const at::Tensor start = encoder.parameters()[0].detach().clone();
  std::vector<DenseParameters::Use> uses;
  for (int i = 0; i < 3; ++i) uses.push_back(dense.begin());
  EXPECT_FALSE(uses[0].by_layer[0][0].is_same(encoder.parameters()[0]));  // a copy, not the parameter
  for (DenseParameters::Use& use : uses) {
    use.by_layer[0][0].mutable_grad() = at::ones_like(use.by_layer[0][0]);
    EXPECT_EQ(dense.finish(use), -1);
  }
  // Three SGD steps of gradient 1 at rate 0.5; the bias had no gradient and stays.
  EXPECT_TRUE(at::allclose(encoder.parameters()[0].detach(), start - 1.5));
  EXPECT_EQ(dense.take_max_staleness(), 2);  // the third batch began before the first two updates
  EXPECT_EQ(dense.take_max_staleness(), 0);
}

// Updates apply in begin order; a batch that failed (its Use destroyed
// unfinished) gives up its turn, so the batches after it do not wait for it.
TEST(DenseParameters, AFailedBatchGivesUpItsTurn) {
  SmallEncoder small;
  DenseParameters dense(*small.encoder, *small.optimizer, /*async=*/true);
  auto failed = std::make_unique<DenseParameters::Use>(dense.begin());
  DenseParameters::Use second = dense.begin();
  auto failed_too = std::make_unique<DenseParameters::Use>(dense.begin());
  DenseParameters::Use fourth = dense.begin();
  failed.reset();      // its turn was next: the second's comes
  failed_too.reset();  // not its turn yet: skipped when it comes
  EXPECT_EQ(dense.finish(second), -1);
  EXPECT_EQ(dense.finish(fourth), -1);  // would wait forever for the third's turn otherwise
  EXPECT_EQ(dense.take_max_staleness(), 1);
}

}  // namespace
}  // namespace marius
