#include "core/run/session.h"

#include <sys/resource.h>

#include <thread>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <fmt/format.h>

#include "core/error.h"
#include "core/logging.h"
#include "core/storage/partition_buffer.h"
#include "core/storage/partition_store.h"
#include "core/run/allocator.h"
#include "core/run/progress.h"
#include "core/tasks/link_prediction/given_evaluation.h"
#include "core/run/memory_budget.h"
#include "core/run/tier_config.h"
#include "core/storage/row_bytes.h"
#include "core/persist/checkpoint.h"
#include "core/persist/tensor_archive.h"
#include "core/data/node_data.h"
#include "core/dist/distributed_link_prediction.h"
#include "core/gnn/gnn_model.h"
#include "core/gnn/streaming_inference.h"
#include "core/tasks/link_prediction/gnn_link_prediction_task.h"
#include <map>

namespace fs = std::filesystem;

namespace marius {

double peak_rss_mb() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

Dataset open_dataset(const Config& config) {
  if (config.dataset.empty()) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "dataset.path is not set (give it in the config or with --set dataset.path=DIR)");
  }
  return Dataset::open(config.dataset);
}

namespace {

// More threads than the hardware has only preempt each other: warn and cap.
void cap_threads(Config& config) {
  const int64_t hardware = std::max<unsigned>(1, std::thread::hardware_concurrency());
  for (auto [value, key] : {std::pair{&config.threads, "training.threads"},
                            std::pair{&config.compute_workers, "pipeline.compute_workers"},
                            std::pair{&config.load_workers, "pipeline.load_workers"},
                            std::pair{&config.update_workers, "pipeline.update_workers"}}) {
    if (*value > hardware) {
      logger().warn("{} = {} exceeds this machine's {} hardware threads; using {}", key, *value, hardware, hardware);
      *value = hardware;
    }
  }
}

// Runs `allocate`; an allocation failure (std::bad_alloc, LibTorch's "can't
// allocate memory", CUDA's "out of memory") becomes Error(OUT_OF_MEMORY)
// naming `what` and the keys that size it, instead of a backtrace.
template <class F>
auto allocating(const std::string& what, const char* keys, F&& allocate) -> decltype(allocate()) {
  auto refuse = [&](const char* detail) {
    fail(MARIUS_ERR_OUT_OF_MEMORY, "allocating {} failed ({}); lower {}", what, detail, keys);
  };
  try {
    return allocate();
  } catch (const std::bad_alloc&) {
    refuse("out of memory");
  } catch (const c10::Error& e) {
    const std::string message = e.what_without_backtrace();
    if (message.find("can't allocate memory") == std::string::npos &&
        message.find("out of memory") == std::string::npos) {
      throw;
    }
    refuse(message.substr(0, message.find('\n')).c_str());
  }
  throw;  // not reached
}

}  // namespace

Session::Session(Config config, const std::vector<std::string>& plugin_paths)
    : config_(std::move(config)), dataset_(open_dataset(config_)) {
  keep_freed_memory_for_reuse();
  if (!dataset_.info().has_relations) config_.inverse_relations = false;  // nothing to invert
  cap_threads(config_);
  registry_.add_builtin();
  for (const auto& p : plugin_paths) registry_.add_path(p);
  score_ = std::make_unique<ScoreFunction>(registry_.load(registry_.find(config_.score, MARIUS_KIND_SCORE_FUNCTION)),
                                           config_.score_options);
  sampler_ = std::make_unique<NegativeSampler>(
      registry_.load(registry_.find(config_.sampler, MARIUS_KIND_NEGATIVE_SAMPLER)), config_.sampler_options);
  // A slot holds a partition's embeddings and Adagrad state, and its feature rows when an encoder reads them.
  capacity_ = resolve_capacity(config_, dataset_, static_cast<int64_t>(node_row_bytes(config_.dim)) + encoder_feature_width() * 4);
  training_device(config_);
  const int32_t p = static_cast<int32_t>(dataset_.partition_offsets().size()) - 1;
  device_capacity_ = resolve_device_capacity(config_, dataset_, capacity_ > 0 ? capacity_ : std::max(p, 1));
  if (capacity_ > 0) {
    storage_ = std::make_unique<StorageBackend>(
        registry_.load(registry_.find(config_.storage_backend, MARIUS_KIND_STORAGE_BACKEND)),
        config_.storage_backend_options);
  }
  if (!config_.encoder.empty() && device_capacity_ > 0) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "model.encoder = \"{}\" trains on the host for now: the device tier (training.device = \"{}\", "
         "storage.device_capacity) does not take an encoder yet",
         config_.encoder, config_.device);
  }
  if (capacity_ > 0 || (device_capacity_ > 0 && device_capacity_ < p)) {
    ordering_ = std::make_unique<OrderingPolicy>(
        registry_.load(registry_.find(config_.ordering, MARIUS_KIND_ORDERING_POLICY)), config_.ordering_options);
  }
}

