// An ordering policy built several times with different ABI claims
// (MARIUS_PLUGIN_ABI_MAJOR, MARIUS_PLUGIN_MIN_HOST_MINOR set by the build) to
// exercise version negotiation.
#include "marius/sdk/plugin.hpp"

namespace {

class Versioned : public marius::sdk::OrderingPolicy {
 public:
  explicit Versioned(const marius::sdk::Options&) {}
  void plan(const marius_call_context&, int32_t p, int32_t, marius::sdk::PlanSink& sink) override {
    std::vector<int32_t> all;
    for (int32_t i = 0; i < p; ++i) all.push_back(i);
    sink.add_state(all);
    for (int32_t a = 0; a < p; ++a)
      for (int32_t b = 0; b < p; ++b) sink.add_bucket(a, b);
  }
};

}  // namespace

MARIUS_PLUGIN(Versioned, MARIUS_TEST_PLUGIN_NAME, "1.0.0", MARIUS_CAP_CPU)
