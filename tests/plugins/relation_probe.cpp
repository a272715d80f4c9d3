// A score function that checks what the host promises about relation
// parameters (docs/pipeline.md, "Relations"): a compute worker never reads a
// relation row another worker is half-way through updating. Its relation rows
// are `width` wide and uniform (every element equal): init_relations fills
// them with 1, and backward's relation gradient is 1 everywhere, so sparse
// Adagrad keeps each row uniform, and only a row read in the middle of an
// update can differ within itself. forward throws on such a torn row. Scores
// and node gradients are zero: training itself is of no interest.
#include <cstring>
#include <stdexcept>
#include <string>

#include "marius/sdk/plugin.hpp"

namespace {

int64_t numel(const DLTensor* t) {
  int64_t n = 1;
  for (int i = 0; i < t->ndim; ++i) n *= t->shape[i];
  return n;
}

float* floats(const DLTensor* t) {
  return reinterpret_cast<float*>(static_cast<char*>(t->data) + t->byte_offset);
}

void fill(DLTensor* t, float value) {
  if (t == nullptr) return;
  float* p = floats(t);
  for (int64_t i = 0; i < numel(t); ++i) p[i] = value;
}

class RelationProbe : public marius::sdk::ScoreFunction {
 public:
  explicit RelationProbe(const marius::sdk::Options& options) : width_(options.get_int("width")) {}
  int64_t relation_width(const marius_call_context&, int64_t) override { return width_; }
  void init_relations(const marius_call_context&, DLTensor& params) override { fill(&params, 1.0f); }
  void forward(const marius_call_context&, const marius_score_args& args) override {
    const float* r = floats(args.rel);
    const int64_t rows = numel(args.rel) / width_;
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j = 1; j < width_; ++j) {
        if (r[i * width_ + j] != r[i * width_]) {
          throw std::runtime_error("torn relation row: element " + std::to_string(j) + " is " +
                                   std::to_string(r[i * width_ + j]) + ", element 0 is " +
                                   std::to_string(r[i * width_]));
        }
      }
    }
    fill(args.out, 0.0f);
  }
  void backward(const marius_call_context&, const marius_score_args& args) override {
    fill(args.grad_lhs, 0.0f);
    fill(args.grad_rel, 1.0f);
    fill(args.grad_rhs, 0.0f);
  }

 private:
  int64_t width_;
};

}  // namespace

MARIUS_PLUGIN(RelationProbe, "relation_probe", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT)