int64_t Session::encoder_feature_width() const {
  if (config_.encoder.empty() || (config_.node_input != NodeInput::kFeatures && config_.node_input != NodeInput::kBoth)) return 0;
  return feature_width(dataset_.dir());
}

uint64_t Session::buffer_bytes() const {
  return out_of_core() ? PartitionBuffer::slab_bytes_for(*store_, capacity_, config_.prefetch) : 0;
}

const NodeRows& Session::node_rows() const {
  if (!node_rows_) fail(MARIUS_ERR_INVALID_ARGUMENT, "the session has no model (call initialize)");
  return *node_rows_;
}

Session::~Session() = default;

fs::path Session::checkpoint_path() const { return fs::path(config_.output) / "checkpoint.bin"; }


namespace {

fs::path storage_dir(const Config& config) {
  return config.storage_dir.empty() ? fs::path(config.output) / "partitions" : fs::path(config.storage_dir);
}

}  // namespace

void Session::initialize(bool resume, bool overwrite) {
  const DatasetInfo& info = dataset_.info();
  forget_scored_tables();
  non_finite_.clear();
  saved_epochs_ = -1;
  const bool joining = distributed_ && distributed_->rank() > 0;  // a worker that opens rank 0's partition files
  std::error_code ec;
  if (!resume && !overwrite && fs::exists(checkpoint_path(), ec)) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "output.dir {} already holds a checkpoint ({}); continue it with --resume, or replace it with --overwrite "
         "(or choose another output.dir)",
         config_.output, checkpoint_path().string());
  }
  check_memory();
  if (resume && !joining) {
    CheckpointInfo meta;
    model_ = std::make_unique<Model>(load_checkpoint(checkpoint_path(), &meta));
    require_same_dataset(meta, dataset_, checkpoint_path());
    Config saved = Config::parse(meta.config_toml, checkpoint_path().string() + " (stored config)", {});
    auto differ = [&](const char* key, const std::string& a, const std::string& b) {
      if (a != b) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "--resume: {} is {} here but {} in {}", key, a, b, checkpoint_path().string());
      }
    };
    differ("model.score", config_.score, saved.score);
    differ("model.dim", std::to_string(config_.dim), std::to_string(saved.dim));
    if (model_->num_nodes != info.num_nodes || model_->num_relations != info.num_relations) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "--resume: the checkpoint {} has {} nodes and {} relations, the dataset {} has {} and {}",
           checkpoint_path().string(), model_->num_nodes, model_->num_relations, config_.dataset, info.num_nodes,
           info.num_relations);
    }
    if (model_->inverse_relations != config_.inverse_relations) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "--resume: model.inverse_relations is {} here but {} in {}",
           config_.inverse_relations, model_->inverse_relations, checkpoint_path().string());
    }
    if (config_.relation_optimizer == RelationOptimizer::kAdam && !model_->relation_state2.defined()) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "--resume: the checkpoint was trained with adagrad relations, the config says adam");
    }
    const bool saved_out_of_core = meta.partition_generation >= 0;
    if (saved_out_of_core != out_of_core()) {
      fail(MARIUS_ERR_INVALID_ARGUMENT,
           "--resume: the checkpoint {} holds a model trained {}, but this configuration trains {} (storage.buffer_capacity "
           "= {}, dataset partitions = {})",
           checkpoint_path().string(), saved_out_of_core ? "out of core" : "in memory",
           out_of_core() ? "out of core" : "in memory", config_.buffer_capacity, dataset_.partition_offsets().size() - 1);
    }
    epochs_done_ = meta.epochs_done;
    if (out_of_core() && !joining) {
      store_ = std::make_unique<PartitionStore>(*storage_, storage_dir(config_), dataset_.partition_offsets(),
                                                config_.dim, /*create=*/false,
                                                static_cast<int32_t>(config_.generations));
      store_->restore(meta.partition_generation, meta.partition_crcs);
    }
    saved_epochs_ = epochs_done_;
    logger().info("loaded {} (after epoch {})", checkpoint_path().string(), epochs_done_);
  } else {
    model_ = allocating("the model's tables", "model.dim (or train out of core: storage.buffer_capacity)", [&] {
      return std::make_unique<Model>(
          Model::create(config_, info.num_nodes, info.num_relations, *score_, /*node_tables=*/!out_of_core()));
    });
    epochs_done_ = 0;
    if (out_of_core() && !joining) {
      store_ = std::make_unique<PartitionStore>(*storage_, storage_dir(config_), dataset_.partition_offsets(),
                                                config_.dim, /*create=*/true,
                                                static_cast<int32_t>(config_.generations));
      for (int32_t k = 0; k < store_->num_partitions(); ++k) {
        at::Tensor embeddings = Model::initial_embeddings(config_, store_->rows(k), static_cast<uint64_t>(k));
        at::Tensor state = at::zeros_like(embeddings);
        store_->write(k, embeddings.data_ptr<float>(), state.data_ptr<float>());
      }
      store_->commit();
    }
  }
  if (distributed_) {
    // Rank 0 made the partition files; the others open them once it has
    // committed, and take its generation (they are the same files).
    if (joining) {  // with --resume too: rank 0 read the checkpoint, and its epoch and relations are everyone's
      const DistributedLinkPrediction::Files files = distributed_->wait_files();
      if (files.resumed != resume) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "distributed: {}, but rank 0 {} (give every worker --resume, or none)",
             resume ? "this worker resumes" : "this worker starts a fresh model",
             files.resumed ? fmt::format("resumes after epoch {}", files.epochs_done) : "starts a fresh model");
      }
      epochs_done_ = files.epochs_done;
      saved_epochs_ = epochs_done_;
      store_ = std::make_unique<PartitionStore>(*storage_, storage_dir(config_), dataset_.partition_offsets(),
                                                config_.dim, /*create=*/false,
                                                static_cast<int32_t>(config_.generations));
      store_->adopt(files.generation, files.crcs);
    } else {
      distributed_->publish_files({epochs_done_, store_->generation(), store_->crcs(), resume});
    }
    distributed_->start(*store_, *model_, epochs_done_);  // ends with a barrier: every worker is ready, or all stop
  }
  task_.reset();
  shallow_task_ = nullptr;
  scheduler_.reset();
  buffer_.reset();
  if (!config_.encoder.empty()) initialize_encoder(resume);
  if (out_of_core()) {
    node_rows_ = std::make_unique<NodeRows>(*store_);

  } else {
    node_rows_ = std::make_unique<NodeRows>(model_->embeddings);
  }
}

