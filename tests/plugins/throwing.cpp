// A score function that throws from the slot named by its `throw_in` option.
// Proves the SDK turns exceptions into statuses and the host survives. With
// `after_calls = n`, forward and backward succeed n times first (scores and
// gradients of zero), so training fails at a chosen batch in the middle of an
// epoch. Calls are counted across threads.
#include <atomic>
#include <cstring>
#include <stdexcept>

#include "marius/sdk/plugin.hpp"

namespace {

void zero(DLTensor* t) {
  if (t == nullptr) return;
  int64_t n = 1;
  for (int i = 0; i < t->ndim; ++i) n *= t->shape[i];
  std::memset(static_cast<char*>(t->data) + t->byte_offset, 0, static_cast<size_t>(n) * sizeof(float));
}

class Throwing : public marius::sdk::ScoreFunction {
 public:
  explicit Throwing(const marius::sdk::Options& options)
      : where_(options.get_string("throw_in")), after_(options.get_int("after_calls")) {
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
    zero(args.out);
  }
  void backward(const marius_call_context&, const marius_score_args& args) override {
    if (where_ == "backward" && calls_++ >= after_) throw std::bad_alloc();
    zero(args.grad_lhs);
    zero(args.grad_rel);
    zero(args.grad_rhs);
  }

 private:
  std::string where_;
  int64_t after_;
  std::atomic<int64_t> calls_{0};
};

}  // namespace

MARIUS_PLUGIN(Throwing, "throwing", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT)
