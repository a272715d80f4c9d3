#include "core/train/session.h"

#include <sys/resource.h>

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/logging.h"
#include "core/storage/partition_buffer.h"
#include "core/storage/partition_store.h"
#include "core/train/checkpoint.h"

namespace fs = std::filesystem;

namespace marius {

double peak_rss_mb() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

namespace {

Dataset open_dataset(const Config& config) {
  if (config.dataset.empty()) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "dataset.path is not set (give it in the config or with --set dataset.path=DIR)");
  }
  return Dataset::open(config.dataset);
}

// Bytes of the largest partition's embeddings and Adagrad state: one slot of a buffer.
int64_t largest_partition_bytes(const Config& config, const Dataset& dataset) {
  const std::vector<int64_t>& offsets = dataset.partition_offsets();
  int64_t rows = 0;
  for (size_t k = 0; k + 1 < offsets.size(); ++k) rows = std::max(rows, offsets[k + 1] - offsets[k]);
  return rows * 8 * config.dim;
}

// The buffer capacity out of core, or 0 when every partition fits in memory.
int32_t resolve_capacity(const Config& config, const Dataset& dataset) {
  const std::vector<int64_t>& offsets = dataset.partition_offsets();
  const int64_t p = static_cast<int64_t>(offsets.size()) - 1;
  if (config.partitions > 0 && config.partitions != p) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "storage.partitions = {}, but the dataset {} has {} partition(s); preprocess it with --partitions {}",
         config.partitions, config.dataset, p, config.partitions);
  }
  if (p <= 1) return 0;
  int64_t capacity = config.buffer_capacity;
  if (config.buffer_bytes > 0) {
    const int64_t partition_bytes = largest_partition_bytes(config, dataset);
    const int64_t slots = config.buffer_bytes / std::max<int64_t>(1, partition_bytes);
    capacity = slots - (config.prefetch ? 1 : 0);
    if (capacity < 2 && capacity < p) {
      fail(MARIUS_ERR_INVALID_ARGUMENT,
           "storage.buffer_bytes = {} holds {} partition(s) of {} bytes{}; out-of-core training needs room for 2",
           config.buffer_bytes, slots, partition_bytes, config.prefetch ? " (one of them the prefetch slot)" : "");
    }
  }
  if (capacity == 0 || capacity >= p) return 0;
  if (capacity < 2) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "storage.buffer_capacity = 1: a buffer of one partition cannot hold a bucket between two partitions; use 2 "
         "or more (or 0 to train in memory)");
  }
  return static_cast<int32_t>(capacity);
}

// Where batches compute: training.device, checked against this LibTorch.
c10::Device training_device(const Config& config) {
  c10::Device device(config.device);  // the syntax was checked with the config
  if (device.is_cuda()) {
    if (!at::hasCUDA()) {
      fail(MARIUS_ERR_UNSUPPORTED,
           "training.device = \"{}\": this marius is built against a LibTorch without CUDA (build with a CUDA "
           "LibTorch, see docs/gpu.md, or use training.device = \"cpu\")",
           config.device);
    }
    const int64_t gpus = static_cast<int64_t>(at::getNumGPUs());
    if (device.index() >= gpus) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "training.device = \"{}\": this machine has {} CUDA device(s)", config.device,
           gpus);
    }
  }
  return device;
}

