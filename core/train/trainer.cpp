#include "core/train/trainer.h"

#include <chrono>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include "core/error.h"
#include "core/logging.h"
#include "core/model/score_calls.h"
#include "core/tensor/dl_view.h"
#include "core/train/loss.h"
#include "core/data/dataset.h"
#include "core/train/edge_set.h"
#include "core/train/kernel_threads.h"
#include "core/train/seed_mix.h"
#include "core/train/sparse_optimizer.h"

namespace marius {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point& t) {
  auto now = Clock::now();
  double s = std::chrono::duration<double>(now - t).count();
  t = now;
  return s;
}

}  // namespace

// A worker of one stage: its plugin call contexts and its share of the times.
struct Trainer::StageWorker {
  CallContext score_ctx;
  CallContext sampler_ctx;
  StepTimes times;
  StageWorker(const std::string& score_label, const std::string& sampler_label, uint32_t index)
      : score_ctx(score_label, nullptr, index), sampler_ctx(sampler_label, nullptr, index) {}
};

// One batch on its way through the stages. The load stage fills everything up
// to the gathered node rows; compute fills `gradients` and `loss`.
struct Trainer::Batch : Pipeline::Batch {
  NodeTable* table = nullptr;
  Progress* progress = nullptr;
  int64_t number = 0;  // within the epoch
  int64_t real = 0;    // edges (the rest of P is padding of weight 0)
  int64_t C = 0, S = 0, P = 0;
  at::Tensor weight;                    // float32 [P]
  at::Tensor src, rel, dst;             // int64 [P]
  at::Tensor neg_rhs_ids, neg_lhs_ids;  // int64 [C, N], the same tensor with shared negatives
  bool fused = false;                   // inverse relations and shared negatives: compute_fused
  // Gathered node rows. Fused: q (queries [2P,D]), t (targets), neg [C,N,D];
  // otherwise src_e, dst_e [P,D], neg_rhs_e, neg_lhs_e [C,N,D].
  at::Tensor q, t, neg, src_e, dst_e, neg_rhs_e, neg_lhs_e;
  at::Tensor query_ids, target_ids;     // fused: int64 [2P]
  at::Tensor mask_r, mask_l;            // filtered negatives: bool [C, S, N] of the rhs and lhs corruptions
  std::vector<RowGradients> gradients;  // of node rows, for the update stage
  double loss = 0;
};

Trainer::Trainer(const Config& config, Model& model, at::Tensor train_edges, at::Tensor degrees,
                 const ScoreFunction& score, const NegativeSampler& sampler, Tiers tiers)
    : config_(config),
      model_(model),
      edges_(std::move(train_edges)),
      degrees_(std::move(degrees)),
      tiers_(tiers),
      floats_(at::TensorOptions().dtype(at::kFloat).device(tiers.device)),
      device_kernels_(!tiers.device.is_cpu()),
      score_(score),
      sampler_(sampler),
      loss_(loss_kind(config.loss)) {
  if (config.filtered) {
    filter_ = std::make_unique<EdgeSet>(tiers_.buffer ? tiers_.dataset->edges(Split::kTrain) : edges_);
  }
  if (!on_host() && (score.plugin().capabilities() & MARIUS_CAP_CUDA) == 0) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "training.device = \"{}\": {} does not accept CUDA tensors (its manifest lists no device \"cuda\")",
         tiers_.device.str(), score.label());
  }
  PipelineOptions options = pipeline_options();
  const int64_t concurrent = options.mode == PipelineMode::kSync ? 1 : options.compute_workers;
  if (concurrent > 1 && !score.reentrant()) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "{} is not reentrant, so it needs one compute worker: set pipeline.compute_workers = 1 (or "
         "training.threads = 1, or pipeline.mode = \"sync\")",
         score.label());
  }
  auto make = [&](std::vector<std::unique_ptr<StageWorker>>& workers, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      workers.push_back(std::make_unique<StageWorker>(score_.label(), sampler_.label(), static_cast<uint32_t>(i)));
    }
  };
  const bool sync = options.mode == PipelineMode::kSync;
  // A stage with 0 workers of its own runs on the compute workers (their indices).
  make(loaders_, sync ? 1 : options.load_workers > 0 ? options.load_workers : options.compute_workers);
  make(computers_, sync ? 1 : options.compute_workers);
  make(updaters_, sync ? 1 : options.update_workers > 0 ? options.update_workers : options.compute_workers);
  if (tiers_.device.is_cuda()) {
    for (auto* workers : {&loaders_, &computers_, &updaters_}) {
      for (auto& w : *workers) w->score_ctx.set_device(kDLCUDA, tiers_.device.index() < 0 ? 0 : tiers_.device.index());
    }
  }
}