void Session::check_memory() const {
  MemoryLayout layout;
  layout.largest_partition_rows = dataset_.largest_partition_rows();
  layout.feature_width = encoder_feature_width();
  layout.buffer_capacity = capacity_;
  layout.device_capacity = device_capacity_;
  layout.device_on_host = training_device(config_).is_cpu();
  CallContext ctx(score_->label());
  layout.relation_width = score_->relation_width(ctx, config_.dim);
  std::string source;
  const uint64_t available = available_memory(&source);
  require_memory(estimate_training_memory(config_, dataset_.info(), layout), available, source);
}

EpochResult Session::train_epoch(Progress* progress) {
  if (!model_) fail(MARIUS_ERR_INVALID_ARGUMENT, "train_epoch: the session has no model (call initialize)");
  if (!non_finite_.empty()) fail(MARIUS_ERR_NON_FINITE, "train: {}", non_finite_);
  forget_scored_tables();
  if (out_of_core() && !buffer_) {  // the slab exists while training (evaluation frees it)
    buffer_ = allocating("the partition buffer", "storage.buffer_capacity or storage.buffer_bytes", [&] {
      return std::make_unique<PartitionBuffer>(*store_, capacity_, config_.prefetch);
    });
    logger().info("out of core: {} partitions of up to {:.1f} MB in {}; buffer of {} partition(s){} = {:.1f} MB; "
                  "ordering {}, backend {}",
                  store_->num_partitions(), static_cast<double>(store_->max_rows() * node_row_bytes(config_.dim)) / 1e6,
                  store_->file(0).parent_path().string(), capacity_, config_.prefetch ? " + 1 prefetch slot" : "",
                  buffer_->slab_bytes() / 1e6, config_.ordering, config_.storage_backend);
    if (feature_file_) {
      feature_pages_ = allocating("the feature pages", "storage.buffer_capacity or storage.buffer_bytes", [&] {
        return std::make_unique<FeaturePages>(*feature_file_, dataset_.partition_offsets(), buffer_->slots(),
                                              buffer_->slot_rows(), config_.normalize_features);
      });
      logger().info("out of core: features paged beside the buffer, {} slots = {:.1f} MB, from {}", buffer_->slots(),
                    static_cast<double>(feature_pages_->slab_bytes()) / 1e6, feature_file_->path().string());
    }
    scheduler_.reset();
  }
  at::Tensor train_edges;  // read once for the task's filter and the in-memory scheduler
  auto read_train_edges = [&] {
    if (!train_edges.defined()) train_edges = dataset_.edges(Split::kTrain);
    return train_edges;
  };
  if (!task_ && encoder_) {
    task_ = std::make_unique<GnnLinkPredictionTask>(config_, *model_, *encoder_, *dense_optimizer_, *adjacency_,
                                                    *score_, *sampler_, features_);
  } else if (!task_) {
    auto task = std::make_unique<LinkPredictionTask>(config_, *model_, *score_, *sampler_,
                                                     config_.filtered ? read_train_edges() : at::Tensor(),
                                                     training_device(config_));
    task->replace_node_optimizer(node_optimizer_);
    task->use_device_kernels(device_kernels_);
    if (distributed_) {
      DistributedLinkPrediction* d = distributed_.get();
      task->share_relations([d] { d->sync_relations(); }, config_.dist_relation_sync);
    }
    shallow_task_ = task.get();
    task_ = std::move(task);
  }
  if (!scheduler_) {
    Tiers tiers{&dataset_, ordering_.get(), buffer_.get(), training_device(config_), device_capacity_};
    tiers.features = feature_pages_.get();
    tiers.grants = distributed_.get();
    if (adjacency_) tiers.neighbourhood_degrees = adjacency_->degrees;
    if (device_capacity_ > 0) {
      logger().info("device tier on {}: {} of {} partition(s){}", config_.device, device_capacity_,
                    out_of_core() ? capacity_ : static_cast<int32_t>(dataset_.partition_offsets().size()) - 1,
                    out_of_core() ? " of each host buffer state" : " of the table in memory");
    }
    scheduler_ = std::make_unique<EpochScheduler>(
        config_, *model_, out_of_core() ? at::Tensor() : read_train_edges(), dataset_.degrees(), tiers);
  }
  EpochResult r;
  try {
    r = allocating("a batch's temporaries", "training.batch_size, negatives.per_chunk or pipeline.staleness",
                   [&] { return scheduler_->train_epoch(*task_, epochs_done_, progress); });
  } catch (const Error& e) {
    if (e.code() == MARIUS_ERR_NON_FINITE) non_finite_ = e.what();
    throw;
  }
  ++epochs_done_;
  if (out_of_core()) {
    if (distributed_) {
      distributed_->commit();  // rank 0 commits every worker's writes; the others adopt its generation
    } else {
      store_->commit();
    }
    save();
  }
  return r;
}

