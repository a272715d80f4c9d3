// The device tier, run on the CPU (storage.device_capacity with
// training.device = "cpu" keeps it in a second host slab, so every line of its
// logic runs without a GPU): a whole table on the device trains exactly as in
// memory; a device tier over the in-memory table trains exactly as the host
// buffer does out of core with the same plan; three tiers with d = c train
// exactly as two; every edge and gradient is trained once and every partition
// comes back; the bytes moved follow the plan. Also the loss's device path and
// the errors of a bad device setting.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "core/storage/partition_buffer.h"
#include "core/storage/table_source.h"
#include "core/kernels/loss.h"
#include "core/model/node_rows.h"
#include "core/run/session.h"
#include "train_fixture.h"

namespace marius {
namespace {

using testing::CountingOptimizer;
using testing::expect_error;

class DeviceTier : public testing::TrainFixture {
 protected:
  // Trains `epochs` epochs in sync mode on one thread (bit-for-bit
  // reproducible) and returns every node's embedding and the relations. An
  // in-memory model starts from `initial` embeddings when given.
  std::pair<at::Tensor, at::Tensor> train(int partitions, std::vector<std::string> overrides, int epochs = 2,
                                          at::Tensor initial = at::Tensor(), bool device_kernels = false) {
    overrides.insert(overrides.begin(), {"pipeline.mode=sync", "training.threads=1"});
    Session session(config(partitions, overrides), {});
    session.initialize(false);
    session.use_device_kernels(device_kernels);
    if (initial.defined()) session.model().embeddings.copy_(initial);
    for (int e = 0; e < epochs; ++e) device_tier_ = session.train_epoch(nullptr).device_tier;
    return {embeddings(session), session.model().relations.clone()};
  }

  bool device_tier_ = false;  // the last train() ran a device tier

