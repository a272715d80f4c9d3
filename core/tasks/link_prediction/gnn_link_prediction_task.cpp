#include "core/tasks/link_prediction/gnn_link_prediction_task.h"

#include <chrono>
#include <cmath>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <fmt/format.h>
#include <torch/csrc/autograd/autograd.h>

#include "core/error.h"
#include "core/run/step_timer.h"
#include "core/kernels/sparse_optimizer.h"
#include "core/model/sample_calls.h"
#include "core/model/score_autograd.h"
#include "core/pipeline/hogwild.h"
#include "core/run/seed_mix.h"

namespace marius {

namespace {

using Clock = std::chrono::steady_clock;

// Softmax cross-entropy of each positive against its row of negatives:
// sum_k weight_k * (logsumexp(pos_k, neg_k..) - pos_k). pos [C,S], neg [C,S,N].
at::Tensor softmax_loss(const at::Tensor& pos, const at::Tensor& neg, const at::Tensor& weight) {
  at::Tensor all = at::cat({pos.unsqueeze(-1), neg}, -1);
  return ((at::logsumexp(all, -1) - pos) * weight).sum();
}

}  // namespace

struct GnnLinkPredictionTask::Batch : TaskBatch {
  int64_t epoch = 0;
  int64_t C = 0, S = 0, P = 0;
  at::Tensor weight;          // float32 [P]
  at::Tensor rel;             // int64 [P]
  DenseSample sample;         // of src (P), dst (P), negatives (C*N), in that order
  int64_t N = 0;
  const NodeTable* table = nullptr;  // the segment's: rows, their optimizer state and neighbourhoods
  at::Tensor input;           // [sampled nodes, width]
  uint64_t seed = 0;
  at::Tensor embedding_grad;  // of the sampled nodes' embedding rows
};

GnnLinkPredictionTask::GnnLinkPredictionTask(const Config& config, Model& model, GnnEncoder& encoder,
                                             DenseOptimizer& optimizer, const Adjacency& adjacency,
                                             const ScoreFunction& score, const NegativeSampler& sampler,
                                             at::Tensor features)
    : config_(config),
      model_(model),
      encoder_(encoder),
      optimizer_(optimizer),
      adjacency_(adjacency),
      score_(score),
      sampler_(sampler),
      features_(std::move(features)),
      fanouts_(layer_fanouts(config.fanouts, "model.fanouts", encoder.num_layers())),
      relations_(model, config, /*host_kernels=*/true),
      dense_(encoder, optimizer, config.dense_updates == DenseUpdates::kAsync) {
  if (config.loss != LossKind::kSoftmax) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "training.loss = \"{}\": with model.encoder only \"softmax\" is supported",
         choice_name(config.loss));
  }
  if (config.regularization != Regularization::kNone) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "training.regularization = \"{}\": not supported with model.encoder",
         choice_name(config.regularization));
  }
}

GnnLinkPredictionTask::~GnnLinkPredictionTask() = default;

int64_t GnnLinkPredictionTask::num_batches(const Segment& segment) const {
  return (segment.order.size(0) + config_.batch_size - 1) / config_.batch_size;
}

std::unique_ptr<TaskBatch> GnnLinkPredictionTask::load(const Segment& g, int64_t index, uint32_t worker) {
  auto t = Clock::now();
  const int64_t num_edges = g.order.size(0);
  const int64_t begin = index * config_.batch_size, end = std::min(num_edges, begin + config_.batch_size);
  at::Tensor batch_edges = g.examples.index_select(0, g.order.slice(0, begin, end));
  auto b = std::make_unique<Batch>();
  b->epoch = g.epoch;
  b->number = g.first_batch + index;
  b->table = g.table;
  b->seed = mix(mix(static_cast<uint64_t>(config_.seed) ^ mix(g.epoch + 1)) ^ static_cast<uint64_t>(b->number));
  const int64_t real = batch_edges.size(0);
  const int64_t S = (config_.batch_size + config_.chunks - 1) / config_.chunks;
  const int64_t C = (real + S - 1) / S;
  const int64_t P = C * S;
  b->examples = real, b->C = C, b->S = S, b->P = P;
  at::Tensor edges = batch_edges;
  b->weight = at::ones({P}, at::kFloat);
  if (P > real) {
    edges = batch_edges.index_select(0, at::arange(P, at::kLong).remainder_(real));
    b->weight.slice(0, real, P).zero_();
  }
  if (config_.reduction == Reduction::kMean) b->weight.div_(static_cast<double>(real));
  at::Tensor src = edges.select(1, 0).contiguous(), dst = edges.select(1, 2).contiguous();
  b->rel = edges.select(1, 1).contiguous();
  RandomStream stream(b->seed);
  CallContext ctx(sampler_.label(), stream.get(), worker);
  const NodeTable& table = *g.table;
  at::Tensor src2 = src.view({C, S}), dst2 = dst.view({C, S});
  at::Tensor negatives = sample_negatives(sampler_, ctx, &sampler_mutex_, table.node_ranges, table.degrees,
                                          table.embeddings.size(0), at::cat({dst2, src2}, 1).view(-1),
                                          at::empty({C, config_.per_chunk}, at::kLong));
  if (config_.anchor_negatives) negatives = at::cat({negatives, src2, dst2}, 1);
  b->N = negatives.size(1);
  const Adjacency& adjacency = table.adjacency != nullptr ? *table.adjacency : adjacency_;
  b->sample = sample_dense(adjacency, at::cat({src, dst, negatives.view(-1)}), fanouts_, mix(b->seed + 1));
  StepTimes times;
  times.sample = lap(t);
  {
    HogwildAccess hogwild;  // earlier batches' updates may be writing these rows
    at::Tensor rows = table.embeddings.index_select(0, b->sample.nodes);
    if (table.features.defined()) {  // out of core: the feature pages, in the table's rows
      b->input = at::cat({table.features.index_select(0, b->sample.nodes), rows}, 1);
    } else if (features_.defined()) {  // features are indexed by node id, the table by row
      const at::Tensor ids = table.global_ids.defined() ? table.global_ids.index_select(0, b->sample.nodes) : b->sample.nodes;
      b->input = at::cat({features_.index_select(0, ids), rows}, 1);
    } else {
      b->input = rows;
    }
  }
  times.gather = lap(t);
  times_.add(times);
  return b;
}

