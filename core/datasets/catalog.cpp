#include "core/datasets/catalog.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/datasets/sha256.h"
#include "core/error.h"

namespace marius {

// The text of core/datasets/registry.toml (generated at build time).
extern const char* const kBuiltinRegistry;

namespace {

struct Context {
  std::string where;  // "FILE: dataset NAME"
};

std::string string_key(const toml::table& t, const std::string& key, const std::string& where, bool required) {
  const toml::node* node = t.get(key);
  if (node == nullptr) {
    if (required) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: key '{}' is missing", where, key);
    return {};
  }
  auto value = node->value<std::string>();
  if (!value) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: key '{}' must be a string", where, key);
  return *value;
}

void check_keys(const toml::table& t, const std::set<std::string>& allowed, const std::string& where) {
  for (const auto& [key, node] : t) {
    if (allowed.count(std::string(key.str())) == 0) {
      std::string names;
      for (const auto& a : allowed) names += (names.empty() ? "" : ", ") + a;
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: unknown key '{}' (known: {})", where, key.str(), names);
    }
  }
}

DatasetLayout parse_layout(const std::string& text, const std::string& where) {
  for (DatasetLayout l : {DatasetLayout::kKg, DatasetLayout::kSnap, DatasetLayout::kOgbLink, DatasetLayout::kOgbNode,
                          DatasetLayout::kOgbNodeNpz, DatasetLayout::kPlanetoid}) {
    if (text == layout_name(l)) return l;
  }
  fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: key 'layout': \"{}\" is not one of kg, snap, ogb-link, ogb-node, ogb-node-npz, planetoid",
       where, text);
}

// The last segment of the URL's path: ".../train.txt?x=y" -> "train.txt".
std::string file_of(const std::string& url) {
  std::string path = url.substr(0, url.find_first_of("?#"));
  return path.substr(path.find_last_of('/') + 1);
}

DatasetDownload parse_download(const toml::table& t, const std::string& where) {
  check_keys(t, {"url", "file", "sha256", "git_blob"}, where);
  DatasetDownload d;
  d.url = string_key(t, "url", where, true);
  if (d.url.rfind("https://", 0) != 0 && d.url.rfind("http://", 0) != 0 && d.url.rfind("ftp://", 0) != 0) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: key 'url': \"{}\" is not an http, https or ftp URL (a local copy: --from or --mirror)",
         where, d.url);
  }
  d.file = string_key(t, "file", where, false);
  if (d.file.empty()) d.file = file_of(d.url);
  if (d.file.empty() || d.file == "." || d.file == ".." || d.file.find('/') != std::string::npos) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: no file name in url \"{}\": give key 'file'", where, d.url);
  }
  d.sha256 = string_key(t, "sha256", where, false);
  std::transform(d.sha256.begin(), d.sha256.end(), d.sha256.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!d.sha256.empty() && !is_sha256_hex(d.sha256)) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: key 'sha256': \"{}\" is not 64 hex digits", where, d.sha256);
  }
  d.git_blob = string_key(t, "git_blob", where, false);
  if (!d.git_blob.empty() && (d.git_blob.size() != 40 || !std::all_of(d.git_blob.begin(), d.git_blob.end(), [](char c) {
                                return std::isxdigit(static_cast<unsigned char>(c));
                              }))) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: key 'git_blob': \"{}\" is not 40 hex digits", where, d.git_blob);
  }
  return d;
}