// The device tier's capacity d, or 0 for none. `below`: partitions of the tier
// below (the host buffer's c out of core, all p in memory).
int32_t resolve_device_capacity(const Config& config, const Dataset& dataset, int32_t below) {
  int64_t d = config.device_capacity;
  if (config.device_bytes > 0) {
    const int64_t partition_bytes = largest_partition_bytes(config, dataset);
    const int64_t slots = config.device_bytes / std::max<int64_t>(1, partition_bytes);
    // Everything below fits: no prefetch slot is needed; otherwise the budget includes it.
    d = slots >= below ? below : slots - (config.prefetch ? 1 : 0);
    if (d < 1 || (d < 2 && d < below)) {
      fail(MARIUS_ERR_INVALID_ARGUMENT,
           "storage.device_bytes = {} holds {} partition(s) of {} bytes{}; the device tier needs room for 2",
           config.device_bytes, slots, partition_bytes, config.prefetch ? " (one of them the prefetch slot)" : "");
    }
  }
  if (d == 0) return c10::Device(config.device).is_cpu() ? 0 : below;
  if (d < 2 && d < below) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "storage.device_capacity = 1: a device tier of one partition cannot hold a bucket between two partitions; "
         "use 2 or more");
  }
  return static_cast<int32_t>(std::min<int64_t>(d, below));
}

}  // namespace