void GnnLinkPredictionTask::compute(TaskBatch& task_batch, uint32_t) {
  Batch& b = static_cast<Batch&>(task_batch);
  StepTimes times;
  DenseParameters::Use params = dense_.begin();
  auto t = Clock::now();
  const int64_t C = b.C, S = b.S, P = b.P, N = b.N;
  const int64_t f = b.input.size(1) - model_.dim;  // feature columns in front (in memory or paged)
  at::Tensor embedding_rows = b.input.slice(1, f).detach().requires_grad_(true);
  at::Tensor input = f > 0 ? at::cat({b.input.slice(1, 0, f), embedding_rows}, 1) : embedding_rows;
  at::Tensor out = naming_batch(b.epoch, b.number, [&] {  // a layer plugin's NaN is named by the plugin
    return encoder_.forward(b.sample, input, /*training=*/true, b.seed, params.by_layer);
  });
  at::Tensor per_root = out.index_select(0, b.sample.root_rows);
  const int64_t D = per_root.size(1);
  at::Tensor src_e = per_root.slice(0, 0, P), dst_e = per_root.slice(0, P, 2 * P);
  at::Tensor neg_e = per_root.slice(0, 2 * P).view({C, N, D});
  const bool inverse = model_.inverse_relations;
  at::Tensor rel_ids = inverse ? at::cat({b.rel, b.rel + model_.num_relations}) : b.rel;
  at::Tensor rel_rows = relations_.gather(rel_ids).requires_grad_(true);
  const int64_t R = rel_rows.size(1);
  at::Tensor rel_e = rel_rows.slice(0, 0, P);
  at::Tensor pos = plugin_score(score_, MARIUS_SCORE_POSITIVE, src_e, rel_e, dst_e);
  at::Tensor neg_r = plugin_score(score_, MARIUS_SCORE_CORRUPT_RHS, src_e.view({C, S, D}), rel_e.view({C, S, R}), neg_e);
  at::Tensor weight = b.weight.view({C, S});
  at::Tensor loss;
  if (inverse) {
    at::Tensor inv_e = rel_rows.slice(0, P);
    at::Tensor pos_inv = plugin_score(score_, MARIUS_SCORE_POSITIVE, dst_e, inv_e, src_e);
    at::Tensor neg_l =
        plugin_score(score_, MARIUS_SCORE_CORRUPT_RHS, dst_e.view({C, S, D}), inv_e.view({C, S, R}), neg_e);
    loss = softmax_loss(pos.view({C, S}), neg_r, weight) + softmax_loss(pos_inv.view({C, S}), neg_l, weight);
  } else {
    at::Tensor neg_l = plugin_score(score_, MARIUS_SCORE_CORRUPT_LHS, neg_e, rel_e.view({C, S, R}), dst_e.view({C, S, D}));
    loss = softmax_loss(pos.view({C, S}), neg_r, weight) + softmax_loss(pos.view({C, S}), neg_l, weight);
  }
  times.forward = lap(t);
  const double value = loss.item<double>();
  if (!std::isfinite(value)) non_finite(b, fmt::format("the loss ({})", value));
  times.loss = lap(t);
  std::vector<at::Tensor> roots{loss};
  naming_batch(b.epoch, b.number, [&] { torch::autograd::backward(roots); });
  times.backward = lap(t);
  const int64_t bad = dense_.finish(params);
  if (bad >= 0) non_finite(b, "the gradient of " + encoder_.parameter_names()[static_cast<size_t>(bad)]);
  if (!relations_.apply(rel_ids, rel_rows.grad())) non_finite(b, "a relation row (or its optimizer state)");
  b.embedding_grad = embedding_rows.grad();
  b.input = at::Tensor();
  times.update = lap(t);
  b.loss = value;
  b.gradient_rows = b.sample.nodes.size(0);
  times_.add(times);
}

void GnnLinkPredictionTask::update(TaskBatch& task_batch, uint32_t) {
  Batch& b = static_cast<Batch&>(task_batch);
  auto t = Clock::now();
  bool finite = true;
  {
    HogwildAccess hogwild;
    at::Tensor embeddings = b.table->embeddings, state = b.table->state;
    finite = sparse_adagrad(embeddings, state, {RowGradients{b.sample.nodes, b.embedding_grad}}, config_.learning_rate,
                            config_.adagrad_eps, /*fused=*/true, config_.node_optimizer == NodeOptimizerKind::kRowAdagrad);
  }
  if (!finite) non_finite(b, "a node embedding row (or its Adagrad state) after its update");
  b.embedding_grad = at::Tensor();
  StepTimes times;
  times.update = lap(t);
  times_.add(times);
}

void GnnLinkPredictionTask::add_epoch_figures(nlohmann::ordered_json& record) {
  record["dense_updates"] = {{"mode", dense_.async() ? "async" : "sync"}, {"max_staleness", dense_.take_max_staleness()}};
}

StepTimes GnnLinkPredictionTask::take_times() {
  return times_.take();
}

void GnnLinkPredictionTask::non_finite(const Batch& batch, const std::string& what) const {
  fail_non_finite(batch.epoch, batch.number, what);
}

}  // namespace marius
