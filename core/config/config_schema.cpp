#include "core/config/config_schema.h"

#include <algorithm>
#include <type_traits>

namespace marius {

const char* choice_name(InitKind v) { return v == InitKind::kNormal ? "normal" : "uniform"; }
const char* choice_name(LossKind v) {
  return v == LossKind::kRanking ? "ranking" : v == LossKind::kLogistic ? "logistic" : "softmax";
}
const char* choice_name(Reduction v) { return v == Reduction::kMean ? "mean" : "sum"; }
const char* choice_name(Regularization v) {
  return v == Regularization::kL2 ? "l2" : v == Regularization::kN3 ? "n3" : "none";
}
const char* choice_name(PipelineMode v) { return v == PipelineMode::kSync ? "sync" : "pipelined"; }
const char* choice_name(RelationOptimizer v) { return v == RelationOptimizer::kAdam ? "adam" : "adagrad"; }
const char* choice_name(NodeOptimizerKind v) { return v == NodeOptimizerKind::kRowAdagrad ? "row_adagrad" : "adagrad"; }
const char* choice_name(EvalProtocol v) {
  switch (v) {
    case EvalProtocol::kFiltered: return "filtered";
    case EvalProtocol::kSampled: return "sampled";
    case EvalProtocol::kGiven: return "given";
    case EvalProtocol::kClassification: return "classification";
    case EvalProtocol::kNone: return "none";
  }
  return "filtered";
}

const char* choice_name(TaskKind v) { return v == TaskKind::kNodeClassification ? "node_classification" : "link_prediction"; }
const char* choice_name(NeighborDirection v) {
  return v == NeighborDirection::kIncoming ? "incoming" : v == NeighborDirection::kOutgoing ? "outgoing" : "both";
}
const char* choice_name(NodeInput v) {
  return v == NodeInput::kFeatures ? "features" : v == NodeInput::kEmbeddings ? "embeddings" : v == NodeInput::kBoth ? "both" : "auto";
}
const char* choice_name(DenseOptimizerKind v) {
  return v == DenseOptimizerKind::kAdamW ? "adamw" : v == DenseOptimizerKind::kSgd ? "sgd" : "adam";
}
const char* choice_name(InferenceMode v) { return v == InferenceMode::kSampled ? "sampled" : "full"; }
const char* choice_name(DenseUpdates v) { return v == DenseUpdates::kAsync ? "async" : "sync"; }
const char* choice_name(PartitionerChoice v) {
  return v == PartitionerChoice::kRandom ? "random" : v == PartitionerChoice::kMetis ? "metis" : "any";
}

namespace config_schema {

bool is_device_name(const std::string& name) {
  if (name == "cpu" || name == "cuda") return true;
  if (name.rfind("cuda:", 0) != 0 || name.size() == 5 || name.size() > 8) return false;
  return std::all_of(name.begin() + 5, name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

namespace {

template <class T>
KeySpec scalar(std::string section, std::string key, KeyType type, T Config::*member, std::string doc,
               double min = -1e300, double max = 1e300) {
  KeySpec s{std::move(section), std::move(key), type, {}, min, max, std::move(doc), {}, {}, nullptr};
  s.get = [member](const Config& c) -> Value { return c.*member; };
  s.set = [member](Config& c, const Value& v) {
    if constexpr (std::is_same_v<T, double>) {
      c.*member = std::holds_alternative<int64_t>(v) ? static_cast<double>(std::get<int64_t>(v)) : std::get<double>(v);
    } else {
      c.*member = std::get<T>(v);
    }
  };
  return s;
}

// A choice key held as enum E: the names come from choice_name().
template <class E>
KeySpec choice(std::string section, std::string key, E Config::*member, std::vector<E> values, std::string doc) {
  KeySpec s{std::move(section), std::move(key), KeyType::kChoice, {}, -1e300, 1e300, std::move(doc), {}, {}, nullptr};
  for (E v : values) s.choices.emplace_back(choice_name(v));
  s.get = [member](const Config& c) -> Value { return std::string(choice_name(c.*member)); };
  s.set = [member, values](Config& c, const Value& v) {
    for (E e : values) {
      if (std::get<std::string>(v) == choice_name(e)) c.*member = e;
    }
  };
  return s;
}

KeySpec options(std::string section, std::string key, OptionInputs Config::*member, std::string doc) {
  return KeySpec{std::move(section), std::move(key), KeyType::kOptions, {}, 0, 0, std::move(doc), {}, {}, member};
}

}  // namespace

const std::vector<KeySpec>& keys() {
  using K = KeyType;
  static const std::vector<KeySpec> all = {
      scalar("dataset", "path", K::kString, &Config::dataset,
             "Preprocessed dataset directory (`marius-run preprocess --output`). Required by train and eval."),
      choice("model", "task", &Config::task, {TaskKind::kLinkPrediction, TaskKind::kNodeClassification},
             "What to train: `link_prediction` (edges, with a score function) or `node_classification` (labels; "
             "needs `encoder`, features or learned embeddings, and a dataset with labels and node splits)."),
      scalar("model", "score", K::kString, &Config::score,
             "Score-function plugin: a name (`marius-run plugins list`) or a manifest path."),
      options("model", "score_options", &Config::score_options,
              "Options of the score plugin, checked against its manifest (e.g. `{ norm = 1 }` for transe)."),
      scalar("model", "dim", K::kInt, &Config::dim, "Embedding dimension D.", 1, 65536),
      scalar("model", "inverse_relations", K::kBool, &Config::inverse_relations,
             "Learn separate parameters for each relation's inverse (as Marius and PyTorch-BigGraph do): heads "
             "are predicted by scoring (tail, inverse relation, ?), which lets symmetric scores such as DistMult "
             "model asymmetric relations. Ignored for plain graphs."),
      choice("model", "init", &Config::init, {InitKind::kUniform, InitKind::kNormal},
             "Initialisation of node embeddings: `uniform` draws U(-s, s), `normal` draws N(0, s^2). Relation "
             "parameters are initialised by the score plugin (DistMult and ComplEx: identity; TransE: zero)."),
      scalar("model", "init_scale", K::kFloat, &Config::init_scale, "The s of `init`.", 0),
      scalar("model", "encoder", K::kString, &Config::encoder,
             "GNN layer plugin (`graphsage`, `gcn`, `gat`, `rgcn`, or a manifest path) stacked `layers` times; "
             "empty: no encoder (shallow embeddings). See docs/gnn.md."),
      options("model", "encoder_options", &Config::encoder_options,
              "Options of every encoder layer, checked against the layer plugin's manifest (e.g. `{ dropout = 0.5 }`)."),
      options("model", "output_layer_options", &Config::output_layer_options,
              "Options of the last layer on top of `encoder_options` (e.g. `{ heads = 1, concat = false }` for GAT). "
              "The last layer's activation is `none` unless set here."),
      scalar("model", "layers", K::kInt, &Config::layers, "Encoder layers (hops).", 1, 16),
      scalar("model", "hidden_dim", K::kInt, &Config::hidden_dim, "Width of the hidden layers; 0: `dim`.", 0, 65536),
      scalar("model", "fanouts", K::kString, &Config::fanouts,
             "Neighbours sampled per hop, hop 1 (the batch's own neighbours) first: a count k (uniform without "
             "replacement), `all`, or `dropout:RATE`, as `\"15,10,5\"`, `[15, 10, 5]` or `10`; one entry is used for "
             "every hop."),
      choice("model", "direction", &Config::direction,
             {NeighborDirection::kIncoming, NeighborDirection::kOutgoing, NeighborDirection::kBoth},
             "Which neighbours a node aggregates: sources of its incoming edges, targets of its outgoing edges, or "
             "both (relational graphs: outgoing edges as inverse relation types)."),
      scalar("model", "normalize_features", K::kBool, &Config::normalize_features,
             "Divide each node's feature row by its sum of absolute values (PyG's NormalizeFeatures, the usual "
             "preprocessing of the citation graphs)."),
      choice("model", "node_input", &Config::node_input,
             {NodeInput::kAuto, NodeInput::kFeatures, NodeInput::kEmbeddings, NodeInput::kBoth},
             "What the first layer reads: the dataset's features, learned embeddings of width `dim` (sparse "
             "Adagrad), or both concatenated; auto: features when the dataset has them."),
      scalar("negatives", "sampler", K::kString, &Config::sampler,
             "Negative-sampler plugin: `uniform` (with a degree-weighted fraction) or `in_batch`, or a manifest path."),
      options("negatives", "sampler_options", &Config::sampler_options,
              "Options of the sampler plugin (e.g. `{ degree_fraction = 0.5 }` for uniform)."),
      scalar("negatives", "chunks", K::kInt, &Config::chunks,
             "Chunks per batch: the edges of a chunk share one set of negatives.", 1, kInt32Max),
      scalar("negatives", "per_chunk", K::kInt, &Config::per_chunk, "Negatives per chunk, for each corrupted side.", 1, kInt32Max),
      scalar("negatives", "filtered", K::kBool, &Config::filtered,
             "Give negatives that form a true training edge no weight (slower)."),
      scalar("negatives", "shared_sides", K::kBool, &Config::shared_negatives,
             "Draw one set of per_chunk negatives per chunk and use it for both corrupted sides (tails and heads) "
             "instead of one set per side (false). Every edge still meets per_chunk negatives on each side (the same "
             "arithmetic); sampling, gathering and updating touch half the rows, and with inverse relations both "
             "sides are scored in one call of twice the rows, which the BLAS runs faster (configuration R: 370k -> "
             "410k edges/s, same MRR)."),
      scalar("negatives", "anchor_negatives", K::kBool, &Config::anchor_negatives,
             "Also use the chunk's uncorrupted nodes as negatives (the heads when tails are corrupted, and the "
             "reverse), so every edge's own head is a negative for its tail. Symmetric scores (DistMult, ComplEx) "
             "otherwise learn to rank a node as its own partner, which ruins Hits@1 on graphs such as WN18RR. "
             "Adds batch_size / chunks negatives per chunk."),
      scalar("training", "epochs", K::kInt, &Config::epochs, "Passes over the training edges.", 0, kInt32Max),
      scalar("training", "batch_size", K::kInt, &Config::batch_size, "Edges per batch.", 1, kInt32Max),
      choice("training", "loss", &Config::loss, {LossKind::kSoftmax, LossKind::kRanking, LossKind::kLogistic},
             "`softmax`: cross-entropy of each positive against its chunk's negatives; `ranking`: margin ranking "
             "max(0, margin - pos + neg); `logistic`: softplus(-pos) + mean over negatives of softplus(neg)."),
      scalar("training", "margin", K::kFloat, &Config::margin, "Margin of the ranking loss.", 0),
      choice("training", "reduction", &Config::reduction, {Reduction::kSum, Reduction::kMean},
             "How per-edge losses combine in a batch: `sum` or `mean`."),
      choice("training", "regularization", &Config::regularization, {Regularization::kNone, Regularization::kL2, Regularization::kN3},
             "Penalty on the embeddings and relation parameters a batch uses: `none`, `l2` (sum of squares) or "
             "`n3` (sum of cubed absolute values, Lacroix et al. 2018)."),
      scalar("training", "regularization_weight", K::kFloat, &Config::regularization_weight,
             "Weight of the penalty.", 0),
      scalar("training", "threads", K::kInt, &Config::threads,
             "CPU threads for training. Pipelined: the default number of compute workers (each runs one BLAS "
             "thread). Sync: the threads of the kernels (ATen and BLAS) of the one batch in flight. More than the machine's "
             "hardware threads gets a warning and is capped at that number.", 1, 65536),
      scalar("training", "seed", K::kInt, &Config::seed, "Seed of every random choice: init, shuffling, negatives.", 0),
      scalar("training", "device", K::kString, &Config::device,
             "Where batches are computed and the node rows they train live: `cpu`, `cuda` or `cuda:N` (needs a "
             "LibTorch with CUDA; docs/gpu.md). With a CUDA device the model's tables stay in host memory and the "
             "device tier (`storage.device_capacity`) holds the partitions being trained."),
      choice("pipeline", "mode", &Config::pipeline_mode, {PipelineMode::kPipelined, PipelineMode::kSync},
             "`pipelined`: batches flow through load, compute and update stages, each with its own worker threads "
             "and bounded queues between them, up to `staleness` batches in flight. `sync`: one batch at a time, "
             "every stage on the main thread; bit-for-bit reproducible with `training.threads = 1`. See "
             "docs/pipeline.md."),
      scalar("pipeline", "staleness", K::kInt, &Config::staleness,
             "k: at most k batches in flight, from admission (before load) to the end of their update, so a batch "
             "reads node embeddings that miss at most k - 1 earlier batches' updates.",
             1, 1024),
      scalar("pipeline", "load_workers", K::kInt, &Config::load_workers,
             "Threads of the load stage (pick edges, sample negatives, gather node rows). 0: each compute worker "
             "loads its own batches (no hand-off between threads; see docs/pipeline.md for when that is faster).",
             0, 65536),
      scalar("pipeline", "compute_workers", K::kInt, &Config::compute_workers,
             "Threads of the compute stage (forward, loss, backward, relation updates); 0 means `training.threads`.",
             0, 65536),
      scalar("pipeline", "update_workers", K::kInt, &Config::update_workers,
             "Threads of the update stage (sparse Adagrad on the node rows a batch touched). 0: each compute "
             "worker applies its own batches' updates (then several threads write node rows, Hogwild).",
             0, 65536),
      scalar("pipeline", "queue_size", K::kInt, &Config::queue_size,
             "Capacity, in batches, of each queue between two stages.", 1, 1024),
      choice("pipeline", "dense_updates", &Config::dense_updates, {DenseUpdates::kSync, DenseUpdates::kAsync},
             "GNN layer parameters: `sync`, one batch's forward, backward and step at a time; `async`, compute "
             "workers run on copies taken when their batch starts and step the parameters when it ends, in the order "
             "the batches started, so a batch's weights are at most staleness - 1 updates old (MariusGNN's "
             "asynchronous pipeline)."),
      scalar("optimizer", "learning_rate", K::kFloat, &Config::learning_rate,
             "Learning rate of sparse Adagrad on node embeddings (only rows a batch touched are updated).", 0),
      choice("optimizer", "node_optimizer", &Config::node_optimizer, {NodeOptimizerKind::kAdagrad, NodeOptimizerKind::kRowAdagrad},
             "Sparse optimizer of node embeddings in link prediction: `adagrad` (one accumulator per element) or `row_adagrad` (one per "
             "row, the mean of the squared gradient over the row, as PyTorch-BigGraph's RowAdagrad; kept in every "
             "element of the row's state)."),
      choice("optimizer", "relation_optimizer", &Config::relation_optimizer, {RelationOptimizer::kAdagrad, RelationOptimizer::kAdam},
             "Optimizer of relation parameters: `adagrad` or `adam` (both sparse over the relations a batch uses)."),
      scalar("optimizer", "relation_learning_rate", K::kFloat, &Config::relation_learning_rate,
             "Learning rate of relation parameters; a negative value means `learning_rate`."),
      choice("optimizer", "dense", &Config::dense_optimizer, {DenseOptimizerKind::kAdam, DenseOptimizerKind::kAdamW, DenseOptimizerKind::kSgd},
             "Optimizer of the encoder's layer parameters (and the classifier)."),
      scalar("optimizer", "dense_learning_rate", K::kFloat, &Config::dense_learning_rate,
             "Learning rate of `dense`.", 0, 1e6),
      scalar("optimizer", "weight_decay", K::kFloat, &Config::weight_decay,
             "Weight decay of `dense` (adam, sgd: an L2 term in the gradient; adamw: decoupled).", 0, 1e6),
      scalar("optimizer", "adagrad_eps", K::kFloat, &Config::adagrad_eps, "Adagrad's epsilon.", 0),
      scalar("optimizer", "adam_beta1", K::kFloat, &Config::adam_beta1, "Adam's beta1.", 0, 1),
      scalar("optimizer", "adam_beta2", K::kFloat, &Config::adam_beta2, "Adam's beta2.", 0, 1),
      scalar("optimizer", "adam_eps", K::kFloat, &Config::adam_eps, "Adam's epsilon.", 0),
      choice("evaluation", "protocol", &Config::eval_protocol,
             {EvalProtocol::kFiltered, EvalProtocol::kSampled, EvalProtocol::kGiven, EvalProtocol::kClassification,
              EvalProtocol::kNone},
             "`filtered`: rank every test edge against all nodes, both directions, other true edges removed; "
             "`sampled`: against `negatives` uniform plus `negatives` degree-weighted nodes (large graphs); "
             "`given`: against the negatives the dataset ships (`preprocess --valid-negatives/--test-negatives`), "
             "as OGB's evaluators: a shared set gives Hits@K of each positive against all negatives, per-edge "
             "candidates give MRR and Hits@K; `classification`: triple classification against the shipped false "
             "triples (shared layout), a score threshold per relation chosen on the validation split, accuracy and "
             "F1; `none`."),
      scalar("evaluation", "hits_at", K::kString, &Config::eval_hits_at,
             "The K of Hits@K that the `given` protocol reports, as `[10, 20, 50, 100]` or `\"10,20\"` (ogbl-ddi "
             "is judged at 20, ogbl-collab at 50). The other protocols report Hits@1, 3 and 10."),
      scalar("evaluation", "every_epoch", K::kBool, &Config::eval_every_epoch,
             "Evaluate on the validation split after each epoch (the test split is evaluated at the end)."),
      scalar("evaluation", "negatives", K::kInt, &Config::eval_negatives, "n of the sampled protocol.", 1, kInt32Max),
      scalar("evaluation", "batch_size", K::kInt, &Config::eval_batch_size, "Edges scored at once in evaluation.", 1, kInt32Max),
      choice("evaluation", "inference", &Config::inference, {InferenceMode::kFull, InferenceMode::kSampled},
             "GNN evaluation: `full` computes each layer once for every node over whole neighbourhoods (exact); "
             "`sampled` uses the training fanouts."),
      scalar("storage", "partitions", K::kInt, &Config::partitions,
             "The number of node partitions p the dataset must have (`marius-run preprocess --partitions p`); an "
             "error names both counts when it differs. 0 accepts any dataset. `bench/run-lp` preprocesses with it.",
             0, 32768),
      choice("storage", "partitioner", &Config::partitioner,
             {PartitionerChoice::kAny, PartitionerChoice::kRandom, PartitionerChoice::kMetis},
             "How the dataset's nodes must have been partitioned (`marius-run preprocess --partitioner`; "
             "`bench/run-lp` and `bench/run-nc` preprocess with it): `random` or `metis` (neighbours share a "
             "partition); an error names both when the dataset differs. `any` accepts either."),
      scalar("storage", "buffer_capacity", K::kInt, &Config::buffer_capacity,
             "Out-of-core training of a dataset preprocessed with `--partitions p`: the number c of node partitions "
             "(embeddings and Adagrad state) kept in memory; the rest stay in the partition files. 0, or c >= p, "
             "trains everything in memory. Needs c >= 2.",
             0, 32768),
      scalar("storage", "buffer_bytes", K::kInt, &Config::buffer_bytes,
             "When > 0, c is the number of partitions (plus the prefetch slot) that fit in this many bytes; "
             "overrides buffer_capacity.",
             0),
      scalar("storage", "prefetch", K::kBool, &Config::prefetch,
             "Keep one more partition slot so the partition the next buffer state admits loads while the current "
             "state trains (and evicted ones are written back in the background). Off: swaps stall training."),
      scalar("storage", "balance_negatives", K::kBool, &Config::balance_negatives,
             "Negatives come from the partitions resident in the current buffer state. On: each partition's share "
             "of the draws is scaled by how long it is resident (on sub-ranges rotated from state to state), so "
             "over an epoch every node is drawn about equally often, as in memory. Off: uniform over the resident "
             "rows, which favours the partitions an ordering keeps resident longest (BETA's fixed group)."),
      scalar("storage", "backend", K::kString, &Config::storage_backend,
             "Storage-backend plugin for the partition files: `posix`, `mmap`, `io_uring`, `memory`, `fault`, or a "
             "manifest path."),
      options("storage", "backend_options", &Config::storage_backend_options,
              "Options of the storage backend (e.g. `{ direct = true }` for posix)."),
      scalar("storage", "ordering", K::kString, &Config::ordering,
             "Ordering-policy plugin that sequences the p x p edge buckets: `beta`, `hilbert`, `sequential`, "
             "`random`, `comet`, or a manifest path."),
      options("storage", "ordering_options", &Config::ordering_options, "Options of the ordering plugin."),
      scalar("storage", "dir", K::kString, &Config::storage_dir,
             "Directory of the partition files (`nodes.0.bin`, `nodes.1.bin`); empty means `output.dir/partitions`."),
      scalar("storage", "generations", K::kInt, &Config::generations,
             "2: an epoch writes the partitions into the other of two files, so a crash at any moment (even SIGKILL "
             "during a write-back) leaves the last checkpoint's partitions intact. 1: one file updated in place, "
             "half the disk, but a crash during an epoch loses the model (resume refuses files that fail their "
             "checksums).",
             1, 2),
      scalar("storage", "device_capacity", K::kInt, &Config::device_capacity,
             "The device tier above host memory: the number d of node partitions (embeddings and Adagrad state) on "
             "`training.device`, admitted from and written back to the tables below (the model's in memory, the "
             "host buffer's out of core) along the ordering's plan within each host buffer state. 0: with CUDA "
             "every partition of the tier below; with the CPU no device tier. d > 0 with the CPU keeps the tier "
             "in a second host-memory slab: the three-tier logic without a GPU. Needs d >= 2 when d is less than "
             "the partitions below.",
             0, 32768),
      scalar("storage", "device_bytes", K::kInt, &Config::device_bytes,
             "When > 0, d is the number of partitions that fit in this many bytes of the device (one slot of them "
             "the prefetch slot, unless all the partitions below fit); overrides device_capacity.",
             0),
      scalar("distributed", "timeout", K::kFloat, &Config::dist_timeout,
             "Seconds a worker of a distributed run (docs/distributed.md) waits for the others: to join, and at each "
             "collective; in link prediction, for a worker it waits on that sends no heartbeat (one that works long "
             "is waited for). A worker that dies or stops makes the others stop with an error after at most this "
             "long.",
             0.1, 86400),
      scalar("distributed", "relation_sync", K::kInt, &Config::dist_relation_sync,
             "Distributed link prediction: a worker adds its relation parameters' changes to the shared ones, and "
             "takes theirs, every k batches and after every buffer state it trains; its relations miss at most the other workers' "
             "updates of their last k batches (and the batches in flight in their pipelines).",
             1, 1000000),
      scalar("distributed", "staleness", K::kInt, &Config::dist_staleness,
             "Distributed GNN training: 0, every step applies the average of all workers' gradients of that step "
             "(synchronous data parallelism); s > 0, a step applies its own gradient and the other workers' of s "
             "steps earlier while this step's travel (bounded-asynchronous, as Dorylus): a worker's weights miss at "
             "most the others' last s updates.",
             0, 64),
      scalar("output", "dir", K::kString, &Config::output,
             "Directory for checkpoints (`checkpoint.bin`), metrics (`metrics.jsonl`) and exports."),
      scalar("output", "checkpoint_every_epoch", K::kBool, &Config::checkpoint_every_epoch,
             "Write a checkpoint after each epoch (atomically: temporary file, flush, rename)."),
  };
  return all;
}

}  // namespace config_schema
}  // namespace marius