DatasetEntry parse_entry(const toml::table& t, const std::string& file, size_t index) {
  std::string where = fmt::format("{}: dataset {}", file, index + 1);
  std::string name = string_key(t, "name", where, true);
  where = fmt::format("{}: dataset '{}'", file, name);
  check_keys(t, {"name", "title", "task", "layout", "publisher", "counts", "licence", "citation", "downloads", "train",
                 "valid", "test", "valid_negatives", "test_negatives", "columns", "ids", "edges", "delimiter",
                 "fractions", "root", "split", "keys", "prefix", "protocol", "hits_at"},
             where);
  DatasetEntry e;
  e.name = name;
  if (name.empty() || !std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::islower(c) || std::isdigit(c) || c == '-' || c == '_';
      })) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: key 'name' must be lowercase letters, digits, '-' and '_'", where);
  }
  e.title = string_key(t, "title", where, false);
  if (e.title.empty()) e.title = name;
  e.task = string_key(t, "task", where, true);
  if (e.task != "link-prediction" && e.task != "node-classification") {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: key 'task': \"{}\" is not link-prediction or node-classification", where, e.task);
  }
  e.layout = parse_layout(string_key(t, "layout", where, true), where);
  e.publisher = string_key(t, "publisher", where, false);
  e.counts = string_key(t, "counts", where, false);
  e.licence = string_key(t, "licence", where, true);
  e.citation = string_key(t, "citation", where, true);
  const toml::array* downloads = t.get_as<toml::array>("downloads");
  if (downloads == nullptr || downloads->empty()) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: key 'downloads' is missing", where);
  std::set<std::string> files;
  for (size_t i = 0; i < downloads->size(); ++i) {
    const toml::table* d = downloads->get(i)->as_table();
    std::string dwhere = fmt::format("{}: downloads[{}]", where, i);
    if (d == nullptr) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: must be a table {{ url = ..., sha256 = ... }}", dwhere);
    e.downloads.push_back(parse_download(*d, dwhere));
    if (!files.insert(e.downloads.back().file).second) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: file name \"{}\" is used twice", dwhere, e.downloads.back().file);
    }
  }
  for (auto [key, field] : {std::pair<const char*, std::string*>{"train", &e.train}, {"valid", &e.valid},
                            {"test", &e.test}, {"valid_negatives", &e.valid_negatives},
                            {"test_negatives", &e.test_negatives}, {"edges", &e.edges}, {"root", &e.root},
                            {"split", &e.split}, {"keys", &e.keys}, {"prefix", &e.prefix}, {"hits_at", &e.hits_at}}) {
    *field = string_key(t, key, where, false);
    // Paths below the unpacked downloads: never absolute, never climbing out.
    bool climbs = false;
    for (const auto& part : std::filesystem::path(*field)) climbs |= part == "..";
    if (std::string(key) != "hits_at" && std::string(key) != "keys" &&
        (std::filesystem::path(*field).is_absolute() || climbs)) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: key '{}': \"{}\" must be a path below the downloads (not absolute, no \"..\")",
           where, key, *field);
    }
  }
  if (t.contains("columns")) e.columns = string_key(t, "columns", where, false);
  if (t.contains("ids")) e.ids = string_key(t, "ids", where, false);
  if (t.contains("delimiter")) e.delimiter = string_key(t, "delimiter", where, false);
  if (t.contains("protocol")) e.protocol = string_key(t, "protocol", where, false);
  if (const toml::array* f = t.get_as<toml::array>("fractions")) {
    if (f->size() != 3) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: key 'fractions' must hold 3 numbers", where);
    for (size_t i = 0; i < 3; ++i) {
      auto v = f->get(i)->value<double>();
      if (!v) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: key 'fractions' must hold 3 numbers", where);
      e.fractions[i] = *v;
    }
  }
  auto need = [&](const std::string& value, const char* key) {
    if (value.empty()) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: layout {} needs key '{}'", where, layout_name(e.layout), key);
    }
  };
  switch (e.layout) {
    case DatasetLayout::kKg:
      need(e.train, "train");
      break;
    case DatasetLayout::kSnap:
      need(e.edges, "edges");
      break;
    case DatasetLayout::kOgbLink:
      need(e.root, "root");
      need(e.split, "split");
      need(e.keys, "keys");
      if (e.keys != "edge" && e.keys != "source_target" && e.keys != "head_relation_tail") {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: key 'keys': \"{}\" is not edge, source_target or head_relation_tail", where,
             e.keys);
      }
      break;
    case DatasetLayout::kOgbNode:
    case DatasetLayout::kOgbNodeNpz:
      need(e.root, "root");
      need(e.split, "split");
      break;
    case DatasetLayout::kPlanetoid:
      need(e.prefix, "prefix");
      break;
  }
  if (e.protocol != "filtered" && e.protocol != "given" && e.protocol != "classification") {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: key 'protocol': \"{}\" is not filtered, given or classification", where,
         e.protocol);
  }
  return e;
}

}  // namespace

const char* layout_name(DatasetLayout layout) {
  switch (layout) {
    case DatasetLayout::kKg: return "kg";
    case DatasetLayout::kSnap: return "snap";
    case DatasetLayout::kOgbLink: return "ogb-link";
    case DatasetLayout::kOgbNode: return "ogb-node";
    case DatasetLayout::kOgbNodeNpz: return "ogb-node-npz";
    case DatasetLayout::kPlanetoid: return "planetoid";
  }
  return "?";
}

std::vector<DatasetEntry> parse_registry(const std::string& text, const std::string& where) {
  toml::table root;
  try {
    root = toml::parse(text, where);
  } catch (const toml::parse_error& e) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}:{}:{}: invalid TOML: {}", where, e.source().begin.line, e.source().begin.column,
         e.description());
  }
  check_keys(root, {"dataset"}, where);
  const toml::array* datasets = root.get_as<toml::array>("dataset");
  if (datasets == nullptr || datasets->empty()) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: no [[dataset]] entries", where);
  std::vector<DatasetEntry> entries;
  std::set<std::string> names;
  for (size_t i = 0; i < datasets->size(); ++i) {
    const toml::table* t = datasets->get(i)->as_table();
    if (t == nullptr) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: dataset {} is not a table", where, i + 1);
    entries.push_back(parse_entry(*t, where, i));
    if (!names.insert(entries.back().name).second) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: dataset '{}' is listed twice", where, entries.back().name);
    }
  }
  return entries;
}

std::vector<DatasetEntry> read_registry(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    fail(std::filesystem::exists(file) ? MARIUS_ERR_IO : MARIUS_ERR_NOT_FOUND, "{}: the registry cannot be read",
         file.string());
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse_registry(text.str(), file.string());
}

const std::vector<DatasetEntry>& builtin_datasets() {
  static const std::vector<DatasetEntry> entries = parse_registry(kBuiltinRegistry, "core/datasets/registry.toml");
  return entries;
}

const DatasetEntry& find_dataset(const std::vector<DatasetEntry>& registry, const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& e : registry) {
    if (e.name == lower) return e;
  }
  std::string names;
  for (const auto& e : registry) names += (names.empty() ? "" : ", ") + e.name;
  fail(MARIUS_ERR_NOT_FOUND, "no dataset '{}' in the registry (known: {}); `marius-run datasets list` describes them", name,
       names);
}

}  // namespace marius
