#include "core/model/model.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "core/config/config.h"
#include "core/error.h"
#include "core/plugin/score_function.h"
#include "core/tensor/dl_view.h"

namespace marius {

at::Tensor Model::initial_embeddings(const Config& config, int64_t rows, uint64_t stream) {
  uint64_t seed = static_cast<uint64_t>(config.seed) ^ (0x9E3779B97F4A7C15ULL * (stream + 1));
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  at::Tensor t = at::empty({rows, config.dim}, at::kFloat);
  if (config.init == InitKind::kNormal) {
    t.normal_(0.0, config.init_scale, gen);
  } else {
    t.uniform_(-config.init_scale, config.init_scale, gen);
  }
  return t;
}

Model Model::create(const Config& config, int64_t num_nodes, int64_t num_relations, const ScoreFunction& score,
                    bool node_tables) {
  Model m;
  m.num_nodes = num_nodes;
  m.dim = config.dim;
  m.num_relations = num_relations;
  CallContext ctx(score.label());
  m.relation_width = score.relation_width(ctx, config.dim);

  if (node_tables) {
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(config.seed));
    m.embeddings = at::empty({num_nodes, config.dim}, at::kFloat);
    if (config.init == InitKind::kNormal) {
      m.embeddings.normal_(0.0, config.init_scale, gen);
    } else {
      m.embeddings.uniform_(-config.init_scale, config.init_scale, gen);
    }
    m.embedding_state = at::zeros_like(m.embeddings);
  }

  m.inverse_relations = config.inverse_relations;
  const int64_t rows = num_relations * (m.inverse_relations ? 2 : 1);
  m.relations = at::zeros({rows, m.relation_width}, at::kFloat);
  RandomStream stream(static_cast<uint64_t>(config.seed) ^ 0x5e1a7e5ULL);
  ctx.set_rng(stream.get());
  DLView view(m.relations);
  score.init_relations(ctx, *view.get());
  m.relation_state = at::zeros_like(m.relations);
  if (config.relation_optimizer == RelationOptimizer::kAdam) {
    m.relation_state2 = at::zeros_like(m.relations);
    m.relation_steps = at::zeros({rows}, at::kLong);
  }
  return m;
}

}  // namespace marius
