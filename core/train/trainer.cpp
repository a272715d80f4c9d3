#include "core/train/trainer.h"

#include <dlfcn.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <thread>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include "core/error.h"
#include "core/model/score_calls.h"
#include "core/tensor/dl_view.h"
#include "core/train/loss.h"
#include "core/data/dataset.h"
#include "core/train/edge_set.h"
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

SingleThreadedKernels::SingleThreadedKernels() : aten_threads_(at::get_num_threads()) {
  using GetThreads = int (*)();
  if (auto get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"))) blas_threads_ = get();
  set(1, 1);
}

SingleThreadedKernels::~SingleThreadedKernels() { set(aten_threads_, blas_threads_); }

void SingleThreadedKernels::set(int aten, int blas) {
  at::set_num_threads(aten);
  using SetThreads = void (*)(int);
  if (blas > 0) {
    if (auto fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) fn(blas);
  }
}

struct Trainer::Worker {
  CallContext score_ctx;
  CallContext sampler_ctx;
  StepTimes times;
  Worker(const std::string& score_label, const std::string& sampler_label, uint32_t index)
      : score_ctx(score_label, nullptr, index), sampler_ctx(sampler_label, nullptr, index) {}
};

Trainer::Trainer(const Config& config, Model& model, at::Tensor train_edges, at::Tensor degrees,
                 const ScoreFunction& score, const NegativeSampler& sampler, OutOfCore out_of_core)
    : config_(config),
      model_(model),
      edges_(std::move(train_edges)),
      degrees_(std::move(degrees)),
      score_(score),
      sampler_(sampler),
      loss_(loss_kind(config.loss)),
      out_of_core_(out_of_core) {
  if (config.filtered) {
    filter_ = std::make_unique<EdgeSet>(out_of_core_.buffer ? out_of_core_.dataset->edges(Split::kTrain) : edges_);
  }
  if (config.threads > 1 && !score.reentrant()) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{} is not reentrant, so training.threads must be 1", score.label());
  }
}

Trainer::~Trainer() = default;

EpochResult Trainer::train_epoch(int64_t epoch, Progress* progress) {
  times_ = StepTimes{};
  SingleThreadedKernels single_threaded;
  if (out_of_core_.buffer != nullptr) return train_out_of_core(epoch, progress);

  auto start = Clock::now();
  const int64_t num_edges = edges_.size(0);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(mix(static_cast<uint64_t>(config_.seed) ^ mix(epoch)));
  at::Tensor order = at::randperm(num_edges, gen, at::kLong);
  NodeTable table{model_.embeddings, model_.embedding_state,
                  at::tensor({int64_t{0}, model_.num_nodes}, at::kLong).view({1, 2}), degrees_, at::Tensor()};
  EpochResult r;
  r.loss = run_batches(epoch, edges_, order, 0, table, progress);
  r.edges = num_edges;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.edges_per_sec = r.seconds > 0 ? num_edges / r.seconds : 0;
  return r;
}

double Trainer::run_batches(int64_t epoch, const at::Tensor& edges, const at::Tensor& order, int64_t first_batch,
                            NodeTable& table, Progress* progress) {
  const int64_t num_edges = order.size(0);
  const int64_t batch_size = config_.batch_size;
  const int64_t num_batches = (num_edges + batch_size - 1) / batch_size;
  std::atomic<int64_t> next{0};
  std::atomic<bool> stop{false};
  std::exception_ptr first_error;
  std::mutex error_mutex;
  double total_loss = 0;
  std::mutex loss_mutex;

  auto work = [&](uint32_t index) {
    Worker worker(score_.label(), sampler_.label(), index);
    try {
      at::set_num_threads(1);
      double local_loss = 0;
      for (int64_t b; !stop.load(std::memory_order_relaxed) && (b = next.fetch_add(1)) < num_batches;) {
        int64_t begin = b * batch_size, end = std::min(num_edges, begin + batch_size);
        at::Tensor batch = edges.index_select(0, order.slice(0, begin, end));
        uint64_t seed =
            mix(mix(static_cast<uint64_t>(config_.seed) ^ mix(epoch + 1)) ^ static_cast<uint64_t>(first_batch + b));
        double loss = train_batch(batch, seed, worker, table);
        local_loss += loss;
        if (progress != nullptr) progress->advance(end - begin, loss);
      }
      std::lock_guard<std::mutex> lock(loss_mutex);
      total_loss += local_loss;
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!first_error) first_error = std::current_exception();
      stop = true;
    }
    std::lock_guard<std::mutex> lock(times_mutex_);
    times_.sample += worker.times.sample;
    times_.gather += worker.times.gather;
    times_.forward += worker.times.forward;
    times_.loss += worker.times.loss;
    times_.backward += worker.times.backward;
    times_.update += worker.times.update;
  };

  const int64_t threads = std::min<int64_t>(config_.threads, std::max<int64_t>(1, num_batches));
  if (threads == 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    for (int64_t i = 0; i < threads; ++i) pool.emplace_back(work, static_cast<uint32_t>(i));
    for (auto& t : pool) t.join();
  }
  if (first_error) std::rethrow_exception(first_error);
  return total_loss;
}