  static at::Tensor embeddings(Session& session) {
    const NodeRows& rows = session.node_rows();
    std::vector<at::Tensor> blocks;
    for (int32_t k = 0; k < rows.num_blocks(); ++k) blocks.push_back(rows.block(k).clone());
    return at::cat(blocks);
  }
};

void expect_same(const std::pair<at::Tensor, at::Tensor>& a, const std::pair<at::Tensor, at::Tensor>& b) {
  EXPECT_TRUE(at::equal(a.first, b.first)) << "embeddings differ";
  EXPECT_TRUE(at::equal(a.second, b.second)) << "relations differ";
}

TEST_F(DeviceTier, TheWholeTableOnTheDeviceTrainsExactlyAsInMemory) {
  auto memory = train(1, {});
  auto device = train(1, {"storage.device_capacity=1"});
  ASSERT_TRUE(device_tier_);
  expect_same(memory, device);
  EXPECT_FALSE(at::equal(memory.first, train(1, {}, 1).first));  // the comparison can fail
}

TEST_F(DeviceTier, OverTheInMemoryTableItTrainsExactlyAsTheHostBufferWithTheSamePlan) {
  // BETA without relabelling plans p = 4, c = 2 the same way for the host
  // buffer over the files and for the device tier over the in-memory table;
  // the in-memory model starts from the partition files' initial embeddings.
  const std::vector<std::string> plan = {"storage.ordering_options.shuffle=false"};
  auto host = plan, device = plan;
  host.push_back("storage.buffer_capacity=2");
  device.push_back("storage.device_capacity=2");
  Session files(config(4, host), {});
  files.initialize(false);
  const at::Tensor initial = embeddings(files);
  auto two = train(4, host);
  auto tiered = train(4, device, 2, initial);
  ASSERT_TRUE(device_tier_);
  expect_same(two, tiered);
}

TEST_F(DeviceTier, ThreeTiersWithTheDeviceAsLargeAsTheHostBufferTrainExactlyAsTwo) {
  auto two = train(4, {"storage.buffer_capacity=2"});
  auto three = train(4, {"storage.buffer_capacity=2", "storage.device_capacity=2"});
  ASSERT_TRUE(device_tier_);
  expect_same(two, three);
}

TEST_F(DeviceTier, TheDevicePathsKernelsTrainTheSameModelAsTheHostKernels) {
  // What a GPU runs (the softmax loss and sparse Adagrad as ATen operations),
  // run on the host: the same model up to float rounding, in memory, with the
  // whole table in the device tier, and on three tiers.
  struct Case {
    int partitions;
    std::vector<std::string> overrides;
  };
  for (const Case& c : {Case{1, {}}, Case{1, {"storage.device_capacity=1"}},
                        Case{4, {"storage.buffer_capacity=3", "storage.device_capacity=2"}},
                        Case{1, {"negatives.filtered=true", "model.score=complex"}}}) {
    SCOPED_TRACE(c.overrides.empty() ? std::string("in memory") : c.overrides.back());
    auto host = train(c.partitions, c.overrides, 2);
    auto device = train(c.partitions, c.overrides, 2, at::Tensor(), /*device_kernels=*/true);
    // Rounding differs between the fused host kernels and ATen's, and between compilers' code for the
    // fused kernels (a RelWithDebInfo sanitizer build differs by up to 5e-5 after two epochs, where
    // Adagrad's division by a small state magnifies it); a wrong step moves a row by lr * gradient,
    // about 1e-2.
    EXPECT_TRUE(at::allclose(host.first, device.first, 1e-3, 2e-4))
        << "max difference " << (host.first - device.first).abs().max().item<float>();
    EXPECT_TRUE(at::allclose(host.second, device.second, 1e-3, 2e-4))
        << "max difference " << (host.second - device.second).abs().max().item<float>();
    EXPECT_GT(device.first.abs().max().item<float>(), 0.01);  // trained
  }
}

TEST_F(DeviceTier, ThreeTiersTrainEveryEdgeAndGradientOnceAndMoveWhatThePlanSays) {
  for (int k : {1, 4}) {
    SCOPED_TRACE("staleness " + std::to_string(k));
    Session session(config(4, {"pipeline.staleness=" + std::to_string(k), "storage.buffer_capacity=3",
                               "storage.device_capacity=2"}),
                    {});
    session.initialize(false);
    CountingOptimizer counting;
    session.replace_node_optimizer(counting.hook());
    EpochResult r = session.train_epoch(nullptr);
    ASSERT_TRUE(r.out_of_core);
    ASSERT_TRUE(r.device_tier);
    EXPECT_EQ(r.edges, session.dataset().info().num_edges[0]);
    ASSERT_FALSE(counting.applied.empty());
    for (size_t b = 0; b < counting.applied.size(); ++b) EXPECT_EQ(counting.applied[b], 1) << "batch " << b;
    EXPECT_EQ(counting.rows, r.gradient_rows);
    EXPECT_EQ(r.pipeline.update.batches, static_cast<int64_t>(counting.applied.size()));
    // Each host state of 3 partitions is planned again for 2 device slots
    // (sub-states with none of the host state's buckets skipped): a host
    // state's first sub-state admits 2 partitions, every later one at least
    // 1; everything admitted is written back to the host slab before the host
    // state is released.
    EXPECT_GT(r.device_states, r.states);
    EXPECT_GE(r.device_io.partitions_read, r.device_states + r.states);
    EXPECT_EQ(r.device_io.partitions_read, r.device_io.partitions_written);
    EXPECT_EQ(r.device_io.bytes_read, r.device_io.bytes_written);
    EXPECT_EQ(r.device_io.bytes_read, static_cast<uint64_t>(r.device_io.partitions_read) * 250 * 8 * 16);
  }
}

TEST_F(DeviceTier, OverTheInMemoryTableItReadsCPlusSwapsPartitions) {
  // BETA with p = 4, c = 2: swaps = (p-c) + (x+1)((p-c) - x(c-1)/2), x = 2: 5.
  Session session(config(4, {"storage.device_capacity=2"}), {});
  session.initialize(false);
  EpochResult r = session.train_epoch(nullptr);
  EXPECT_FALSE(r.out_of_core);
  ASSERT_TRUE(r.device_tier);
  EXPECT_EQ(r.device_io.swaps, 5);
  EXPECT_EQ(r.device_io.partitions_read, 2 + 5);
  EXPECT_EQ(r.device_io.bytes_read, uint64_t{7} * 250 * 8 * 16);  // 250 nodes x (embedding + state) x D floats
  EXPECT_EQ(r.device_io.partitions_written, 7);
  EXPECT_EQ(r.edges, session.dataset().info().num_edges[0]);
}

TEST_F(DeviceTier, AByteBudgetHoldsDPartitionsPlusThePrefetchSlot) {
  const int64_t partition = 250 * 16 * 8;  // p = 4: 250 nodes, D = 16, embeddings and state
  EXPECT_EQ(Session(config(4, {"storage.device_bytes=" + std::to_string(3 * partition)}), {}).device_capacity(), 2);
  EXPECT_EQ(Session(config(4, {"storage.device_bytes=" + std::to_string(4 * partition - 1)}), {}).device_capacity(), 2);
  EXPECT_EQ(Session(config(4, {"storage.device_bytes=" + std::to_string(3 * partition), "storage.prefetch=false"}), {})
                .device_capacity(),
            3);
  EXPECT_EQ(Session(config(4, {"storage.device_bytes=" + std::to_string(9 * partition)}), {}).device_capacity(), 4);
  EXPECT_EQ(Session(config(4, {"storage.device_bytes=" + std::to_string(4 * partition)}), {}).device_capacity(), 4);
  EXPECT_EQ(Session(config(4, {"storage.buffer_capacity=2", "storage.device_bytes=" + std::to_string(9 * partition)}), {})
                .device_capacity(),
            2);  // at most the host buffer's c
}

TEST_F(DeviceTier, BadDeviceSettingsAreRejectedByName) {
  expect_error([&] { config(1, {"training.device=\"gpu\""}); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"training.device", "\"cuda:N\"", "gpu"});
  expect_error([&] { Session(config(4, {"storage.device_capacity=1"}), {}); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"storage.device_capacity = 1"});
  expect_error([&] { Session(config(4, {"storage.device_bytes=100"}), {}); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"storage.device_bytes = 100", "needs room for 2"});
  if (!at::hasCUDA()) {
    expect_error([&] { Session(config(1, {"training.device=\"cuda:0\""}), {}); }, MARIUS_ERR_UNSUPPORTED,
                 {"training.device = \"cuda:0\"", "without CUDA"});
  }
}

TEST(TableSource, CopiesPartitionsInAndOutAtTheirRows) {
  at::Tensor emb = at::arange(12, at::kFloat).view({6, 2}), state = -emb;
  TableSource source(emb, state, {2, 1, 3});
  EXPECT_EQ(source.max_rows(), 3);
  source.place({4, -1, 0});
  at::Tensor e = at::empty({2, 2}), s = at::empty({2, 2});
  source.read_into(0, e, s);
  EXPECT_TRUE(at::equal(e, emb.narrow(0, 4, 2)));
  EXPECT_TRUE(at::equal(s, state.narrow(0, 4, 2)));
  at::Tensor three = at::full({3, 2}, 7.0f);
  source.write_from(2, three, three);
  EXPECT_TRUE(at::equal(emb.narrow(0, 0, 3), three));
  EXPECT_EQ(emb[4][0].item<float>(), 8.0f);  // partition 0 untouched
  expect_error([&] { source.read_into(1, e, s); }, MARIUS_ERR_INTERNAL, {"partition 1 is not in the tier below"});
  expect_error([&] { source.place({4, 0, 5}); }, MARIUS_ERR_INTERNAL, {"partition 2 at row 5 overruns"});
}

TEST(Loss, TheDevicePathOfSoftmaxMatchesTheHostKernel) {
  at::manual_seed(5);
  at::Tensor pos = at::randn({3, 7}) * 4, neg = at::randn({3, 7, 11}) * 4;
  at::Tensor weight = at::rand({3, 7});
  at::Tensor gp_host = at::zeros({3, 7}), gp_any = at::zeros({3, 7}), gn_host, gn_any;
  const double host = contrastive_loss(LossKind::kSoftmax, pos, neg, weight, 0, gp_host, gn_host);
  const double any = softmax_loss_generic(pos, neg, weight, gp_any, gn_any);
  EXPECT_NEAR(host, any, 1e-4 * std::abs(host));
  EXPECT_TRUE(at::allclose(gp_host, gp_any, 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(gn_host, gn_any, 1e-5, 1e-6));
}

}  // namespace
}  // namespace marius