void Session::use_device_kernels(bool on) {
  device_kernels_ = on;
  if (shallow_task_ != nullptr) shallow_task_->use_device_kernels(on);
}

void Session::replace_node_optimizer(LinkPredictionTask::NodeOptimizer apply) {
  node_optimizer_ = std::move(apply);
  if (shallow_task_ != nullptr) shallow_task_->replace_node_optimizer(node_optimizer_);
}

RankMetrics Session::evaluate(Split split, std::FILE* progress_stream) {
  if (!model_) fail(MARIUS_ERR_INVALID_ARGUMENT, "evaluate: the session has no model");
  if (out_of_core()) {  // evaluation reads the partition files: give the buffer's memory back first
    scheduler_.reset();
    buffer_.reset();
    feature_pages_.reset();
  }
  const EvalProtocol protocol = config_.eval_protocol;
  const bool filtered = protocol == EvalProtocol::kFiltered || protocol == EvalProtocol::kNone;
  auto edges_of = [&](Split s) -> const at::Tensor& {
    at::Tensor& e = split_edges_[static_cast<int>(s)];
    if (!e.defined()) e = dataset_.edges(s);
    return e;
  };
  if (protocol == EvalProtocol::kGiven || protocol == EvalProtocol::kClassification) {
    return evaluate_given(split, edges_of(split), protocol == EvalProtocol::kClassification ? &edges_of(Split::kValid) : nullptr,
                          progress_stream);
  }
  if (!evaluator_) {
    // Filtering needs every true edge; the sampled protocol (large graphs) none.
    at::Tensor known = filtered ? at::cat({edges_of(Split::kTrain), edges_of(Split::kValid), edges_of(Split::kTest)})
                                : at::empty({0, 3}, at::kLong);
    evaluator_ = std::make_unique<Evaluator>(known, dataset_.degrees(), dataset_.info().num_relations);
  }
  const at::Tensor& edges = edges_of(split);
  const ScoredTables scored = scored_tables();
  const Model& model = *scored.model;
  const NodeRows& rows = *scored.rows;
  Progress progress(fmt::format("{} ({})", split_name(split), filtered ? "filtered" : "sampled"),
                    Evaluator::progress_units(rows, edges, filtered), progress_stream, "rankings", /*with_loss=*/false);
  struct Finish {  // the progress line goes before anything is printed, also after an error
    Progress& p;
    ~Finish() { p.finish(); }
  } finish{progress};
  if (config_.eval_protocol == EvalProtocol::kSampled) {
    return evaluator_->sampled(model, rows, *score_, edges, config_.eval_negatives, config_.eval_batch_size,
                               static_cast<uint64_t>(config_.seed) + 17, &progress);
  }
  return evaluator_->filtered(model, rows, *score_, edges, config_.eval_batch_size, &progress);
}

