#include "core/conformance/conformance.h"

#include <algorithm>

#include "core/error.h"

namespace marius {

bool ConformanceReport::passed() const { return !checks.empty() && failures() == 0; }

int ConformanceReport::failures() const {
  return static_cast<int>(std::count_if(checks.begin(), checks.end(), [](const CheckResult& c) { return !c.passed; }));
}

namespace conformance {

void require(bool condition, const std::string& detail) {
  if (!condition) throw Error(MARIUS_ERR_INTERNAL, detail);
}

void Checker::record(const std::string& name, bool passed, const std::string& detail) {
  report_.checks.push_back(CheckResult{name, passed, detail});
}

void Checker::run(const std::string& name, const std::function<void()>& body) {
  try {
    body();
    record(name, true);
  } catch (const std::exception& e) {
    record(name, false, e.what());
  }
}

void Checker::expect_error(const std::string& name, marius_status status, const std::string& message) {
  if (status == MARIUS_OK) {
    record(name, false, "the plugin accepted invalid input (returned MARIUS_OK)");
  } else if (message.empty()) {
    record(name, false, fmt::format("status {} came without a message (call set_error)", status_name(status)));
  } else {
    record(name, true, fmt::format("{}: {}", status_name(status), message));
  }
}

}  // namespace conformance

ConformanceReport run_conformance(std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& options) {
  ConformanceReport report;
  report.plugin = plugin->manifest().label();
  conformance::Checker checker(report);
  try {
    switch (plugin->manifest().kind) {
      case MARIUS_KIND_SCORE_FUNCTION: conformance::check_score_function(checker, plugin, options); break;
      case MARIUS_KIND_NEGATIVE_SAMPLER: conformance::check_negative_sampler(checker, plugin, options); break;
      case MARIUS_KIND_ORDERING_POLICY: conformance::check_ordering_policy(checker, plugin, options); break;
      case MARIUS_KIND_STORAGE_BACKEND: conformance::check_storage_backend(checker, plugin, options); break;
      case MARIUS_KIND_LAYER: conformance::check_layer(checker, plugin, options); break;
      default: checker.record("kind", false, "unknown plugin kind");
    }
  } catch (const std::exception& e) {
    // Raised where nothing further can be checked (e.g. create failed).
    checker.record("create", false, e.what());
  }
  return report;
}

}  // namespace marius
