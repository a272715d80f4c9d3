#include "core/tasks/link_prediction/link_prediction_task.h"

#include <cmath>

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/model/sample_calls.h"
#include "core/pipeline/hogwild.h"
#include "core/run/step.h"
#include "core/tasks/link_prediction/link_prediction_batch.h"
#include "core/tasks/link_prediction/edge_set.h"
#include "core/run/seed_mix.h"

namespace marius {

LinkPredictionTask::LinkPredictionTask(const Config& config, Model& model, const ScoreFunction& score,
                                       const NegativeSampler& sampler, const at::Tensor& train_edges,
                                       c10::Device device)
    : config_(config),
      model_(model),
      score_(score),
      sampler_(sampler),
      device_(device),
      floats_(at::TensorOptions().dtype(at::kFloat).device(device)),
      device_kernels_(!device.is_cpu()),
      relations_(model, config, /*host_kernels=*/device.is_cpu()) {
  if (config.filtered) filter_ = std::make_unique<EdgeSet>(train_edges);
  if (!device.is_cpu() && (score.plugin().capabilities() & MARIUS_CAP_CUDA) == 0) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "training.device = \"{}\": {} does not accept CUDA tensors (its manifest lists no device \"cuda\")",
         device.str(), score.label());
  }
  const PipelineOptions options = pipeline_options(config);
  const bool sync = options.mode == PipelineMode::kSync;
  if (!sync && options.compute_workers > 1 && !score.reentrant()) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "{} is not reentrant, so it needs one compute worker: set pipeline.compute_workers = 1 (or "
         "training.threads = 1, or pipeline.mode = \"sync\")",
         score.label());
  }
  auto make = [&](std::vector<std::unique_ptr<Worker>>& workers, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      workers.push_back(std::make_unique<Worker>(score_.label(), sampler_.label(), static_cast<uint32_t>(i)));
      if (device.is_cuda()) workers.back()->score_ctx.set_device(kDLCUDA, device.index() < 0 ? 0 : device.index());
    }
  };
  // A stage with 0 workers of its own runs on the compute workers (their indices).
  make(loaders_, sync ? 1 : options.load_workers > 0 ? options.load_workers : options.compute_workers);
  make(computers_, sync ? 1 : options.compute_workers);
  make(updaters_, sync ? 1 : options.update_workers > 0 ? options.update_workers : options.compute_workers);
}

LinkPredictionTask::~LinkPredictionTask() = default;

void LinkPredictionTask::use_device_kernels(bool on) {
  device_kernels_ = on || !device_.is_cpu();
  relations_.use_host_kernels(!device_kernels_);
}

StepTimes LinkPredictionTask::take_times() {
  StepTimes total;
  for (auto* workers : {&loaders_, &computers_, &updaters_}) {
    for (auto& w : *workers) {
      total += w->times;
      w->times = StepTimes{};
    }
  }
  return total;
}

int64_t LinkPredictionTask::num_batches(const Segment& segment) const {
  return (segment.order.size(0) + config_.batch_size - 1) / config_.batch_size;
}