const GivenNegatives& Session::given_negatives(Split split) {
  std::optional<GivenNegatives>& g = given_negatives_[static_cast<int>(split)];
  if (!g) g = GivenNegatives::open(dataset_.dir(), split, dataset_.info());
  if (!g) {
    fail(MARIUS_ERR_NOT_FOUND, "evaluation.protocol {}: the dataset {} has no negatives for the {} split (marius-run "
         "preprocess --{}-negatives FILE)", config_.eval_protocol == EvalProtocol::kGiven ? "given" : "classification",
         dataset_.dir().string(), split_name(split), split_name(split));
  }
  return *g;
}

RankMetrics Session::evaluate_given(Split split, const at::Tensor& edges, const at::Tensor* valid_edges,
                                    std::FILE* progress_stream) {
  const GivenNegatives& negatives = given_negatives(split);
  const ScoredTables scored = scored_tables();
  if (valid_edges != nullptr) {  // classification: thresholds from the validation split
    const GivenNegatives& valid = given_negatives(Split::kValid);
    return classification_metrics(*scored.model, *scored.rows, *score_, *valid_edges, valid, edges, negatives,
                                  config_.eval_batch_size);
  }
  Progress progress(fmt::format("{} (given, {})", split_name(split), negatives_layout_name(negatives.layout)),
                    given_progress_units(edges, negatives), progress_stream, "scores", /*with_loss=*/false);
  struct Finish {
    Progress& p;
    ~Finish() { p.finish(); }
  } finish{progress};
  return given_metrics(*scored.model, *scored.rows, *score_, edges, negatives, config_.hits_at(),
                       config_.eval_batch_size, &progress);
}