Trainer::~Trainer() = default;

PipelineOptions Trainer::pipeline_options() const {
  PipelineOptions o;
  o.mode = config_.pipeline_mode == "sync" ? PipelineMode::kSync : PipelineMode::kPipelined;
  o.staleness = config_.staleness;
  o.load_workers = config_.load_workers;
  o.compute_workers = config_.compute_workers > 0 ? config_.compute_workers : config_.threads;
  o.update_workers = config_.update_workers;
  o.queue_size = config_.queue_size;
  return o;
}

EpochResult Trainer::train_epoch(int64_t epoch, Progress* progress) {
  times_ = StepTimes{};
  gradient_rows_ = 0;
  for (auto* workers : {&loaders_, &computers_, &updaters_}) {
    for (auto& w : *workers) w->times = StepTimes{};
  }
  const PipelineOptions options = pipeline_options();
  // Sync: the batch's ATen kernels use training.threads; the BLAS stays at one
  // thread (OpenMP's and OpenBLAS's pools both busy on the same cores ran
  // configuration R 2.7x slower, see docs/pipeline.md).
  KernelThreads kernels(options.mode == PipelineMode::kSync ? static_cast<int>(config_.threads) : 1, 1);
  Pipeline::Stages stages;
  stages.load = [this](int64_t index, uint32_t w) -> std::unique_ptr<Pipeline::Batch> {
    return load_batch(index, *loaders_[w]);
  };
  stages.compute = [this](Pipeline::Batch& b, uint32_t w) { compute_batch(static_cast<Batch&>(b), *computers_[w]); };
  stages.update = [this](Pipeline::Batch& b, uint32_t w) { update_batch(static_cast<Batch&>(b), *updaters_[w]); };
  // OpenMP's thread count is per thread: each stage worker runs single-threaded kernels.
  stages.thread_start = [] { at::set_num_threads(1); };
  Pipeline pipeline(options, std::move(stages));
  pipeline_ = &pipeline;
  struct Reset {
    Trainer* t;
    ~Reset() {
      t->pipeline_ = nullptr;
      for (auto* workers : {&t->loaders_, &t->computers_, &t->updaters_}) {
        for (auto& w : *workers) {
          StepTimes& a = t->times_;
          const StepTimes& b = w->times;
          a.sample += b.sample, a.gather += b.gather, a.forward += b.forward;
          a.loss += b.loss, a.backward += b.backward, a.update += b.update;
        }
      }
    }
  } reset{this};

  // Relations (small) live on the training device for the epoch and are
  // copied back into the host tensors when it ends, however it ends (views
  // of them, such as the embedding API's, stay valid).
  struct Relations {
    Model& model;
    std::vector<std::pair<at::Tensor*, at::Tensor>> host;  // each moved tensor and its host original
    Relations(Model& m, c10::Device device) : model(m) {
      if (device.is_cpu()) return;
      for (at::Tensor* t : {&model.relations, &model.relation_state, &model.relation_state2, &model.relation_steps}) {
        if (!t->defined()) continue;
        host.emplace_back(t, *t);
        *t = t->to(device);
      }
    }
    ~Relations() {
      for (auto& [t, original] : host) {
        try {
          original.copy_(*t);
        } catch (const std::exception& e) {  // a device error: the host keeps the epoch's starting values
          logger().error("relations: copying back from the device failed: {}", e.what());
        }
        *t = original;
      }
    }
  } relations(model_, tiers_.device);

  EpochResult r;
  auto start = Clock::now();
  const int64_t p = tiers_.dataset != nullptr ? static_cast<int64_t>(tiers_.dataset->partition_offsets().size()) - 1 : 1;
  if (tiers_.buffer != nullptr || (tiers_.device_capacity > 0 && tiers_.device_capacity < p)) {
    r = train_partitioned(epoch, progress);
  } else if (tiers_.device_capacity > 0) {
    r = train_whole_on_device(epoch, progress);
  } else {
    NodeTable table{model_.embeddings, model_.embedding_state,
                    at::tensor({int64_t{0}, model_.num_nodes}, at::kLong).view({1, 2}), degrees_, at::Tensor()};
    r.loss = train_in_memory(epoch, table, progress);
    r.edges = edges_.size(0);
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.edges_per_sec = r.seconds > 0 ? r.edges / r.seconds : 0;
  r.pipeline = pipeline.stats();
  r.gradient_rows = gradient_rows_;
  return r;
}

double Trainer::train_in_memory(int64_t epoch, NodeTable& table, Progress* progress) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(mix(static_cast<uint64_t>(config_.seed) ^ mix(epoch)));
  at::Tensor order = at::randperm(edges_.size(0), gen, at::kLong);
  return run_batches(epoch, edges_, order, 0, table, progress);
}

