// A score function that throws from the slot named by its `throw_in` option.
// Proves the SDK turns exceptions into statuses and the host survives. With
// `after_calls = n`, forward and backward succeed n times first (scores and
// gradients of zero), so training fails at a chosen batch in the middle of an
// epoch. Calls are counted across threads. `nan_in = "forward"` (or
// "backward") makes that slot return NaN scores (gradients) instead of zeros
// once `after_calls` calls have succeeded, without reporting an error: a
// plugin whose numbers go wrong, which the host must catch.
#include <atomic>
#include <cmath>
#include <stdexcept>

#include "marius/sdk/plugin.hpp"

namespace {

void fill(DLTensor* t, float value) {
  if (t == nullptr) return;
  int64_t n = 1;
  for (int i = 0; i < t->ndim; ++i) n *= t->shape[i];
  float* data = reinterpret_cast<float*>(static_cast<char*>(t->data) + t->byte_offset);
  for (int64_t i = 0; i < n; ++i) data[i] = value;
}

class Throwing : public marius::sdk::ScoreFunction {
 public:
  explicit Throwing(const marius::sdk::Options& options)
      : where_(options.get_string("throw_in")),
        nan_in_(options.get_string("nan_in")),
        after_(options.get_int("after_calls")) {
    if (where_ == "create") throw std::runtime_error("boom from create");
  }
  int64_t relation_width(const marius_call_context&, int64_t dim) override {
    if (where_ == "relation_width") throw std::logic_error("boom from relation_width");
    return dim;
  }
  void init_relations(const marius_call_context&, DLTensor&) override {
    if (where_ == "init_relations") throw 42;  // not even an std::exception
  }
  void forward(const marius_call_context&, const marius_score_args& args) override {
    if (where_ == "forward" && calls_++ >= after_) {
      throw std::runtime_error("boom from forward, call " + std::to_string(after_ + 1));
    }
    fill(args.out, nan_in_ == "forward" && nan_calls_++ >= after_ ? std::nanf("") : 0.0f);
  }
  void backward(const marius_call_context&, const marius_score_args& args) override {
    if (where_ == "backward" && calls_++ >= after_) throw std::bad_alloc();
    const float g = nan_in_ == "backward" && nan_calls_++ >= after_ ? std::nanf("") : 0.0f;
    fill(args.grad_lhs, g);
    fill(args.grad_rel, g);
    fill(args.grad_rhs, g);
  }

 private:
  std::string where_;
  std::string nan_in_;
  int64_t after_;
  std::atomic<int64_t> calls_{0};
  std::atomic<int64_t> nan_calls_{0};
};

}  // namespace

MARIUS_PLUGIN(Throwing, "throwing", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT)