double Trainer::train_batch(const at::Tensor& batch, uint64_t seed, Worker& w, NodeTable& table) {
  auto clock = Clock::now();
  const int64_t real = batch.size(0);
  const int64_t per_chunk_edges = (config_.batch_size + config_.chunks - 1) / config_.chunks;  // S
  const int64_t C = (real + per_chunk_edges - 1) / per_chunk_edges;
  const int64_t S = per_chunk_edges;
  const int64_t P = C * S;  // padded batch
  const int64_t D = model_.dim;
  const int64_t W = model_.relation_width;

  at::Tensor edges = batch;
  at::Tensor weight = at::ones({P}, at::kFloat);
  if (P > real) {  // pad with copies of the first edges, weighted 0
    edges = batch.index_select(0, at::arange(P, at::kLong).remainder_(real));
    weight.slice(0, real, P).zero_();
  }
  if (config_.reduction == "mean") weight.div_(static_cast<double>(real));
  at::Tensor src = edges.select(1, 0).contiguous(), rel = edges.select(1, 1).contiguous(),
             dst = edges.select(1, 2).contiguous();

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
  at::Tensor src2 = src.view({C, S}), dst2 = dst.view({C, S});
  at::Tensor neg_rhs_ids, neg_lhs_ids;
  if (shared) {
    neg_rhs_ids = neg_lhs_ids = sample(at::cat({dst2, src2}, 1).view(-1), at::cat({src2, dst2}, 1));
  } else {
    neg_rhs_ids = sample(dst, src2);
    neg_lhs_ids = sample(src, dst2);
  }
  const int64_t N = neg_rhs_ids.size(1);
  w.times.sample += since(clock);

  const bool inverse = model_.inverse_relations;
  if (shared && inverse) return train_fused(C, S, weight, src, rel, dst, neg_rhs_ids, table, w, clock);

  const at::Tensor& E = table.embeddings;
  at::Tensor src_e = E.index_select(0, src), dst_e = E.index_select(0, dst);
  at::Tensor neg_rhs_e = E.index_select(0, neg_rhs_ids.view(-1)).view({C, N, D});
  at::Tensor neg_lhs_e = shared ? neg_rhs_e : E.index_select(0, neg_lhs_ids.view(-1)).view({C, N, D});
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
    return score_forward(score_, w.score_ctx, mode, l, r, h, at::empty(shape, at::kFloat));
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

  if (filter_) filter_negatives(src, rel, dst, neg_rhs_ids, neg_lhs_ids, neg_r, neg_l, table);

  // Loss and its gradients with respect to the scores.
  at::Tensor weight2 = weight.view({C, S});
  at::Tensor grad_pos = at::zeros({C, S}, at::kFloat);
  at::Tensor grad_pos_inv = inverse ? at::zeros({C, S}, at::kFloat) : grad_pos;
  at::Tensor grad_nr, grad_nl;
  double loss = contrastive_loss(loss_, pos.view({C, S}), neg_r, weight2, config_.margin, grad_pos, grad_nr);
  loss += contrastive_loss(loss_, (inverse ? pos_inv : pos).view({C, S}), neg_l, weight2, config_.margin,
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

  // Sparse updates: node rows lock-free (Hogwild), relations under a lock.
  sparse_adagrad(table.embeddings, table.state,
                 {{src, g_src},
                  {dst, g_dst},
                  {neg_rhs_ids.view(-1), g_nr.view({-1, D})},
                  {neg_lhs_ids.view(-1), g_nl.view({-1, D})}},
                 config_.learning_rate, config_.adagrad_eps);
  update_relations(inverse ? at::cat({rel, rel_inv}) : rel, inverse ? at::cat({g_rel, g_rel_inv}) : g_rel);
  w.times.update += since(clock);
  return loss;
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
                   config_.adagrad_eps);
  }
}