double Trainer::run_batches(int64_t epoch, const at::Tensor& edges, const at::Tensor& order, int64_t first_batch,
                            NodeTable& table, Progress* progress) {
  const int64_t num_batches = (order.size(0) + config_.batch_size - 1) / config_.batch_size;
  // The pipeline is idle here: no stage reads segment_ until run() admits a batch.
  segment_ = Segment{epoch, &edges, &order, first_batch, &table, progress, 0.0};
  pipeline_->run(num_batches);
  return segment_.loss;
}

// The load stage: the batch's edges (padded to whole chunks), its negatives
// and the node rows it reads.
std::unique_ptr<Trainer::Batch> Trainer::load_batch(int64_t index, StageWorker& w) {
  auto clock = Clock::now();
  const Segment& g = segment_;
  const int64_t num_edges = g.order->size(0);
  const int64_t begin = index * config_.batch_size, end = std::min(num_edges, begin + config_.batch_size);
  at::Tensor batch_edges = g.edges->index_select(0, g.order->slice(0, begin, end));
  const uint64_t seed =
      mix(mix(static_cast<uint64_t>(config_.seed) ^ mix(g.epoch + 1)) ^ static_cast<uint64_t>(g.first_batch + index));

  auto b = std::make_unique<Batch>();
  b->table = g.table;
  b->progress = g.progress;
  b->number = g.first_batch + index;
  const NodeTable& table = *g.table;
  const int64_t real = batch_edges.size(0);
  const int64_t S = (config_.batch_size + config_.chunks - 1) / config_.chunks;  // edges per chunk
  const int64_t C = (real + S - 1) / S;
  const int64_t P = C * S;  // padded batch
  const int64_t D = model_.dim;
  b->real = real, b->C = C, b->S = S, b->P = P;

  at::Tensor edges = batch_edges;
  b->weight = at::ones({P}, at::kFloat);
  if (P > real) {  // pad with copies of the first edges, weighted 0
    edges = batch_edges.index_select(0, at::arange(P, at::kLong).remainder_(real));
    b->weight.slice(0, real, P).zero_();
  }
  if (config_.reduction == "mean") b->weight.div_(static_cast<double>(real));
  b->src = edges.select(1, 0).contiguous();
  b->rel = edges.select(1, 1).contiguous();
  b->dst = edges.select(1, 2).contiguous();

  // Negatives for both sides, from the sampler plugin.
  RandomStream stream(seed);
  w.sampler_ctx.set_rng(stream.get());
  auto sample = [&](const at::Tensor& batch_nodes, const at::Tensor& anchors) {
    const int64_t n = config_.per_chunk;
    at::Tensor sampled = at::empty({C, n}, at::kLong);
    DLView ranges(table.node_ranges), degrees(table.degrees), nodes(batch_nodes), out_view(sampled);
    marius_sample_args args{};
    args.struct_size = sizeof(args);
    args.num_chunks = C;
    args.negatives_per_chunk = n;
    args.num_nodes = table.embeddings.size(0);
    args.node_ranges = ranges.get();
    args.degrees = degrees.get();
    args.batch_nodes = nodes.get();
    args.out = out_view.get();
    if ((sampler_.plugin().capabilities() & MARIUS_CAP_REENTRANT) != 0) {
      sampler_.sample(w.sampler_ctx, args);
    } else {
      std::lock_guard<std::mutex> lock(sampler_mutex_);
      sampler_.sample(w.sampler_ctx, args);
    }
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
  const int64_t N = b->neg_rhs_ids.size(1);
  if (filter_) filter_masks(b->src, b->rel, b->dst, b->neg_rhs_ids, b->neg_lhs_ids, table, b->mask_r, b->mask_l);
  w.times.sample += since(clock);

  if (!on_host()) {  // ids, weights and masks follow the rows to the device
    for (at::Tensor* t : {&b->weight, &b->src, &b->rel, &b->dst, &b->mask_r, &b->mask_l}) {
      if (t->defined()) *t = t->to(tiers_.device);
    }
    const bool same = b->neg_lhs_ids.is_same(b->neg_rhs_ids);
    b->neg_rhs_ids = b->neg_rhs_ids.to(tiers_.device);
    b->neg_lhs_ids = same ? b->neg_rhs_ids : b->neg_lhs_ids.to(tiers_.device);
    src2 = b->src.view({C, S}), dst2 = b->dst.view({C, S});
  }
  const at::Tensor& E = table.embeddings;
  b->fused = shared && model_.inverse_relations;
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
  w.times.gather += since(clock);
  return b;
}

void Trainer::compute_batch(Batch& b, StageWorker& w) {
  if (b.fused) {
    compute_fused(b, w);
  } else {
    auto clock = Clock::now();
    const int64_t C = b.C, S = b.S, P = b.P, D = model_.dim, W = model_.relation_width;
    const int64_t N = b.neg_rhs_ids.size(1);
    const bool inverse = model_.inverse_relations;
    const at::Tensor &src = b.src, &rel = b.rel, &dst = b.dst, &weight = b.weight;
    const at::Tensor &src_e = b.src_e, &dst_e = b.dst_e, &neg_rhs_e = b.neg_rhs_e, &neg_lhs_e = b.neg_lhs_e;
    // With inverse relations, head corruption scores the reversed edge
    // (tail, relation + R, ?) instead of (?, relation, tail).
    at::Tensor rel_e = model_.relations.index_select(0, rel);
    at::Tensor rel_inv = inverse ? rel + model_.num_relations : at::Tensor();
    at::Tensor rel_inv_e = inverse ? model_.relations.index_select(0, rel_inv) : at::Tensor();
    w.times.gather += since(clock);

    // Forward through the plugin.
    at::Tensor src3 = src_e.view({C, S, D}), dst3 = dst_e.view({C, S, D}), rel3 = rel_e.view({C, S, W});
    auto call = [&](uint32_t mode, const at::Tensor& l, const at::Tensor& r, const at::Tensor& h,
                    std::vector<int64_t> shape) {
      return score_forward(score_, w.score_ctx, mode, l, r, h, at::empty(shape, floats_));
    };
    at::Tensor pos = call(MARIUS_SCORE_POSITIVE, src_e, rel_e, dst_e, {P});
    at::Tensor pos_inv, neg_r, neg_l, relinv3;
    if (inverse) {
      relinv3 = rel_inv_e.view({C, S, W});
      pos_inv = call(MARIUS_SCORE_POSITIVE, dst_e, rel_inv_e, src_e, {P});
    }
    neg_r = call(MARIUS_SCORE_CORRUPT_RHS, src3, rel3, neg_rhs_e, {C, S, N});
    neg_l = inverse ? call(MARIUS_SCORE_CORRUPT_RHS, dst3, relinv3, neg_lhs_e, {C, S, N})
                    : call(MARIUS_SCORE_CORRUPT_LHS, neg_lhs_e, rel3, dst3, {C, S, N});
    w.times.forward += since(clock);

    if (b.mask_r.defined()) {
      neg_r.masked_fill_(b.mask_r, -1e30f);
      neg_l.masked_fill_(b.mask_l, -1e30f);
    }

    // Loss and its gradients with respect to the scores.
    at::Tensor weight2 = weight.view({C, S});
    at::Tensor grad_pos = at::zeros({C, S}, floats_);
    at::Tensor grad_pos_inv = inverse ? at::zeros({C, S}, floats_) : grad_pos;
    at::Tensor grad_nr, grad_nl;
    double loss = contrastive(pos.view({C, S}), neg_r, weight2, grad_pos, grad_nr);
    loss += contrastive((inverse ? pos_inv : pos).view({C, S}), neg_l, weight2,
                             grad_pos_inv, grad_nl);
    w.times.loss += since(clock);

    // Backward through the plugin: gradients of each input, overwritten.
    auto back = [&](uint32_t mode, const at::Tensor& l, const at::Tensor& r, const at::Tensor& h,
                    const at::Tensor& g_out, at::Tensor& gl, at::Tensor& gr, at::Tensor& gh) {
      gl = at::empty_like(l);
      gr = at::empty_like(r);
      gh = at::empty_like(h);
      score_backward(score_, w.score_ctx, mode, l, r, h, g_out, gl, gr, gh);
    };
    at::Tensor g_src, g_rel, g_dst, g_src_r, g_rel_r, g_nr, g_nl, g_rel_l, g_dst_l;
    at::Tensor g_rel_inv;  // gradients of the inverse-relation rows
    if (inverse) {
      back(MARIUS_SCORE_POSITIVE, src_e, rel_e, dst_e, grad_pos.view({P}), g_src, g_rel, g_dst);
      at::Tensor g_dst_p, g_src_p, g_relinv_p;
      back(MARIUS_SCORE_POSITIVE, dst_e, rel_inv_e, src_e, grad_pos_inv.view({P}), g_dst_p, g_relinv_p, g_src_p);
      back(MARIUS_SCORE_CORRUPT_RHS, src3, rel3, neg_rhs_e, grad_nr, g_src_r, g_rel_r, g_nr);
      back(MARIUS_SCORE_CORRUPT_RHS, dst3, relinv3, neg_lhs_e, grad_nl, g_dst_l, g_rel_l, g_nl);
      g_src.add_(g_src_p).add_(g_src_r.view({P, D}));
      g_dst.add_(g_dst_p).add_(g_dst_l.view({P, D}));
      g_rel.add_(g_rel_r.view({P, W}));
      g_rel_inv = g_relinv_p.add_(g_rel_l.view({P, W}));
    } else {
      back(MARIUS_SCORE_POSITIVE, src_e, rel_e, dst_e, grad_pos.view({P}), g_src, g_rel, g_dst);
      back(MARIUS_SCORE_CORRUPT_RHS, src3, rel3, neg_rhs_e, grad_nr, g_src_r, g_rel_r, g_nr);
      back(MARIUS_SCORE_CORRUPT_LHS, neg_lhs_e, rel3, dst3, grad_nl, g_nl, g_rel_l, g_dst_l);
      g_src.add_(g_src_r.view({P, D}));
      g_dst.add_(g_dst_l.view({P, D}));
      g_rel.add_(g_rel_r.view({P, W})).add_(g_rel_l.view({P, W}));
    }
    w.times.backward += since(clock);

    // Regularisation of the rows the positives use.
    if (config_.regularization != "none" && config_.regularization_weight > 0) {
      loss += add_penalty(src_e, weight, g_src);
      loss += add_penalty(dst_e, weight, g_dst);
      if (W > 0) loss += add_penalty(rel_e, weight, g_rel);
      if (W > 0 && inverse) loss += add_penalty(rel_inv_e, weight, g_rel_inv);
    }
    // Relations now, under their lock; node rows in the update stage.
    update_relations(inverse ? at::cat({rel, rel_inv}) : rel, inverse ? at::cat({g_rel, g_rel_inv}) : g_rel);
    w.times.update += since(clock);
    b.gradients = {{src, g_src},
                   {dst, g_dst},
                   {b.neg_rhs_ids.view(-1), g_nr.view({-1, D})},
                   {b.neg_lhs_ids.view(-1), g_nl.view({-1, D})}};
    b.loss = loss;
  }
  // The gathered rows are not needed any more: free them before the batch waits in the queue.
  b.q = b.t = b.neg = b.src_e = b.dst_e = b.neg_rhs_e = b.neg_lhs_e = b.mask_r = b.mask_l = at::Tensor();
  int64_t rows = 0;
  for (const RowGradients& g : b.gradients) rows += g.ids.size(0);
  std::lock_guard<std::mutex> lock(segment_mutex_);
  gradient_rows_ += rows;
}

// The update stage: sparse Adagrad on the node rows (lock-free, Hogwild).
void Trainer::update_batch(Batch& b, StageWorker& w) {
  auto clock = Clock::now();
  if (node_optimizer_) {
    node_optimizer_(b.number, b.gradients);
  } else {
    sparse_adagrad(b.table->embeddings, b.table->state, b.gradients, config_.learning_rate, config_.adagrad_eps,
                   /*fused=*/!device_kernels_);
  }
  b.gradients.clear();
  w.times.update += since(clock);
  if (b.progress != nullptr) b.progress->advance(b.real, b.loss);
  std::lock_guard<std::mutex> lock(segment_mutex_);
  segment_.loss += b.loss;
}

double Trainer::contrastive(const at::Tensor& pos, const at::Tensor& neg, const at::Tensor& weight, at::Tensor& grad_pos,
                            at::Tensor& grad_neg) const {
  if (device_kernels_ && loss_ == LossKind::kSoftmax) return softmax_loss_generic(pos, neg, weight, grad_pos, grad_neg);
  return contrastive_loss(loss_, pos, neg, weight, config_.margin, grad_pos, grad_neg);
}

double Trainer::add_penalty(const at::Tensor& x, const at::Tensor& weight, at::Tensor& g) const {
  const double lambda = config_.regularization_weight;
  at::Tensor wcol = weight.unsqueeze(1);
  if (config_.regularization == "l2") {
    g.add_(x * wcol * (2 * lambda));
    return lambda * (x * x * wcol).sum().item<double>();
  }
  at::Tensor a = x.abs();  // n3
  g.add_(x * a * wcol * (3 * lambda));
  return lambda * (a * a * a * wcol).sum().item<double>();
}

void Trainer::update_relations(const at::Tensor& rows, const at::Tensor& grads) {
  if (model_.relation_width == 0) return;
  std::lock_guard<std::mutex> lock(relation_mutex_);
  if (config_.relation_optimizer == "adam") {
    sparse_adam(model_.relations, model_.relation_state, model_.relation_state2, model_.relation_steps, rows, grads,
                config_.relation_lr(), config_.adam_beta1, config_.adam_beta2, config_.adam_eps);
  } else {
    sparse_adagrad(model_.relations, model_.relation_state, {{rows, grads}}, config_.relation_lr(),
                   config_.adagrad_eps, /*fused=*/!device_kernels_);
  }
}

void Trainer::filter_masks(const at::Tensor& src, const at::Tensor& rel, const at::Tensor& dst,
                           const at::Tensor& neg_rhs_ids, const at::Tensor& neg_lhs_ids, const NodeTable& table,
                           at::Tensor& mask_r, at::Tensor& mask_l) const {
  const int64_t C = neg_rhs_ids.size(0), N = neg_rhs_ids.size(1), S = src.size(0) / C;
  const int64_t *s = src.data_ptr<int64_t>(), *r = rel.data_ptr<int64_t>(), *d = dst.data_ptr<int64_t>();
  const int64_t *nr = neg_rhs_ids.data_ptr<int64_t>(), *nl = neg_lhs_ids.data_ptr<int64_t>();
  mask_r = at::zeros({C, S, N}, at::kBool);
  mask_l = at::zeros({C, S, N}, at::kBool);
  auto pr = mask_r.accessor<bool, 3>(), pl = mask_l.accessor<bool, 3>();
  const int64_t* global = table.global_ids.defined() ? table.global_ids.data_ptr<int64_t>() : nullptr;
  auto id = [global](int64_t row) { return global ? global[row] : row; };
  for (int64_t c = 0; c < C; ++c)
    for (int64_t i = 0; i < S; ++i)
      for (int64_t n = 0; n < N; ++n) {
        int64_t e = c * S + i;
        if (filter_->contains(id(s[e]), r[e], id(nr[c * N + n]))) pr[c][i][n] = true;
        if (filter_->contains(id(nl[c * N + n]), r[e], id(d[e]))) pl[c][i][n] = true;
      }
}

// Inverse relations with negatives shared by both sides: both corruptions are
// tail corruptions, (head, r, ?) and (tail, r + R, ?), of one set of
// negatives, so each chunk is scored as 2S queries in one call. Row layout
// per chunk: the S heads' queries, then the S tails'.
void Trainer::compute_fused(Batch& b, StageWorker& w) {
  auto clock = Clock::now();
  const int64_t C = b.C, S = b.S, P = b.P, D = model_.dim, W = model_.relation_width;
  const int64_t N = b.neg_rhs_ids.size(1);
  const at::Tensor &q = b.q, &t = b.t, &neg = b.neg;
  at::Tensor rel2 = b.rel.view({C, S});
  at::Tensor query_rels = at::cat({rel2, rel2 + model_.num_relations}, 1).view(-1);
  at::Tensor qr = model_.relations.index_select(0, query_rels);
  w.times.gather += since(clock);

  at::Tensor q3 = q.view({C, 2 * S, D}), qr3 = qr.view({C, 2 * S, W});
  at::Tensor pos = score_forward(score_, w.score_ctx, MARIUS_SCORE_POSITIVE, q, qr, t, at::empty({2 * P}, floats_));
  at::Tensor scores = score_forward(score_, w.score_ctx, MARIUS_SCORE_CORRUPT_RHS, q3, qr3, neg,
                                    at::empty({C, 2 * S, N}, floats_));
  w.times.forward += since(clock);

  if (b.mask_r.defined()) {  // the heads' queries corrupt tails (rhs), the tails' queries heads (lhs)
    scores.narrow(1, 0, S).masked_fill_(b.mask_r, -1e30f);
    scores.narrow(1, S, S).masked_fill_(b.mask_l, -1e30f);
  }
  at::Tensor weight2 = b.weight.view({C, S});
  at::Tensor weights = at::cat({weight2, weight2}, 1);  // [C, 2S]
  at::Tensor grad_pos = at::zeros({C, 2 * S}, floats_), grad_scores;
  double loss = contrastive(pos.view({C, 2 * S}), scores, weights, grad_pos, grad_scores);
  w.times.loss += since(clock);

  at::Tensor g_q = at::empty_like(q3), g_qr = at::empty_like(qr3), g_neg = at::empty_like(neg);
  score_backward(score_, w.score_ctx, MARIUS_SCORE_CORRUPT_RHS, q3, qr3, neg, grad_scores, g_q, g_qr, g_neg);
  at::Tensor g_q_pos = at::empty_like(q), g_qr_pos = at::empty_like(qr), g_t = at::empty_like(t);
  score_backward(score_, w.score_ctx, MARIUS_SCORE_POSITIVE, q, qr, t, grad_pos.view({2 * P}), g_q_pos, g_qr_pos, g_t);
  at::Tensor g_query = g_q.view({2 * P, D}).add_(g_q_pos), g_rel = g_qr.view({2 * P, W}).add_(g_qr_pos);
  w.times.backward += since(clock);

  if (config_.regularization != "none" && config_.regularization_weight > 0) {
    // Every head and tail appears once among the queries, every relation and inverse once.
    at::Tensor flat = weights.view(-1);
    loss += add_penalty(q, flat, g_query);
    if (W > 0) loss += add_penalty(qr, flat, g_rel);
  }
  update_relations(query_rels, g_rel);
  w.times.update += since(clock);
  b.gradients = {{b.query_ids, g_query}, {b.target_ids, g_t}, {b.neg_rhs_ids.view(-1), g_neg.view({-1, D})}};
  b.loss = loss;
}

}  // namespace marius