void Session::save() {
  if (!non_finite_.empty()) {
    fail(MARIUS_ERR_NON_FINITE, "not saving over {}: {}", checkpoint_path().string(), non_finite_);
  }
  if (!evaluates()) {  // a distributed worker of rank K > 0: rank 0's checkpoint holds the run
    saved_epochs_ = epochs_done_;
    return;
  }
  std::error_code ec;
  fs::create_directories(config_.output, ec);
  if (ec) fail(MARIUS_ERR_IO, "output.dir {}: cannot create: {}", config_.output, ec.message());
  CheckpointInfo info{epochs_done_, config_.to_toml()};
  info.dataset = fingerprint_of(dataset_);
  if (out_of_core()) {
    info.partition_generation = store_->generation();
    info.partition_crcs = store_->crcs();
  }
  if (encoder_) save_encoder();
  save_checkpoint(checkpoint_path(), *model_, info);
  saved_epochs_ = epochs_done_;
  if (encoder_) {  // the checkpoint now names this epoch's encoder file: the others are stale
    for (const auto& entry : fs::directory_iterator(config_.output, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("encoder-", 0) == 0 && name.size() > 12 && name.compare(name.size() - 4, 4, ".bin") == 0 &&
          entry.path() != encoder_path()) {
        fs::remove(entry.path(), ec);
      }
    }
  }
}

fs::path Session::encoder_path() const {
  return fs::path(config_.output) / fmt::format("encoder-{}.bin", epochs_done_);
}

