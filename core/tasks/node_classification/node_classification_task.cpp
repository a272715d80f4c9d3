#include "core/tasks/node_classification/node_classification_task.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <fmt/format.h>
#include <torch/csrc/autograd/autograd.h>

#include "core/error.h"
#include "core/run/step_timer.h"
#include "core/pipeline/hogwild.h"
#include "core/run/seed_mix.h"

namespace marius {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

at::Tensor GnnInput::rows(const at::Tensor& nodes) const {
  if (features.defined() && embeddings.defined()) {
    return at::cat({features.index_select(0, nodes), embeddings.index_select(0, nodes)}, 1);
  }
  return (features.defined() ? features : embeddings).index_select(0, nodes);
}

struct NodeClassificationTask::Batch : TaskBatch {
  int64_t epoch = 0;
  DenseSample sample;
  at::Tensor input;   // [sampled nodes, width]
  at::Tensor labels;  // int64 [roots]
  uint64_t seed = 0;
  at::Tensor embedding_grad;  // of the sampled nodes' embedding rows, for update
};

NodeClassificationTask::NodeClassificationTask(const Config& config, GnnEncoder& encoder, DenseOptimizer& optimizer,
                                               const Adjacency* adjacency, GnnInput& inputs, at::Tensor labels)
    : config_(config),
      encoder_(encoder),
      optimizer_(optimizer),
      adjacency_(adjacency),
      inputs_(inputs),
      labels_(std::move(labels)),
      fanouts_(layer_fanouts(config.fanouts, "model.fanouts", encoder.num_layers())),
      dense_(encoder, optimizer, config.dense_updates == DenseUpdates::kAsync) {}

int64_t NodeClassificationTask::num_batches(const Segment& segment) const {
  return (segment.order.size(0) + config_.batch_size - 1) / config_.batch_size;
}

std::unique_ptr<TaskBatch> NodeClassificationTask::load(const Segment& segment, int64_t index, uint32_t) {
  auto t = Clock::now();
  auto b = std::make_unique<Batch>();
  b->epoch = segment.epoch;
  b->number = segment.first_batch + index;
  const int64_t begin = index * config_.batch_size;
  const int64_t end = std::min(begin + config_.batch_size, segment.order.size(0));
  at::Tensor roots = segment.examples.index_select(0, segment.order.slice(0, begin, end)).view({-1});
  b->examples = roots.size(0);
  b->seed = mix(static_cast<uint64_t>(config_.seed) ^ mix(static_cast<uint64_t>(segment.epoch) << 32 ^
                                                          static_cast<uint64_t>(b->number)));
  if (rank_ > 0) b->seed = mix(b->seed ^ mix(0x72616e6bULL + static_cast<uint64_t>(rank_)));
  const NodeTable& table = *segment.table;
  const Adjacency* adjacency = table.adjacency != nullptr ? table.adjacency : adjacency_;
  if (adjacency == nullptr) fail(MARIUS_ERR_INTERNAL, "node classification: a segment without an adjacency");
  b->sample = sample_dense(*adjacency, roots, fanouts_, b->seed);
  StepTimes times;
  times.sample = lap(t);
  if (table.features.defined()) {
    b->input = table.features.index_select(0, b->sample.nodes);
  } else {
    HogwildAccess hogwild;  // learned embedding rows may be under update by earlier batches
    b->input = inputs_.rows(b->sample.nodes);
  }
  b->labels = labels_.index_select(0, table.global_ids.defined() ? table.global_ids.index_select(0, roots) : roots);
  times.gather = lap(t);
  times_.add(times);
  return b;
}

void NodeClassificationTask::compute(TaskBatch& task_batch, uint32_t) {
  Batch& b = static_cast<Batch&>(task_batch);
  StepTimes times;
  DenseParameters::Use params = dense_.begin();
  auto t = Clock::now();
  at::Tensor input = b.input;
  at::Tensor embedding_rows;
  const bool learned = inputs_.embeddings.defined();
  if (learned) {  // the embedding columns are a leaf whose gradient the update stage applies
    const int64_t f = inputs_.features.defined() ? inputs_.features.size(1) : 0;
    embedding_rows = input.slice(1, f).detach().requires_grad_(true);
    input = f > 0 ? at::cat({input.slice(1, 0, f), embedding_rows}, 1) : embedding_rows;
  }
  at::Tensor logits = naming_batch(b.epoch, b.number, [&] {  // a layer plugin's NaN is named by the plugin
    return encoder_.forward(b.sample, input, /*training=*/true, b.seed, params.by_layer);
  });
  logits = logits.index_select(0, b.sample.root_rows);
  times.forward = lap(t);
  at::Tensor loss = at::cross_entropy_loss(logits, b.labels);
  const double value = loss.item<double>();
  if (!std::isfinite(value)) non_finite(b, fmt::format("the loss ({})", value));
  times.loss = lap(t);
  std::vector<at::Tensor> roots{loss};
  naming_batch(b.epoch, b.number, [&] { torch::autograd::backward(roots); });
  times.backward = lap(t);
  const int64_t bad = dense_.finish(params);
  if (bad >= 0) non_finite(b, "the gradient of " + encoder_.parameter_names()[static_cast<size_t>(bad)]);
  if (learned) b.embedding_grad = embedding_rows.grad();
  times.update = lap(t);
  b.loss = value * static_cast<double>(b.examples);
  b.gradient_rows = learned ? b.sample.nodes.size(0) : 0;
  times_.add(times);
}

void NodeClassificationTask::update(TaskBatch& task_batch, uint32_t) {
  Batch& b = static_cast<Batch&>(task_batch);
  if (!b.embedding_grad.defined()) return;
  auto t = Clock::now();
  at::NoGradGuard no_grad;
  const at::Tensor& ids = b.sample.nodes;  // distinct: one row per sampled node
  const at::Tensor& g = b.embedding_grad;
  if (!at::isfinite(g).all().item<bool>()) non_finite(b, "the gradient of the learned embeddings");
  HogwildAccess hogwild;  // loads of later batches may read these rows
  at::Tensor state = inputs_.embedding_state.index_select(0, ids).add_(g * g);
  inputs_.embedding_state.index_copy_(0, ids, state);
  at::Tensor rows = inputs_.embeddings.index_select(0, ids) - config_.learning_rate * g / (state.sqrt() + config_.adagrad_eps);
  inputs_.embeddings.index_copy_(0, ids, rows);
  StepTimes times;
  times.update = lap(t);
  times_.add(times);
}

void NodeClassificationTask::drain_exchange() {
  const int64_t bad = dense_.drain_exchange();
  if (bad >= 0) {
    fail(MARIUS_ERR_NON_FINITE, "the end of the epoch: the workers' average gradient of {} is not finite (NaN or "
         "infinity)", encoder_.parameter_names()[static_cast<size_t>(bad)]);
  }
}

void NodeClassificationTask::add_epoch_figures(nlohmann::ordered_json& record) {
  record["dense_updates"] = {{"mode", dense_.async() ? "async" : "sync"}, {"max_staleness", dense_.take_max_staleness()}};
}

StepTimes NodeClassificationTask::take_times() {
  return times_.take();
}

void NodeClassificationTask::non_finite(const Batch& batch, const std::string& what) const {
  fail_non_finite(batch.epoch, batch.number, what);
}

}  // namespace marius
