#include "core/config/config.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <toml++/toml.h>

#include "core/config/value.h"
#include "core/error.h"

namespace marius {

namespace {

// "cpu", "cuda" or "cuda:N" (N a device index).
bool is_device_name(const std::string& name) {
  if (name == "cpu" || name == "cuda") return true;
  if (name.rfind("cuda:", 0) != 0 || name.size() == 5 || name.size() > 8) return false;
  return std::all_of(name.begin() + 5, name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

enum class KeyType { kInt, kFloat, kBool, kString, kChoice, kOptions };

// One key of the schema: where it lives, what it accepts, how it reads and
// writes the Config.
struct KeySpec {
  std::string section;
  std::string key;
  KeyType type;
  std::vector<std::string> choices;  // kChoice
  double min = -1e300;               // kInt, kFloat
  std::string doc;
  std::function<Value(const Config&)> get;            // not for kOptions
  std::function<void(Config&, const Value&)> set;     // not for kOptions
  OptionInputs Config::*options = nullptr;            // kOptions
  std::string path() const { return section + "." + key; }
};

template <class T>
KeySpec scalar(std::string section, std::string key, KeyType type, T Config::*member, std::string doc,
               double min = -1e300, std::vector<std::string> choices = {}) {
  KeySpec s{std::move(section), std::move(key), type, std::move(choices), min, std::move(doc), {}, {}, nullptr};
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

KeySpec options(std::string section, std::string key, OptionInputs Config::*member, std::string doc) {
  KeySpec s{std::move(section), std::move(key), KeyType::kOptions, {}, 0, std::move(doc), {}, {}, member};
  return s;
}

const std::vector<KeySpec>& schema() {
  using K = KeyType;
  static const std::vector<KeySpec> keys = {
      scalar("dataset", "path", K::kString, &Config::dataset,
             "Preprocessed dataset directory (`marius-run preprocess --output`). Required by train and eval."),
      scalar("model", "score", K::kString, &Config::score,
             "Score-function plugin: a name (`marius-run plugins list`) or a manifest path."),
      options("model", "score_options", &Config::score_options,
              "Options of the score plugin, checked against its manifest (e.g. `{ norm = 1 }` for transe)."),
      scalar("model", "dim", K::kInt, &Config::dim, "Embedding dimension D.", 1),
      scalar("model", "inverse_relations", K::kBool, &Config::inverse_relations,
             "Learn separate parameters for each relation's inverse (as Marius and PyTorch-BigGraph do): heads "
             "are predicted by scoring (tail, inverse relation, ?), which lets symmetric scores such as DistMult "
             "model asymmetric relations. Ignored for plain graphs."),
      scalar("model", "init", K::kChoice, &Config::init,
             "Initialisation of node embeddings: `uniform` draws U(-s, s), `normal` draws N(0, s^2). Relation "
             "parameters are initialised by the score plugin (DistMult and ComplEx: identity; TransE: zero).",
             -1e300, {"uniform", "normal"}),
      scalar("model", "init_scale", K::kFloat, &Config::init_scale, "The s of `init`.", 0),
      scalar("negatives", "sampler", K::kString, &Config::sampler,
             "Negative-sampler plugin: `uniform` (with a degree-weighted fraction) or `in_batch`, or a manifest path."),
      options("negatives", "sampler_options", &Config::sampler_options,
              "Options of the sampler plugin (e.g. `{ degree_fraction = 0.5 }` for uniform)."),
      scalar("negatives", "chunks", K::kInt, &Config::chunks,
             "Chunks per batch: the edges of a chunk share one set of negatives.", 1),
      scalar("negatives", "per_chunk", K::kInt, &Config::per_chunk, "Negatives per chunk, for each corrupted side.", 1),
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
      scalar("training", "epochs", K::kInt, &Config::epochs, "Passes over the training edges.", 0),
      scalar("training", "batch_size", K::kInt, &Config::batch_size, "Edges per batch.", 1),
      scalar("training", "loss", K::kChoice, &Config::loss,
             "`softmax`: cross-entropy of each positive against its chunk's negatives; `ranking`: margin ranking "
             "max(0, margin - pos + neg); `logistic`: softplus(-pos) + mean over negatives of softplus(neg).",
             -1e300, {"softmax", "ranking", "logistic"}),
      scalar("training", "margin", K::kFloat, &Config::margin, "Margin of the ranking loss.", 0),
      scalar("training", "reduction", K::kChoice, &Config::reduction,
             "How per-edge losses combine in a batch: `sum` or `mean`.", -1e300, {"sum", "mean"}),
      scalar("training", "regularization", K::kChoice, &Config::regularization,
             "Penalty on the embeddings and relation parameters a batch uses: `none`, `l2` (sum of squares) or "
             "`n3` (sum of cubed absolute values, Lacroix et al. 2018).",
             -1e300, {"none", "l2", "n3"}),
      scalar("training", "regularization_weight", K::kFloat, &Config::regularization_weight,
             "Weight of the penalty.", 0),
      scalar("training", "threads", K::kInt, &Config::threads,
             "CPU threads for training. Pipelined: the default number of compute workers (each runs one BLAS "
             "thread). Sync: the threads of the kernels (ATen and BLAS) of the one batch in flight.", 1),
      scalar("training", "seed", K::kInt, &Config::seed, "Seed of every random choice: init, shuffling, negatives.", 0),
      scalar("training", "device", K::kString, &Config::device,
             "Where batches are computed and the node rows they train live: `cpu`, `cuda` or `cuda:N` (needs a "
             "LibTorch with CUDA; docs/gpu.md). With a CUDA device the model's tables stay in host memory and the "
             "device tier (`storage.device_capacity`) holds the partitions being trained."),
      scalar("pipeline", "mode", K::kChoice, &Config::pipeline_mode,
             "`pipelined`: batches flow through load, compute and update stages, each with its own worker threads "
             "and bounded queues between them, up to `staleness` batches in flight. `sync`: one batch at a time, "
             "every stage on the main thread; bit-for-bit reproducible with `training.threads = 1`. See "
             "docs/pipeline.md.",
             -1e300, {"pipelined", "sync"}),
      scalar("pipeline", "staleness", K::kInt, &Config::staleness,
             "k: at most k batches in flight, from admission (before load) to the end of their update, so a batch "
             "reads node embeddings that miss at most k - 1 earlier batches' updates.",
             1),
      scalar("pipeline", "load_workers", K::kInt, &Config::load_workers,
             "Threads of the load stage (pick edges, sample negatives, gather node rows). 0: each compute worker "
             "loads its own batches (no hand-off between threads; see docs/pipeline.md for when that is faster).",
             0),
      scalar("pipeline", "compute_workers", K::kInt, &Config::compute_workers,
             "Threads of the compute stage (forward, loss, backward, relation updates); 0 means `training.threads`.",
             0),
      scalar("pipeline", "update_workers", K::kInt, &Config::update_workers,
             "Threads of the update stage (sparse Adagrad on the node rows a batch touched). 0: each compute "
             "worker applies its own batches' updates (then several threads write node rows, Hogwild).",
             0),
      scalar("pipeline", "queue_size", K::kInt, &Config::queue_size,
             "Capacity, in batches, of each queue between two stages.", 1),
      scalar("optimizer", "learning_rate", K::kFloat, &Config::learning_rate,
             "Learning rate of sparse Adagrad on node embeddings (only rows a batch touched are updated).", 0),
      scalar("optimizer", "relation_optimizer", K::kChoice, &Config::relation_optimizer,
             "Optimizer of relation parameters: `adagrad` or `adam` (both sparse over the relations a batch uses).",
             -1e300, {"adagrad", "adam"}),
      scalar("optimizer", "relation_learning_rate", K::kFloat, &Config::relation_learning_rate,
             "Learning rate of relation parameters; a negative value means `learning_rate`."),
      scalar("optimizer", "adagrad_eps", K::kFloat, &Config::adagrad_eps, "Adagrad's epsilon.", 0),
      scalar("optimizer", "adam_beta1", K::kFloat, &Config::adam_beta1, "Adam's beta1.", 0),
      scalar("optimizer", "adam_beta2", K::kFloat, &Config::adam_beta2, "Adam's beta2.", 0),
      scalar("optimizer", "adam_eps", K::kFloat, &Config::adam_eps, "Adam's epsilon.", 0),
      scalar("evaluation", "protocol", K::kChoice, &Config::eval_protocol,
             "`filtered`: rank every test edge against all nodes, both directions, other true edges removed; "
             "`sampled`: against `negatives` uniform plus `negatives` degree-weighted nodes (large graphs); "
             "`none`.",
             -1e300, {"filtered", "sampled", "none"}),
      scalar("evaluation", "every_epoch", K::kBool, &Config::eval_every_epoch,
             "Evaluate on the validation split after each epoch (the test split is evaluated at the end)."),
      scalar("evaluation", "negatives", K::kInt, &Config::eval_negatives, "n of the sampled protocol.", 1),
      scalar("evaluation", "batch_size", K::kInt, &Config::eval_batch_size, "Edges scored at once in evaluation.", 1),
      scalar("storage", "partitions", K::kInt, &Config::partitions,
             "The number of node partitions p the dataset must have (`marius-run preprocess --partitions p`); an "
             "error names both counts when it differs. 0 accepts any dataset. `bench/run-lp` preprocesses with it.",
             0),
      scalar("storage", "buffer_capacity", K::kInt, &Config::buffer_capacity,
             "Out-of-core training of a dataset preprocessed with `--partitions p`: the number c of node partitions "
             "(embeddings and Adagrad state) kept in memory; the rest stay in the partition files. 0, or c >= p, "
             "trains everything in memory. Needs c >= 2.",
             0),
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
             "`random`, or a manifest path."),
      options("storage", "ordering_options", &Config::ordering_options, "Options of the ordering plugin."),
      scalar("storage", "dir", K::kString, &Config::storage_dir,
             "Directory of the partition files (`nodes.0.bin`, `nodes.1.bin`); empty means `output.dir/partitions`."),
      scalar("storage", "generations", K::kInt, &Config::generations,
             "2: an epoch writes the partitions into the other of two files, so a crash at any moment (even SIGKILL "
             "during a write-back) leaves the last checkpoint's partitions intact. 1: one file updated in place, "
             "half the disk, but a crash during an epoch loses the model (resume refuses files that fail their "
             "checksums).",
             1),
      scalar("storage", "device_capacity", K::kInt, &Config::device_capacity,
             "The device tier above host memory: the number d of node partitions (embeddings and Adagrad state) on "
             "`training.device`, admitted from and written back to the tables below (the model's in memory, the "
             "host buffer's out of core) along the ordering's plan within each host buffer state. 0: with CUDA "
             "every partition of the tier below; with the CPU no device tier. d > 0 with the CPU keeps the tier "
             "in a second host-memory slab: the three-tier logic without a GPU. Needs d >= 2 when d is less than "
             "the partitions below.",
             0),
      scalar("storage", "device_bytes", K::kInt, &Config::device_bytes,
             "When > 0, d is the number of partitions that fit in this many bytes of the device (one slot of them "
             "the prefetch slot, unless all the partitions below fit); overrides device_capacity.",
             0),
      scalar("output", "dir", K::kString, &Config::output,
             "Directory for checkpoints (`checkpoint.bin`), metrics (`metrics.jsonl`) and exports."),
      scalar("output", "checkpoint_every_epoch", K::kBool, &Config::checkpoint_every_epoch,
             "Write a checkpoint after each epoch (atomically: temporary file, flush, rename)."),
  };
  return keys;
}

const char* type_name(KeyType t) {
  switch (t) {
    case KeyType::kInt: return "integer";
    case KeyType::kFloat: return "float";
    case KeyType::kBool: return "boolean";
    case KeyType::kString: return "string";
    case KeyType::kChoice: return "string";
    case KeyType::kOptions: return "table";
  }
  return "?";
}

std::string where(const std::string& source, const toml::node& node) {
  uint32_t line = node.source().begin.line;
  return line == 0 ? "--set" : fmt::format("config {}:{}", source, line);
}

// Puts `value` at the dotted `path` of `root`, creating tables on the way.
void apply_override(toml::table& root, const std::string& assignment) {
  size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "--set {}: expected key=value", assignment);
  std::string path = assignment.substr(0, eq);
  Value value = parse_value_text(assignment.substr(eq + 1));
  toml::table* table = &root;
  size_t start = 0;
  for (;;) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) fail(MARIUS_ERR_INVALID_ARGUMENT, "--set {}: empty key part", path);
    if (dot == std::string::npos) {
      std::visit([&](const auto& v) { table->insert_or_assign(part, v); }, value);
      return;
    }
    toml::node* next = table->get(part);
    if (next == nullptr) {
      table->insert_or_assign(part, toml::table{});
      next = table->get(part);
    }
    if (!next->is_table()) fail(MARIUS_ERR_INVALID_ARGUMENT, "--set {}: '{}' is not a table", path, part);
    table = next->as_table();
    start = dot + 1;
  }
}

Config from_table(const toml::table& root, const std::string& source) {
  Config config;
  std::map<std::string, const KeySpec*> by_path;
  std::map<std::string, bool> sections;
  for (const KeySpec& s : schema()) {
    by_path[s.path()] = &s;
    sections[s.section] = true;
  }
  for (const auto& [section_key, section_node] : root) {
    std::string section(section_key.str());
    if (sections.count(section) == 0) {
      std::string known;
      for (const auto& [name, unused] : sections) known += (known.empty() ? "" : ", ") + name;
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: unknown section or key '{}' (sections: {})", where(source, section_node),
           section, known);
    }
    if (!section_node.is_table()) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: '{}' must be a table [{}]", where(source, section_node), section, section);
    }
    for (const auto& [key_key, node] : *section_node.as_table()) {
      std::string path = section + "." + std::string(key_key.str());
      auto it = by_path.find(path);
      if (it == by_path.end()) {
        std::string known;
        for (const KeySpec& s : schema()) {
          if (s.section == section) known += (known.empty() ? "" : ", ") + s.key;
        }
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: unknown key '{}' (keys of [{}]: {})", where(source, node), path, section,
             known);
      }
      const KeySpec& spec = *it->second;
      if (spec.type == KeyType::kOptions) {
        if (!node.is_table()) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} must be a table", where(source, node), path);
        OptionInputs& out = config.*spec.options;
        for (const auto& [option, option_node] : *node.as_table()) {
          Value v;
          if (!value_from_node(option_node, v)) {
            fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {}.{} must be a scalar", where(source, option_node), path,
                 option.str());
          }
          out[std::string(option.str())] = v;
        }
        continue;
      }
      Value v;
      bool ok = value_from_node(node, v);
      bool type_ok = ok && ((spec.type == KeyType::kInt && std::holds_alternative<int64_t>(v)) ||
                            (spec.type == KeyType::kFloat &&
                             (std::holds_alternative<double>(v) || std::holds_alternative<int64_t>(v))) ||
                            (spec.type == KeyType::kBool && std::holds_alternative<bool>(v)) ||
                            ((spec.type == KeyType::kString || spec.type == KeyType::kChoice) &&
                             std::holds_alternative<std::string>(v)));
      if (!type_ok) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} expects {}, got {}", where(source, node), path, type_name(spec.type),
             ok ? value_type_name(v) + std::string(" ") + value_to_string(v) : std::string("an array, table or date"));
      }
      if (spec.type == KeyType::kInt || spec.type == KeyType::kFloat) {
        double d = std::holds_alternative<int64_t>(v) ? static_cast<double>(std::get<int64_t>(v)) : std::get<double>(v);
        if (d < spec.min) {
          fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} must be at least {}, got {}", where(source, node), path, spec.min,
               value_to_string(v));
        }
      }
      if (spec.type == KeyType::kChoice) {
        const std::string& s = std::get<std::string>(v);
        if (std::find(spec.choices.begin(), spec.choices.end(), s) == spec.choices.end()) {
          std::string list;
          for (const auto& c : spec.choices) list += (list.empty() ? "" : ", ") + c;
          fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} must be one of {}, got \"{}\"", where(source, node), path, list, s);
        }
      }
      if (path == "training.device" && !is_device_name(std::get<std::string>(v))) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} must be \"cpu\", \"cuda\" or \"cuda:N\", got \"{}\"",
             where(source, node), path, std::get<std::string>(v));
      }
      spec.set(config, v);
    }
  }
  return config;
}

}  // namespace

