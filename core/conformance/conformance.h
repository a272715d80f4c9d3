// core/conformance/conformance.h - the conformance suite every plugin must pass.
//
// `marius-run plugins check` runs it on any manifest: load the plugin, create it
// with default options (plus the user's), call every slot with valid input and
// check the results, call every slot with invalid input and check that an error
// status with a message comes back (never a crash, never silent acceptance), and
// for score functions and layers compare backward with finite differences.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/plugin/loaded_plugin.h"
#include "core/plugin/option_spec.h"

namespace marius {

struct CheckResult {
  std::string name;
  bool passed = false;
  std::string detail;  // why it failed, or a measurement
};

struct ConformanceReport {
  std::string plugin;  // the manifest's label
  std::vector<CheckResult> checks;
  bool passed() const;
  int failures() const;
};

// Runs the suite on a loaded plugin. Never throws for a failing plugin: each
// failure is a check in the report. A plugin that cannot even be created yields
// one failed "create" check.
ConformanceReport run_conformance(std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& options = {});

namespace conformance {

// Collects check results for one plugin.
class Checker {
 public:
  explicit Checker(ConformanceReport& report) : report_(report) {}

  // Runs `body`; the check passes unless it throws. The exception's message
  // becomes the failure's detail.
  void run(const std::string& name, const std::function<void()>& body);
  // Passes when `status` is an error AND the plugin left a message.
  void expect_error(const std::string& name, marius_status status, const std::string& message);
  void record(const std::string& name, bool passed, const std::string& detail = "");

 private:
  ConformanceReport& report_;
};

// Throws a check failure with `detail` unless `condition` holds.
void require(bool condition, const std::string& detail);

void check_score_function(Checker& checker, std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& options);
void check_negative_sampler(Checker& checker, std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& options);
void check_ordering_policy(Checker& checker, std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& options);
void check_storage_backend(Checker& checker, std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& options);
void check_layer(Checker& checker, std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& options);

}  // namespace conformance
}  // namespace marius
