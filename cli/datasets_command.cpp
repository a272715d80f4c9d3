#include "cli/datasets_command.h"

#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

#include "core/datasets/catalog.h"
#include "core/datasets/fetch.h"
#include "core/error.h"

namespace marius::cli {

namespace {

struct DatasetsArgs {
  std::string registry;  // another registry file
  bool json = false;
  std::string name;
  std::string dir = "datasets";
  std::string mirror;
  std::string from;
  int64_t partitions = 1;
};

std::vector<DatasetEntry> registry_of(const DatasetsArgs& a) {
  return a.registry.empty() ? builtin_datasets() : read_registry(a.registry);
}

std::string checksum_kind(const DatasetEntry& e) {
  size_t verified = 0;
  for (const auto& d : e.downloads) verified += d.verifiable();
  if (verified == e.downloads.size()) return "pinned";
  if (verified == 0) return "recorded on first fetch";
  return "partly pinned";
}

int list(const DatasetsArgs& a) {
  const auto registry = registry_of(a);
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : registry) {
      nlohmann::json downloads = nlohmann::json::array();
      for (const auto& d : e.downloads) {
        downloads.push_back({{"url", d.url}, {"file", d.file}, {"sha256", d.sha256}, {"git_blob", d.git_blob}});
      }
      out.push_back({{"name", e.name}, {"title", e.title}, {"task", e.task}, {"layout", layout_name(e.layout)},
                     {"publisher", e.publisher}, {"counts", e.counts}, {"licence", e.licence}, {"citation", e.citation},
                     {"protocol", e.protocol}, {"hits_at", e.hits_at}, {"downloads", downloads}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  fmt::print("{:<16} {:<20} {:<13} {:<24} {}\n", "name", "task", "layout", "checksums", "counts");
  for (const auto& e : registry) {
    fmt::print("{:<16} {:<20} {:<13} {:<24} {}\n", e.name, e.task, layout_name(e.layout), checksum_kind(e), e.counts);
  }
  fmt::print("\nmarius-run datasets fetch NAME [--dir D]: download, verify, convert and preprocess into D/NAME/dataset, "
             "with a config in D/NAME/NAME.toml.\nLicences and citations: marius-run datasets list --json, or "
             "docs/datasets.md.\n");
  return 0;
}

int fetch(const DatasetsArgs& a) {
  const auto registry = registry_of(a);
  const DatasetEntry& entry = find_dataset(registry, a.name);
  FetchOptions options;
  options.dir = a.dir;
  options.mirror = a.mirror;
  options.from = a.from;
  options.partitions = a.partitions;
  FetchResult r = fetch_dataset(entry, options);
  for (const auto& c : r.checks) fmt::print("{}: {}\n", entry.name, c);
  const auto& info = r.preprocessed.info;
  fmt::print("{}: dataset {} ({} nodes, {} relations, {} / {} / {} edges", entry.name, r.dataset.string(),
             info.num_nodes, info.num_relations, info.num_edges[0], info.num_edges[1], info.num_edges[2]);
  if (r.preprocessed.node_data.feature_dim > 0) {
    fmt::print(", {} features, {} classes", r.preprocessed.node_data.feature_dim, r.preprocessed.node_data.num_classes);
  }
  if (r.preprocessed.given_negatives[1] + r.preprocessed.given_negatives[2] > 0) {
    fmt::print(", given negatives {} valid / {} test", r.preprocessed.given_negatives[1], r.preprocessed.given_negatives[2]);
  }
  fmt::print(")\n{}: config {} (evaluation.protocol = {}); train with: marius-run train {}\n", entry.name,
             r.config.string(), entry.task == "node-classification" ? "node accuracy" : entry.protocol, r.config.string());
  fmt::print("{}: licence: {}\n{}: cite: {}\n", entry.name, entry.licence, entry.name, entry.citation);
  return 0;
}

}  // namespace

void add_datasets_command(CLI::App& app, const GlobalOptions& /*global*/, int& exit_code) {
  auto a = std::make_shared<DatasetsArgs>();
  auto* cmd = app.add_subcommand("datasets", "Standard datasets by name: list them, or fetch one (download, verify, "
                                             "convert, preprocess)");
  cmd->require_subcommand(1);
  cmd->add_option("--registry", a->registry, "A registry file to use instead of the built-in one (docs/datasets.md)")
      ->check(CLI::ExistingFile);
  auto* list_cmd = cmd->add_subcommand("list", "The datasets of the registry: task, layout, checksums and counts");
  list_cmd->add_flag("--json", a->json, "Everything the registry holds (URLs, checksums, licences, citations) as JSON");
  list_cmd->callback([&exit_code, a] { exit_code = list(*a); });
  auto* fetch_cmd = cmd->add_subcommand("fetch", "Download NAME from its publisher (resuming), verify its checksums, "
                                                 "convert the publisher's layout and preprocess it into DIR/NAME/dataset");
  fetch_cmd->add_option("name", a->name, "A dataset of `datasets list`")->required();
  fetch_cmd->add_option("--dir", a->dir, "Where datasets go: DIR/NAME/{downloads,source,converted,dataset}")
      ->capture_default_str();
  fetch_cmd->add_option("--mirror", a->mirror,
                        "A directory or URL holding NAME/FILE for each download, used instead of the publisher's URLs");
  fetch_cmd->add_option("--from", a->from,
                        "A local copy: the download itself (a dataset of one download) or a directory holding the "
                        "downloads by file name")
      ->check(CLI::ExistingPath);
  fetch_cmd->add_option("--partitions", a->partitions, "preprocess --partitions (node partitions for training out of core)")
      ->check(CLI::Range(int64_t{1}, int64_t{1024}))
      ->capture_default_str();
  fetch_cmd->callback([&exit_code, a] { exit_code = fetch(*a); });
}

}  // namespace marius::cli