Config Config::parse(const std::string& text, const std::string& source, const std::vector<std::string>& overrides) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "config {}:{}:{}: invalid TOML: {}", source, e.source().begin.line,
         e.source().begin.column, e.description());
  }
  for (const std::string& o : overrides) apply_override(root, o);
  return from_table(root, source);
}

Config Config::load(const std::filesystem::path& file, const std::vector<std::string>& overrides) {
  if (file.empty()) return parse("", "(defaults)", overrides);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) fail(MARIUS_ERR_NOT_FOUND, "config {}: no such file", file.string());
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), file.string(), overrides);
}

std::string Config::to_toml() const {
  std::string out;
  std::string section;
  for (const KeySpec& s : schema()) {
    if (s.section != section) {
      section = s.section;
      out += (out.empty() ? "[" : "\n[") + section + "]\n";
    }
    if (s.type == KeyType::kOptions) {
      std::string items;
      for (const auto& [k, v] : this->*s.options) items += (items.empty() ? "" : ", ") + k + " = " + value_to_string(v);
      out += s.key + " = { " + items + " }\n";
    } else {
      Value v = s.get(*this);
      // Floats keep a decimal point so they read back as floats.
      std::string text = value_to_string(v);
      if (std::holds_alternative<double>(v) && text.find_first_of(".eEn") == std::string::npos) text += ".0";
      out += s.key + " = " + text + "\n";
    }
  }
  return out;
}

std::string config_markdown() {
  Config defaults;
  std::string out;
  std::string section;
  for (const KeySpec& s : schema()) {
    if (s.section != section) {
      section = s.section;
      out += "\n### [" + section + "]\n\n| key | type | default | meaning |\n|---|---|---|---|\n";
    }
    std::string type = s.type == KeyType::kChoice ? "one of " + fmt::format("{}", fmt::join(s.choices, ", "))
                                                  : type_name(s.type);
    std::string def = s.type == KeyType::kOptions ? "{}" : value_to_string(s.get(defaults));
    out += fmt::format("| `{}` | {} | `{}` | {} |\n", s.key, type, def, s.doc);
  }
  return out;
}

}  // namespace marius