void Session::initialize_encoder(bool resume) {
  const DatasetInfo& info = dataset_.info();
  if (!adjacency_) adjacency_ = std::make_unique<Adjacency>(Adjacency::load(dataset_, direction_of(config_.direction)));
  features_ = at::Tensor();
  feature_file_.reset();
  feature_pages_.reset();
  feature_dim_ = 0;
  if (config_.node_input == NodeInput::kFeatures || config_.node_input == NodeInput::kBoth) {
    // Out of core the features page beside the embeddings (FeaturePages) and evaluation streams them.
    const NodeData data = NodeData::open(dataset_.dir(), info.num_nodes, /*load_features=*/!out_of_core());
    if (!data.has_features()) encoder_features(config_, data, config_.dataset);  // names the missing features
    feature_dim_ = data.feature_dim();
    if (out_of_core()) {
      feature_file_ = FeatureFile::open(dataset_.dir() / node_file_name(kNodeFeatures32), info.num_nodes);
    } else {
      features_ = encoder_features(config_, data, config_.dataset);
    }
  }
  const EncoderSpec spec = encoder_spec(config_, config_.dim + feature_dim_, config_.dim, adjacency_->num_relations);
  encoder_ = std::make_unique<GnnEncoder>(registry_, spec, static_cast<uint64_t>(config_.seed));
  dense_optimizer_ = std::make_unique<DenseOptimizer>(config_);
  layer_fanouts(config_.fanouts, "model.fanouts", encoder_->num_layers());  // refuses a bad model.fanouts now, not at the first batch
  if (!resume) return;
  std::string text;
  NamedTensors saved = load_tensor_archive(encoder_path(), &text);
  std::map<std::string, at::Tensor> by_name(saved.begin(), saved.end());
  auto counters = by_name.find("counters");
  if (counters == by_name.end() || counters->second.numel() != 2) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "--resume: {} has no counters", encoder_path().string());
  }
  if (counters->second[0].item<int64_t>() != epochs_done_) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "--resume: {} is from epoch {}, {} from epoch {}", encoder_path().string(),
         counters->second[0].item<int64_t>(), checkpoint_path().string(), epochs_done_);
  }
  dense_optimizer_->set_steps(counters->second[1].item<int64_t>());
  restore_encoder_state(by_name, encoder_path(), *encoder_, *dense_optimizer_);
}

void Session::save_encoder() {
  NamedTensors tensors;
  add_encoder_state(*encoder_, *dense_optimizer_, tensors);
  tensors.emplace_back("counters", at::tensor({epochs_done_, dense_optimizer_->steps()}, at::kLong));
  save_tensor_archive(encoder_path(), config_.to_toml(), tensors);
}

Session::ScoredTables Session::scored_tables() {
  if (!model_) fail(MARIUS_ERR_INVALID_ARGUMENT, "the session has no model (call initialize)");
  if (!encoder_) return {model_.get(), node_rows_.get()};
  if (!encoded_rows_) {  // with an encoder, nodes are scored by their representations (full neighbourhoods)
    encoded_model_ = *model_;
    encoded_model_.embeddings = representations();
    encoded_model_.dim = encoded_model_.embeddings.size(1);
    encoded_rows_ = std::make_unique<NodeRows>(encoded_model_.embeddings);
  }
  return {&encoded_model_, encoded_rows_.get()};
}

at::Tensor Session::representations() {
  if (!encoder_) return model_->embeddings;
  at::Tensor embeddings = model_->embeddings;
  if (!embeddings.defined()) {  // out of core: every partition read back (num_nodes x dim x 4 bytes)
    const NodeRows& rows = *node_rows_;
    embeddings = at::empty({rows.num_nodes(), rows.dim()}, at::kFloat);
    for (int32_t k = 0; k < rows.num_blocks(); ++k) {
      at::Tensor block = rows.block(k);
      embeddings.narrow(0, rows.begin(k), block.size(0)).copy_(block);
    }
  }
  if (!feature_file_) {
    at::Tensor input = features_.defined() ? at::cat({features_, embeddings}, 1) : embeddings;
    return encoder_->infer(*adjacency_, input);
  }
  // Out of core with features: they stay in features.bin, and inference
  // streams (streaming_inference.h), gathering each block's feature rows.
  const InputRows input_rows = [&](const at::Tensor& ids) {
    at::Tensor f = feature_file_->gather(ids);
    if (config_.normalize_features) l1_normalize_rows(f);
    return at::cat({f, embeddings.index_select(0, ids)}, 1);
  };
  const fs::path dir = make_scratch_directory(config_.output);
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  } cleanup{dir};
  const FeatureFile out = infer_streaming(*encoder_, *adjacency_, input_rows, dir);
  at::Tensor result = at::empty({out.rows(), out.dim()}, at::kFloat);
  out.read_range(0, out.rows(), result.data_ptr<float>());
  return result;
}

}  // namespace marius