void Trainer::filter_negatives(const at::Tensor& src, const at::Tensor& rel, const at::Tensor& dst,
                               const at::Tensor& neg_rhs_ids, const at::Tensor& neg_lhs_ids, at::Tensor& neg_r,
                               at::Tensor& neg_l, const NodeTable& table) const {
  const int64_t C = neg_r.size(0), S = neg_r.size(1), N = neg_r.size(2);
  const int64_t *s = src.data_ptr<int64_t>(), *r = rel.data_ptr<int64_t>(), *d = dst.data_ptr<int64_t>();
  const int64_t *nr = neg_rhs_ids.data_ptr<int64_t>(), *nl = neg_lhs_ids.data_ptr<int64_t>();
  auto pr = neg_r.accessor<float, 3>(), pl = neg_l.accessor<float, 3>();
  const int64_t* global = table.global_ids.defined() ? table.global_ids.data_ptr<int64_t>() : nullptr;
  auto id = [global](int64_t row) { return global ? global[row] : row; };
  for (int64_t c = 0; c < C; ++c)
    for (int64_t i = 0; i < S; ++i)
      for (int64_t n = 0; n < N; ++n) {
        int64_t e = c * S + i;
        if (filter_->contains(id(s[e]), r[e], id(nr[c * N + n]))) pr[c][i][n] = -1e30f;
        if (filter_->contains(id(nl[c * N + n]), r[e], id(d[e]))) pl[c][i][n] = -1e30f;
      }
}

// Inverse relations with negatives shared by both sides: both corruptions are
// tail corruptions, (head, r, ?) and (tail, r + R, ?), of one set of
// negatives, so each chunk is scored as 2S queries in one call. Row layout
// per chunk: the S heads' queries, then the S tails'.
double Trainer::train_fused(int64_t C, int64_t S, const at::Tensor& weight, const at::Tensor& src,
                            const at::Tensor& rel, const at::Tensor& dst, const at::Tensor& neg_ids, NodeTable& table,
                            Worker& w, std::chrono::steady_clock::time_point& clock) {
  const int64_t P = C * S, N = neg_ids.size(1), D = model_.dim, W = model_.relation_width;
  at::Tensor src2 = src.view({C, S}), dst2 = dst.view({C, S}), rel2 = rel.view({C, S});
  at::Tensor query_ids = at::cat({src2, dst2}, 1).view(-1);   // [2P]
  at::Tensor target_ids = at::cat({dst2, src2}, 1).view(-1);  // [2P]
  at::Tensor query_rels = at::cat({rel2, rel2 + model_.num_relations}, 1).view(-1);
  const at::Tensor& E = table.embeddings;
  at::Tensor q = E.index_select(0, query_ids);
  // The targets are the queries with each chunk's two halves swapped: copy them
  // from q (in cache) rather than gather them from the table again.
  at::Tensor t = q.view({C, 2, S, D}).flip({1}).reshape({2 * P, D});
  at::Tensor qr = model_.relations.index_select(0, query_rels);
  at::Tensor neg = E.index_select(0, neg_ids.view(-1)).view({C, N, D});
  w.times.gather += since(clock);

  at::Tensor q3 = q.view({C, 2 * S, D}), qr3 = qr.view({C, 2 * S, W});
  at::Tensor pos = score_forward(score_, w.score_ctx, MARIUS_SCORE_POSITIVE, q, qr, t, at::empty({2 * P}, at::kFloat));
  at::Tensor scores = score_forward(score_, w.score_ctx, MARIUS_SCORE_CORRUPT_RHS, q3, qr3, neg,
                                    at::empty({C, 2 * S, N}, at::kFloat));
  w.times.forward += since(clock);

  if (filter_) {
    at::Tensor tails = scores.narrow(1, 0, S), heads = scores.narrow(1, S, S);
    filter_negatives(src, rel, dst, neg_ids, neg_ids, tails, heads, table);
  }
  at::Tensor weight2 = weight.view({C, S});
  at::Tensor weights = at::cat({weight2, weight2}, 1);  // [C, 2S]
  at::Tensor grad_pos = at::zeros({C, 2 * S}, at::kFloat), grad_scores;
  double loss = contrastive_loss(loss_, pos.view({C, 2 * S}), scores, weights, config_.margin, grad_pos, grad_scores);
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
  sparse_adagrad(table.embeddings, table.state,
                 {{query_ids, g_query}, {target_ids, g_t}, {neg_ids.view(-1), g_neg.view({-1, D})}},
                 config_.learning_rate, config_.adagrad_eps);
  update_relations(query_rels, g_rel);
  w.times.update += since(clock);
  return loss;
}

}  // namespace marius
