// A score function that throws from the slot named by its `throw_in` option.
// Proves the SDK turns exceptions into statuses and the host survives.
#include <stdexcept>

#include "marius/sdk/plugin.hpp"

namespace {

class Throwing : public marius::sdk::ScoreFunction {
 public:
  explicit Throwing(const marius::sdk::Options& options) : where_(options.get_string("throw_in")) {
    if (where_ == "create") throw std::runtime_error("boom from create");
  }
  int64_t relation_width(const marius_call_context&, int64_t dim) override {
    if (where_ == "relation_width") throw std::logic_error("boom from relation_width");
    return dim;
  }
  void init_relations(const marius_call_context&, DLTensor&) override {
    if (where_ == "init_relations") throw 42;  // not even an std::exception
  }
  void forward(const marius_call_context&, const marius_score_args&) override {
    if (where_ == "forward") throw std::runtime_error("boom from forward");
  }
  void backward(const marius_call_context&, const marius_score_args&) override {
    if (where_ == "backward") throw std::bad_alloc();
  }

 private:
  std::string where_;
};

}  // namespace

MARIUS_PLUGIN(Throwing, "throwing", "1.0.0", MARIUS_CAP_CPU)