// The load stage: the batch's edges (padded to whole chunks), its negatives
// and the node rows it reads.
std::unique_ptr<TaskBatch> LinkPredictionTask::load(const Segment& g, int64_t index, uint32_t worker) {
  Worker& w = *loaders_[worker];
  auto clock = std::chrono::steady_clock::now();
  const int64_t num_edges = g.order.size(0);
  const int64_t begin = index * config_.batch_size, end = std::min(num_edges, begin + config_.batch_size);
  at::Tensor batch_edges = g.examples.index_select(0, g.order.slice(0, begin, end));
  const uint64_t seed =
      mix(mix(static_cast<uint64_t>(config_.seed) ^ mix(g.epoch + 1)) ^ static_cast<uint64_t>(g.first_batch + index));

  auto b = std::make_unique<Batch>();
  b->epoch = g.epoch;
  b->table = g.table;
  b->number = g.first_batch + index;
  const NodeTable& table = *g.table;
  const int64_t real = batch_edges.size(0);
  const int64_t S = (config_.batch_size + config_.chunks - 1) / config_.chunks;  // edges per chunk
  const int64_t C = (real + S - 1) / S;
  const int64_t P = C * S;  // padded batch
  const int64_t D = model_.dim;
  b->examples = real, b->C = C, b->S = S, b->P = P;

  at::Tensor edges = batch_edges;
  b->weight = at::ones({P}, at::kFloat);
  if (P > real) {  // pad with copies of the first edges, weighted 0
    edges = batch_edges.index_select(0, at::arange(P, at::kLong).remainder_(real));
    b->weight.slice(0, real, P).zero_();
  }
  if (config_.reduction == Reduction::kMean) b->weight.div_(static_cast<double>(real));
  b->src = edges.select(1, 0).contiguous();
  b->rel = edges.select(1, 1).contiguous();
  b->dst = edges.select(1, 2).contiguous();

  // Negatives for both sides, from the sampler plugin.
  RandomStream stream(seed);
  w.sampler_ctx.set_rng(stream.get());
  auto sample = [&](const at::Tensor& batch_nodes, const at::Tensor& anchors) {
    at::Tensor sampled = sample_negatives(sampler_, w.sampler_ctx, &sampler_mutex_, table.node_ranges, table.degrees,
                                          table.embeddings.size(0), batch_nodes,
                                          at::empty({C, config_.per_chunk}, at::kLong));
    return config_.anchor_negatives ? at::cat({sampled, anchors}, 1) : sampled;
  };
  // One set of negatives per corrupted side, or one set shared by both sides
  // (negatives.shared_sides): its degree-weighted draws and anchors then come
  // from both sides of the chunk.
  const bool shared = config_.shared_negatives;
  at::Tensor src2 = b->src.view({C, S}), dst2 = b->dst.view({C, S});
  if (shared) {
    b->neg_rhs_ids = b->neg_lhs_ids = sample(at::cat({dst2, src2}, 1).view(-1), at::cat({src2, dst2}, 1));
  } else {
    b->neg_rhs_ids = sample(b->dst, src2);
    b->neg_lhs_ids = sample(b->src, dst2);
  }
  w.sampler_ctx.set_rng(nullptr);
  const int64_t N = b->neg_rhs_ids.size(1);
  if (filter_) filter_masks(*b, b->mask_r, b->mask_l);
  w.times.sample += lap(clock);

  if (!device_.is_cpu()) {  // ids, weights and masks follow the rows to the device
    for (at::Tensor* t : {&b->weight, &b->src, &b->rel, &b->dst, &b->mask_r, &b->mask_l}) {
      if (t->defined()) *t = t->to(device_);
    }
    const bool same = b->neg_lhs_ids.is_same(b->neg_rhs_ids);
    b->neg_rhs_ids = b->neg_rhs_ids.to(device_);
    b->neg_lhs_ids = same ? b->neg_rhs_ids : b->neg_lhs_ids.to(device_);
    src2 = b->src.view({C, S}), dst2 = b->dst.view({C, S});
  }
  const at::Tensor& E = table.embeddings;
  b->fused = shared && model_.inverse_relations;
  HogwildAccess hogwild;  // the rows may be under update by earlier batches
  if (b->fused) {
    // Both corruptions are tail corruptions of one set of negatives: the heads'
    // queries (head, r, ?) then the tails' (tail, r + R, ?), per chunk.
    b->query_ids = at::cat({src2, dst2}, 1).view(-1);   // [2P]
    b->target_ids = at::cat({dst2, src2}, 1).view(-1);  // [2P]
    b->q = E.index_select(0, b->query_ids);
    // The targets are the queries with each chunk's two halves swapped: copy
    // them from q (in cache) rather than gather them from the table again.
    b->t = b->q.view({C, 2, S, D}).flip({1}).reshape({2 * P, D});
    b->neg = E.index_select(0, b->neg_rhs_ids.view(-1)).view({C, N, D});
  } else {
    b->src_e = E.index_select(0, b->src);
    b->dst_e = E.index_select(0, b->dst);
    b->neg_rhs_e = E.index_select(0, b->neg_rhs_ids.view(-1)).view({C, N, D});
    b->neg_lhs_e = shared ? b->neg_rhs_e : E.index_select(0, b->neg_lhs_ids.view(-1)).view({C, N, D});
  }
  w.times.gather += lap(clock);
  return b;
}

