// Every built-in plugin and the plain-C example pass the conformance suite; a
// misbehaving plugin fails it.
#include "core/conformance/conformance.h"
#include "core/plugin/registry.h"
#include "test_util.h"

namespace marius {
namespace {

std::string describe(const ConformanceReport& report) {
  std::string out = report.plugin + "\n";
  for (const auto& c : report.checks) out += (c.passed ? "  ok   " : "  FAIL ") + c.name + " " + c.detail + "\n";
  return out;
}

ConformanceReport check(const std::string& manifest, const OptionInputs& options = {}) {
  return run_conformance(LoadedPlugin::load(load_manifest(manifest)), options);
}

class BuiltinConformance : public ::testing::TestWithParam<std::string> {};

TEST_P(BuiltinConformance, Passes) {
  ConformanceReport report = check(testing::builtin_manifest(GetParam()));
  // A backend this machine refuses (io_uring where a seccomp filter blocks it) cannot be checked here.
  if (report.checks.size() == 1 && report.checks[0].name == "create" &&
      report.checks[0].detail.find("io_uring is unavailable") != std::string::npos) {
    GTEST_SKIP() << report.checks[0].detail;
  }
  EXPECT_TRUE(report.passed()) << describe(report);
  EXPECT_GE(report.checks.size(), 7u);
}

INSTANTIATE_TEST_SUITE_P(Builtins, BuiltinConformance,
                         ::testing::Values("distmult", "complex", "transe", "dot", "uniform", "in_batch", "sequential", "posix",
                                           "mmap", "io_uring", "memory", "fault", "beta", "hilbert", "random", "comet"));

TEST(Conformance, BuiltinDirectoryHoldsExactlyTheCheckedPlugins) {
  PluginRegistry registry;
  registry.add_builtin();
  std::vector<std::string> names;
  for (const auto& e : registry.entries()) {
    ASSERT_TRUE(e.manifest) << e.error;
    names.push_back(e.manifest->name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"beta", "comet", "complex", "distmult", "dot", "fault", "gat", "gcn", "graphsage", "hilbert",
                                             "in_batch", "io_uring", "memory", "mmap", "posix", "random", "rgcn",
                                             "sequential", "transe", "uniform"}));
}

TEST(Conformance, PlainCPluginPasses) {
  ConformanceReport report = check(MARIUS_TEST_C_PLUGIN);
  EXPECT_TRUE(report.passed()) << describe(report);
}

TEST(Conformance, OptionsReachThePlugin) {
  ConformanceReport report = check(testing::builtin_manifest("uniform"), {{"degree_fraction", 0.5}});
  EXPECT_TRUE(report.passed()) << describe(report);
}

TEST(Conformance, AThrowingPluginFails) {
  ConformanceReport report = check(testing::plugin_manifest("throwing"), {{"throw_in", std::string("backward")}});
  EXPECT_FALSE(report.passed());
  bool backward_failed = false;
  for (const auto& c : report.checks) {
    if (c.name.find("backward positive") != std::string::npos) backward_failed = !c.passed;
  }
  EXPECT_TRUE(backward_failed) << describe(report);
}

TEST(Conformance, APluginThatCannotBeCreatedFailsCleanly) {
  ConformanceReport report = check(testing::plugin_manifest("throwing"), {{"throw_in", std::string("create")}});
  ASSERT_EQ(report.checks.size(), 1u);
  EXPECT_EQ(report.checks[0].name, "create");
  EXPECT_NE(report.checks[0].detail.find("boom from create"), std::string::npos);
}

}  // namespace
}  // namespace marius
