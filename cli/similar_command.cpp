#include "cli/similar_command.h"

#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/logging.h"
#include "core/model/ivf_index.h"
#include "core/model/nearest_nodes.h"
#include "core/run/session.h"
#include "marius/abi/score.h"

namespace fs = std::filesystem;

namespace marius::cli {

namespace {

struct SimilarArgs {
  std::string config;
  std::vector<std::string> nodes;
  std::string nodes_file;
  int64_t k = 10;
  std::string metric = "cosine";
  std::string index = "auto";
  int64_t nlist = 0;
  int64_t nprobe = 0;
  double target_recall = 0.95;
  bool recall = false;
};

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// `auto` uses the IVF index for tables of at least this many rows (when FAISS is
// built in): exact search there reads the whole table for every batch of queries.
constexpr int64_t kIvfFromRows = 1000000;
// nprobe is calibrated for recall@10 on this many sample nodes.
constexpr int64_t kCalibrationK = 10;
constexpr int64_t kCalibrationSample = 200;

// The cached index's file: it names the metric, nlist and the checkpoint it
// was built from (epochs, size, modification time), so a newer checkpoint
// builds a new one.
fs::path index_file(const Session& session, const std::string& metric, int64_t nlist) {
  struct stat st {};
  const std::string checkpoint = session.checkpoint_path().string();
  if (::stat(checkpoint.c_str(), &st) != 0) fail(MARIUS_ERR_NOT_FOUND, "similar: no checkpoint {}", checkpoint);
  const long long mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  return fs::path(session.config().output) / "index" /
         fmt::format("ivf-{}-nlist{}-epoch{}-{}-{}.faiss", metric, nlist, session.epochs_done(),
                     static_cast<long long>(st.st_size), mtime_ns);
}

// A ready index and the nprobe to search it with.
struct ReadyIndex {
  IvfIndex index;
  int64_t nprobe;
  double calibrated_recall;  // on the calibration sample; -1 when nprobe was given
};

// The IVF index of the session's node rows: read from output.dir/index/ when
// one was built from this checkpoint, else built and saved there (older ones of
// the same metric removed). Unless --nprobe is given, nprobe is the smallest
// count that reaches --target-recall on a sample against exact search
// (IvfIndex::calibrate), kept beside the index in a .json file.
ReadyIndex ivf_index(const Session& session, const NodeRows& rows, const SimilarArgs& a, uint32_t comparator) {
  int64_t nlist = a.nlist;
  if (nlist == 0) nlist = std::max<int64_t>(1, std::llround(std::sqrt(static_cast<double>(rows.num_nodes()))));
  const fs::path file = index_file(session, a.metric, nlist);
  const fs::path sidecar = fs::path(file.string() + ".json");
  const uint64_t seed = static_cast<uint64_t>(session.config().seed);
  std::error_code ec;
  std::optional<IvfIndex> index;
  if (fs::exists(file, ec)) {
    auto start = Clock::now();
    index = IvfIndex::load(file, comparator);
    logger().info("similar: read the IVF index {} ({} rows, {} lists) in {:.2f} s", file.string(), index->size(),
                  index->nlist(), since(start));
  } else {
    auto start = Clock::now();
    index = IvfIndex::build(rows, comparator, IvfOptions{nlist, seed});
    const double built = since(start);
    for (const auto& entry : fs::directory_iterator(file.parent_path(), ec)) {  // stale indexes of this metric
      const std::string name = entry.path().filename().string();
      if (name.rfind("ivf-" + a.metric + "-", 0) == 0) fs::remove(entry.path(), ec);
    }
    index->save(file);
    logger().info("similar: built the IVF index of {} rows in {} lists in {:.2f} s; saved as {}", index->size(),
                  index->nlist(), built, file.string());
  }
  if (a.nprobe > 0) {
    const int64_t nprobe = std::min(a.nprobe, index->nlist());
    return {std::move(*index), nprobe, -1};
  }
  // The calibration for this target, when an earlier run left it.
  if (std::ifstream in{sidecar}) {
    nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.value("target", -1.0) == a.target_recall && j.value("k", int64_t{0}) == kCalibrationK &&
        j.value("nprobe", int64_t{0}) >= 1) {
      const int64_t nprobe = std::min(j["nprobe"].get<int64_t>(), index->nlist());
      return {std::move(*index), nprobe, j.value("recall", 0.0)};
    }
  }
  auto start = Clock::now();
  const IvfIndex::Calibration c = index->calibrate(rows, comparator, kCalibrationK, a.target_recall, kCalibrationSample, seed);
  logger().info("similar: {} of {} lists reach recall@{} {:.3f} (target {}) on {} sample nodes ({:.2f} s)", c.nprobe,
                index->nlist(), kCalibrationK, c.recall, a.target_recall, kCalibrationSample, since(start));
  nlohmann::json j = {{"target", a.target_recall}, {"k", kCalibrationK}, {"sample", kCalibrationSample},
                      {"nprobe", c.nprobe}, {"recall", c.recall}};
  const fs::path temp = fs::path(sidecar.string() + ".tmp");
  {
    std::ofstream out(temp);
    out << j.dump() << "\n";
    if (!out.flush()) fail(MARIUS_ERR_IO, "{}: cannot write", temp.string());
  }
  fs::rename(temp, sidecar, ec);
  if (ec) fail(MARIUS_ERR_IO, "{}: cannot rename to {}: {}", temp.string(), sidecar.string(), ec.message());
  return {std::move(*index), c.nprobe, c.recall};
}

int similar_command(const GlobalOptions& global, const SimilarArgs& a) {
  const Config config = Config::load(a.config, global.overrides);
  if (config.task == TaskKind::kNodeClassification) {
    fail(MARIUS_ERR_UNSUPPORTED, "similar: searches the node embeddings of link prediction; {} trains node "
         "classification (export its representations with the C or Python API instead)", a.config);
  }
  const uint32_t comparator = similarity_metric(a.metric);
  std::vector<std::string> wanted = a.nodes;
  if (!a.nodes_file.empty()) {
    std::ifstream in(a.nodes_file);
    if (!in) fail(MARIUS_ERR_NOT_FOUND, "--nodes {}: cannot read", a.nodes_file);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty() && line[0] != '#') wanted.push_back(line);
    }
  }
  if (wanted.empty()) fail(MARIUS_ERR_INVALID_ARGUMENT, "similar: give --node ID (repeatable) or --nodes FILE");
  Session session(config, global.plugin_paths);
  session.initialize(/*resume=*/true);
  const std::vector<std::string> names = session.dataset().node_names();
  std::unordered_map<std::string, int64_t> id_of;
  id_of.reserve(names.size());
  for (size_t i = 0; i < names.size(); ++i) id_of.emplace(names[i], static_cast<int64_t>(i));
  std::vector<int64_t> queries;
  for (const std::string& name : wanted) {
    auto it = id_of.find(name);
    if (it == id_of.end()) fail(MARIUS_ERR_NOT_FOUND, "similar: node '{}' is not in dataset {}", name, config.dataset);
    queries.push_back(it->second);
  }
  const Session::ScoredTables scored = session.scored_tables();  // with an encoder: its output of every node
  const NodeRows& rows = *scored.rows;
  const bool ivf = a.index == "ivf" || (a.index == "auto" && have_faiss() && rows.num_nodes() >= kIvfFromRows);
  if (a.recall && a.index != "ivf") {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "similar: --recall compares the IVF index with exact search: add --index ivf");
  }

  std::vector<std::vector<NearNode>> found;
  std::string how = "exact search";
  std::optional<ReadyIndex> ready;
  if (ivf) {
    ready.emplace(ivf_index(session, rows, a, comparator));
    // `auto` keeps the index only when it probes few lists: scanning a quarter of
    // the table list by list is no faster than exact search's matrix products.
    if (a.index == "auto" && a.nprobe == 0 && 4 * ready->nprobe > ready->index.nlist()) {
      logger().info("similar: this table needs {} of {} lists for recall@{} {} (its neighbourhoods are not "
                    "clustered): exact search is as fast, so auto uses it", ready->nprobe, ready->index.nlist(),
                    kCalibrationK, a.target_recall);
      ready.reset();
    }
  }
  if (ready) {
    const IvfIndex& index = ready->index;
    const int64_t nprobe = ready->nprobe;
    auto start = Clock::now();
    found = index.search(rows.gather(at::tensor(queries, at::kLong)), queries, a.k, nprobe);
    const double ivf_seconds = since(start);
    how = fmt::format("FAISS IVF, {} of {} lists probed, {:.3f} s", nprobe, index.nlist(), ivf_seconds);
    if (a.recall) {
      start = Clock::now();
      const std::vector<std::vector<NearNode>> exact = nearest_nodes(rows, queries, a.k, comparator);
      const double exact_seconds = since(start);
      const double recall = recall_at_k(found, exact);
      fmt::print(stderr, "recall@{} of the IVF index against exact search: {:.4f} over {} queries (exact search "
                 "{:.3f} s)\n", a.k, recall, queries.size(), exact_seconds);
      const nlohmann::ordered_json j = {{"recall_at_k", recall}, {"k", a.k}, {"queries", queries.size()},
                                        {"rows", rows.num_nodes()}, {"nlist", index.nlist()}, {"nprobe", nprobe},
                                        {"calibrated_recall", ready->calibrated_recall}, {"ivf_seconds", ivf_seconds},
                                        {"exact_seconds", exact_seconds}};
      fmt::print("{}\n", j.dump());
      return 0;
    }
  } else {
    auto start = Clock::now();
    found = nearest_nodes(rows, queries, a.k, comparator);
    how = fmt::format("exact search, {:.3f} s", since(start));
  }
  const bool many = queries.size() > 1;
  fmt::print("{}rank\tnode\t{}\n", many ? "query\t" : "", a.metric == "l2" ? "distance" : a.metric);
  for (size_t q = 0; q < queries.size(); ++q) {
    int rank = 0;
    for (const NearNode& n : found[q]) {
      fmt::print("{}{}\t{}\t{:.6f}\n", many ? wanted[q] + "\t" : std::string(), ++rank,
                 names[static_cast<size_t>(n.node)], comparator == MARIUS_COMPARATOR_L2 ? -n.similarity : n.similarity);
    }
  }
  logger().info("similar: {} queries over {} nodes ({})", queries.size(), rows.num_nodes(), how);
  return 0;
}

}  // namespace