Session::Session(Config config, const std::vector<std::string>& plugin_paths)
    : config_(std::move(config)), dataset_(open_dataset(config_)) {
  if (!dataset_.info().has_relations) config_.inverse_relations = false;  // nothing to invert
  registry_.add_builtin();
  for (const auto& p : plugin_paths) registry_.add_path(p);
  score_ = std::make_unique<ScoreFunction>(registry_.load(registry_.find(config_.score, MARIUS_KIND_SCORE_FUNCTION)),
                                           config_.score_options);
  sampler_ = std::make_unique<NegativeSampler>(
      registry_.load(registry_.find(config_.sampler, MARIUS_KIND_NEGATIVE_SAMPLER)), config_.sampler_options);
  capacity_ = resolve_capacity(config_, dataset_);
  training_device(config_);
  const int32_t p = static_cast<int32_t>(dataset_.partition_offsets().size()) - 1;
  device_capacity_ = resolve_device_capacity(config_, dataset_, capacity_ > 0 ? capacity_ : std::max(p, 1));
  if (capacity_ > 0) {
    storage_ = std::make_unique<StorageBackend>(
        registry_.load(registry_.find(config_.storage_backend, MARIUS_KIND_STORAGE_BACKEND)),
        config_.storage_backend_options);
  }
  if (capacity_ > 0 || (device_capacity_ > 0 && device_capacity_ < p)) {
    ordering_ = std::make_unique<OrderingPolicy>(
        registry_.load(registry_.find(config_.ordering, MARIUS_KIND_ORDERING_POLICY)), config_.ordering_options);
  }
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

void Session::initialize(bool resume) {
  const DatasetInfo& info = dataset_.info();
  if (resume) {
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
    if (config_.relation_optimizer == "adam" && !model_->relation_state2.defined()) {
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
    if (out_of_core()) {
      store_ = std::make_unique<PartitionStore>(*storage_, storage_dir(config_), dataset_.partition_offsets(),
                                                config_.dim, /*create=*/false,
                                                static_cast<int32_t>(config_.generations));
      store_->restore(meta.partition_generation, meta.partition_crcs);
    }
    epochs_done_ = meta.epochs_done;
    logger().info("loaded {} (after epoch {})", checkpoint_path().string(), epochs_done_);
  } else {
    model_ = std::make_unique<Model>(Model::create(config_, info.num_nodes, info.num_relations, *score_,
                                                   /*node_tables=*/!out_of_core()));
    epochs_done_ = 0;
    if (out_of_core()) {
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
  trainer_.reset();
  buffer_.reset();
  if (out_of_core()) {
    node_rows_ = std::make_unique<NodeRows>(*store_);

  } else {
    node_rows_ = std::make_unique<NodeRows>(model_->embeddings);
  }
}

EpochResult Session::train_epoch(Progress* progress) {
  if (!model_) fail(MARIUS_ERR_INVALID_ARGUMENT, "train_epoch: the session has no model (call initialize)");
  if (out_of_core() && !buffer_) {  // the slab exists while training (evaluation frees it)
    buffer_ = std::make_unique<PartitionBuffer>(*store_, capacity_, config_.prefetch);
    logger().info("out of core: {} partitions of up to {:.1f} MB in {}; buffer of {} partition(s){} = {:.1f} MB; "
                  "ordering {}, backend {}",
                  store_->num_partitions(), store_->max_rows() * 8.0 * config_.dim / 1e6,
                  store_->file(0).parent_path().string(), capacity_, config_.prefetch ? " + 1 prefetch slot" : "",
                  buffer_->slab_bytes() / 1e6, config_.ordering, config_.storage_backend);
    trainer_.reset();
  }
  if (!trainer_) {
    Tiers tiers{&dataset_, ordering_.get(), buffer_.get(), training_device(config_), device_capacity_};
    if (device_capacity_ > 0) {
      logger().info("device tier on {}: {} of {} partition(s){}", config_.device, device_capacity_,
                    out_of_core() ? capacity_ : static_cast<int32_t>(dataset_.partition_offsets().size()) - 1,
                    out_of_core() ? " of each host buffer state" : " of the table in memory");
    }
    trainer_ = std::make_unique<Trainer>(config_, *model_, out_of_core() ? at::Tensor() : dataset_.edges(Split::kTrain),
                                         dataset_.degrees(), *score_, *sampler_, tiers);
    trainer_->replace_node_optimizer(node_optimizer_);
    trainer_->use_device_kernels(device_kernels_);
  }
  EpochResult r = trainer_->train_epoch(epochs_done_, progress);
  ++epochs_done_;
  if (out_of_core()) {
    store_->commit();
    save();
  }
  return r;
}

void Session::use_device_kernels(bool on) {
  device_kernels_ = on;
  if (trainer_) trainer_->use_device_kernels(on);
}

void Session::replace_node_optimizer(Trainer::NodeOptimizer apply) {
  node_optimizer_ = std::move(apply);
  if (trainer_) trainer_->replace_node_optimizer(node_optimizer_);
}

const StepTimes& Session::last_step_times() const {
  static const StepTimes none;
  return trainer_ ? trainer_->last_times() : none;
}

RankMetrics Session::evaluate(Split split) {
  if (!model_) fail(MARIUS_ERR_INVALID_ARGUMENT, "evaluate: the session has no model");
  if (out_of_core()) {  // evaluation reads the partition files: give the buffer's memory back first
    trainer_.reset();
    buffer_.reset();
  }
  const bool filtered = config_.eval_protocol != "sampled";
  auto edges_of = [&](Split s) -> const at::Tensor& {
    at::Tensor& e = split_edges_[static_cast<int>(s)];
    if (!e.defined()) e = dataset_.edges(s);
    return e;
  };
  if (!evaluator_) {
    // Filtering needs every true edge; the sampled protocol (large graphs) none.
    at::Tensor known = filtered ? at::cat({edges_of(Split::kTrain), edges_of(Split::kValid), edges_of(Split::kTest)})
                                : at::empty({0, 3}, at::kLong);
    evaluator_ = std::make_unique<Evaluator>(known, dataset_.degrees(), dataset_.info().num_relations);
  }
  const at::Tensor& edges = edges_of(split);
  if (config_.eval_protocol == "sampled") {
    return evaluator_->sampled(*model_, *node_rows_, *score_, edges, config_.eval_negatives, config_.eval_batch_size,
                               static_cast<uint64_t>(config_.seed) + 17);
  }
  return evaluator_->filtered(*model_, *node_rows_, *score_, edges, config_.eval_batch_size);
}

void Session::save() {
  std::error_code ec;
  fs::create_directories(config_.output, ec);
  if (ec) fail(MARIUS_ERR_IO, "output.dir {}: cannot create: {}", config_.output, ec.message());
  CheckpointInfo info{epochs_done_, config_.to_toml()};
  info.dataset = fingerprint_of(dataset_);
  if (out_of_core()) {
    info.partition_generation = store_->generation();
    info.partition_crcs = store_->crcs();
  }
  save_checkpoint(checkpoint_path(), *model_, info);
}

}  // namespace marius