void LinkPredictionTask::compute(TaskBatch& batch, uint32_t worker) {
  Batch& b = static_cast<Batch&>(batch);
  if (b.fused) {
    compute_fused(b, *computers_[worker]);
  } else {
    compute_separate(b, *computers_[worker]);
  }
  // The gathered rows are not needed any more: free them before the batch waits in the queue.
  b.q = b.t = b.neg = b.src_e = b.dst_e = b.neg_rhs_e = b.neg_lhs_e = b.mask_r = b.mask_l = at::Tensor();
  b.gradient_rows = 0;
  for (const RowGradients& g : b.gradients) b.gradient_rows += g.ids.size(0);
}

// The update stage: sparse Adagrad on the node rows (lock-free, Hogwild).
void LinkPredictionTask::update(TaskBatch& batch, uint32_t worker) {
  Batch& b = static_cast<Batch&>(batch);
  Worker& w = *updaters_[worker];
  auto clock = std::chrono::steady_clock::now();
  bool finite = true;
  {
    HogwildAccess hogwild;  // other update workers and the loads may touch the same rows
    if (node_optimizer_) {
      node_optimizer_(b.number, b.gradients);
    } else {
      at::Tensor embeddings = b.table->embeddings, state = b.table->state;  // handles to the table's storage
      finite = sparse_adagrad(embeddings, state, b.gradients, config_.learning_rate, config_.adagrad_eps,
                              /*fused=*/!device_kernels_, config_.node_optimizer == NodeOptimizerKind::kRowAdagrad);
    }
  }
  if (!finite) {
    std::vector<const at::Tensor*> grads;
    for (const RowGradients& g : b.gradients) grads.push_back(&g.grads);
    non_finite(b, update_culprit("node", grads));
  }
  b.gradients.clear();
  w.times.update += lap(clock);
}

void LinkPredictionTask::non_finite(const Batch& b, const std::string& what) const {
  fail_non_finite(b.epoch, b.number, what);
}

std::string LinkPredictionTask::update_culprit(const char* kind, const std::vector<const at::Tensor*>& grads) const {
  for (const at::Tensor* g : grads) {
    if (!g->isfinite().all().item<bool>()) {
      return fmt::format("a {} gradient (from the backward of {} or of the loss)", kind, score_.label());
    }
  }
  return fmt::format("a {} parameter or its optimizer state after the update (is optimizer.learning_rate too large?)",
                     kind);
}

void LinkPredictionTask::require_finite_loss(const Batch& b, double loss,
                                             std::initializer_list<const at::Tensor*> scores) const {
  if (std::isfinite(loss)) return;
  for (const at::Tensor* s : scores) {
    if (s->defined() && !s->isfinite().all().item<bool>()) {
      non_finite(b, fmt::format("a score from the forward of {}", score_.label()));
    }
  }
  non_finite(b, fmt::format("the loss ({})", choice_name(config_.loss)));
}

void LinkPredictionTask::filter_masks(const Batch& b, at::Tensor& mask_r, at::Tensor& mask_l) const {
  const at::Tensor &src = b.src, &rel = b.rel, &dst = b.dst;
  const int64_t C = b.neg_rhs_ids.size(0), N = b.neg_rhs_ids.size(1), S = src.size(0) / C;
  const int64_t *s = src.data_ptr<int64_t>(), *r = rel.data_ptr<int64_t>(), *d = dst.data_ptr<int64_t>();
  const int64_t *nr = b.neg_rhs_ids.data_ptr<int64_t>(), *nl = b.neg_lhs_ids.data_ptr<int64_t>();
  mask_r = at::zeros({C, S, N}, at::kBool);
  mask_l = at::zeros({C, S, N}, at::kBool);
  auto pr = mask_r.accessor<bool, 3>(), pl = mask_l.accessor<bool, 3>();
  const at::Tensor& global_ids = b.table->global_ids;
  const int64_t* global = global_ids.defined() ? global_ids.data_ptr<int64_t>() : nullptr;
  auto id = [global](int64_t row) { return global ? global[row] : row; };
  for (int64_t c = 0; c < C; ++c)
    for (int64_t i = 0; i < S; ++i)
      for (int64_t n = 0; n < N; ++n) {
        int64_t e = c * S + i;
        if (filter_->contains(id(s[e]), r[e], id(nr[c * N + n]))) pr[c][i][n] = true;
        if (filter_->contains(id(nl[c * N + n]), r[e], id(d[e]))) pl[c][i][n] = true;
      }
}

}  // namespace marius