void add_similar_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto a = std::make_shared<SimilarArgs>();
  auto* cmd = app.add_subcommand(
      "similar",
      "The k nodes nearest to nodes in embedding space: exact search, or FAISS's IVF index for large tables (built "
      "once per checkpoint and kept in output.dir/index/)");
  cmd->add_option("config", a->config, "TOML configuration file")->check(CLI::ExistingFile);
  cmd->add_option("--node", a->nodes, "Original id of a query node (repeatable)");
  cmd->add_option("--nodes", a->nodes_file, "A file of query node ids, one per line");
  cmd->add_option("-k,--top", a->k, "How many")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--metric", a->metric, "cosine, dot or l2")
      ->check(CLI::IsMember({"cosine", "dot", "l2"}))
      ->capture_default_str();
  cmd->add_option("--index", a->index,
                  "exact, ivf (FAISS IVF-flat: approximate, fast for many queries) or auto (ivf from 1,000,000 "
                  "nodes when built with FAISS)")
      ->check(CLI::IsMember({"auto", "exact", "ivf"}))
      ->capture_default_str();
  cmd->add_option("--nlist", a->nlist, "ivf: inverted lists (0: about sqrt(nodes))")->capture_default_str();
  cmd->add_option("--nprobe", a->nprobe,
                  "ivf: lists probed per query (0: the fewest that reach --target-recall on 500 sample nodes, found "
                  "once per index)")
      ->capture_default_str();
  cmd->add_option("--target-recall", a->target_recall, "ivf: the recall@10 against exact search that nprobe is chosen for")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_flag("--recall", a->recall,
                "ivf: also run exact search and print recall@k of the index (JSON on stdout) instead of the neighbours");
  cmd->callback([&global, &exit_code, a] { exit_code = similar_command(global, *a); });
}

}  // namespace marius::cli
