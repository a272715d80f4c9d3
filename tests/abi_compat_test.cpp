// A plugin built against the ABI 1.0 headers (tests/plugins/abi_1_0) loads,
// passes the conformance suite and trains in this (1.1) host.
#include <cmath>

#include <gtest/gtest.h>

#include "core/conformance/conformance.h"
#include "core/plugin/registry.h"
#include "core/run/session.h"
#include "test_paths.h"
#include "train_fixture.h"

namespace marius {
namespace {

using AbiCompat = testing::TrainFixture;

TEST_F(AbiCompat, APluginBuiltAgainstThe10HeadersLoadsAndTrains) {
  const std::string manifest = std::string(MARIUS_TEST_PLUGIN_DIR) + "/abi_1_0/c_dot_abi_1_0.toml";
  PluginRegistry registry;
  registry.add_path(manifest);
  auto plugin = registry.load(registry.find(manifest, MARIUS_KIND_SCORE_FUNCTION));
  EXPECT_EQ(plugin->descriptor().abi_major, 1u);
  EXPECT_EQ(plugin->descriptor().abi_min_host_minor, 0u);
  EXPECT_EQ(host_abi_version().minor, static_cast<uint32_t>(MARIUS_ABI_MINOR));
  EXPECT_GE(MARIUS_ABI_MINOR, 1);
  ConformanceReport report = run_conformance(plugin);
  EXPECT_TRUE(report.passed()) << report.failures() << " conformance checks failed";
  Session session(config(1, {"model.score=" + manifest, "training.epochs=1"}), {});
  session.initialize(/*resume=*/false);
  EpochResult r = session.train_epoch(nullptr);
  EXPECT_GT(r.edges, 0);
  EXPECT_TRUE(std::isfinite(r.loss));
}

}  // namespace
}  // namespace marius
