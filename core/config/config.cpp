#include "core/config/config.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>

#include <toml++/toml.h>

#include "core/config/config_schema.h"
#include "core/config/value.h"
#include "core/error.h"

namespace marius {

namespace {

using config_schema::KeySpec;
using config_schema::KeyType;
using config_schema::keys;

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
  return line == 0 ? "override" : fmt::format("config {}:{}", source, line);
}

// Puts `value` at the dotted `path` of `root`, creating tables on the way.
void apply_override(toml::table& root, const std::string& assignment) {
  size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "override {}: expected key=value", assignment);
  std::string path = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  // An inline table ("{ shuffle = true }") replaces the whole table at `path` (a
  // plugin's options, say); an array ("[10, 20]") is one list value; anything
  // else is one scalar.
  std::optional<toml::table> inline_table;
  std::optional<toml::array> inline_array;
  const size_t first = text.find_first_not_of(" \t");
  if (first != std::string::npos && (text[first] == '{' || text[first] == '[')) {
    const bool is_table = text[first] == '{';
    try {
      toml::table parsed = toml::parse("value = " + text);
      if (toml::table* t = parsed["value"].as_table()) inline_table = std::move(*t);
      if (toml::array* a = parsed["value"].as_array()) inline_array = std::move(*a);
    } catch (const toml::parse_error& e) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "override {}: not a TOML inline {}: {}", assignment, is_table ? "table" : "array",
           e.description());
    }
  }
  Value value = inline_table || inline_array ? Value{} : parse_value_text(text);
  toml::table* table = &root;
  size_t start = 0;
  for (;;) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) fail(MARIUS_ERR_INVALID_ARGUMENT, "override {}: empty key part", path);
    if (dot == std::string::npos) {
      if (inline_table) {
        table->insert_or_assign(part, std::move(*inline_table));
      } else if (inline_array) {
        table->insert_or_assign(part, std::move(*inline_array));
      } else {
        std::visit([&](const auto& v) { table->insert_or_assign(part, v); }, value);
      }
      return;
    }
    toml::node* next = table->get(part);
    if (next == nullptr) {
      table->insert_or_assign(part, toml::table{});
      next = table->get(part);
    }
    if (!next->is_table()) fail(MARIUS_ERR_INVALID_ARGUMENT, "override {}: '{}' is not a table", path, part);
    table = next->as_table();
    start = dot + 1;
  }
}

Config from_table(const toml::table& root, const std::string& source) {
  Config config;
  std::map<std::string, const KeySpec*> by_path;
  std::map<std::string, bool> sections;
  for (const KeySpec& s : keys()) {
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
        for (const KeySpec& s : keys()) {
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
      // Lists kept as comma-separated strings: also an integer (`10`) or an array (`[15, 10, 5]`, `["all", 10]`).
      if (path == "model.fanouts" || path == "evaluation.hits_at") {
        if (ok && std::holds_alternative<int64_t>(v)) v = std::to_string(std::get<int64_t>(v));
        if (const toml::array* list = node.as_array()) {
          std::string joined;
          for (const toml::node& item : *list) {
            Value element;
            if (!value_from_node(item, element) || std::holds_alternative<bool>(element)) {
              fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} entries must be counts or strings", where(source, item), path);
            }
            joined += (joined.empty() ? "" : ",") + (std::holds_alternative<std::string>(element)
                                                         ? std::get<std::string>(element)
                                                         : value_to_string(element));
          }
          v = joined;
          ok = true;
        }
      }
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
        if (!std::isfinite(d)) {
          fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} must be a finite number, got {}", where(source, node), path,
               value_to_string(v));
        }
        if (d < spec.min) {
          fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} must be at least {}, got {}", where(source, node), path, spec.min,
               value_to_string(v));
        }
        if (d > spec.max) {
          fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} must be at most {}, got {}", where(source, node), path, spec.max,
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
      if (path == "training.device" && !config_schema::is_device_name(std::get<std::string>(v))) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} must be \"cpu\", \"cuda\" or \"cuda:N\", got \"{}\"",
             where(source, node), path, std::get<std::string>(v));
      }
      if (path == "evaluation.hits_at") parse_hits_at(std::get<std::string>(v), where(source, node) + ": " + path);
      spec.set(config, v);
    }
  }
  return config;
}

// Relative paths written in a config file name places beside the file, as users
// expect (not in whatever directory marius-run happens to start in): the data,
// output and storage directories, and plugin manifests (values ending in .toml).
// Overrides (--set) are relative to the current directory, like any command-line path.
void resolve_relative_paths(toml::table& root, const std::filesystem::path& base) {
  static const std::pair<const char*, const char*> kDirectories[] = {
      {"dataset", "path"}, {"output", "dir"}, {"storage", "dir"}};
  static const std::pair<const char*, const char*> kPlugins[] = {{"model", "score"},       {"model", "encoder"},
                                                                 {"negatives", "sampler"}, {"storage", "backend"},
                                                                 {"storage", "ordering"}};
  auto resolve = [&](const char* section, const char* key, bool manifests_only) {
    toml::table* table = root[section].as_table();
    toml::value<std::string>* value = table ? (*table)[key].as_string() : nullptr;
    if (value == nullptr || value->get().empty()) return;
    const std::filesystem::path path(value->get());
    if (path.is_absolute() || (manifests_only && path.extension() != ".toml")) return;
    *value = (base / path).lexically_normal().string();
  };
  for (const auto& [section, key] : kDirectories) resolve(section, key, false);
  for (const auto& [section, key] : kPlugins) resolve(section, key, true);
}

// Parses `text`; a config read from a file gets its relative paths resolved against `base` before the overrides.
Config parse_text(const std::string& text, const std::string& source, const std::vector<std::string>& overrides,
                  const std::filesystem::path* base) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "config {}:{}:{}: invalid TOML: {}", source, e.source().begin.line,
         e.source().begin.column, e.description());
  }
  if (base != nullptr) resolve_relative_paths(root, *base);
  for (const std::string& o : overrides) apply_override(root, o);
  return from_table(root, source);
}

}  // namespace

std::vector<int64_t> parse_hits_at(const std::string& text, const std::string& key) {
  std::vector<int64_t> out;
  for (const std::string& item : comma_items(text)) {
    int64_t k = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), k);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size() || k < 1) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: \"{}\" is not a positive integer (expected K values such as [10, 20, 50])",
           key, item);
    }
    if (std::find(out.begin(), out.end(), k) != out.end()) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} is given twice", key, k);
    out.push_back(k);
  }
  if (out.size() > 8) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: more than 8 values", key);  // MARIUS_MAX_HITS_AT
  return out;
}

std::vector<int64_t> Config::hits_at() const { return parse_hits_at(eval_hits_at, "evaluation.hits_at"); }

Config Config::parse(const std::string& text, const std::string& source, const std::vector<std::string>& overrides) {
  return parse_text(text, source, overrides, nullptr);
}

Config Config::load(const std::filesystem::path& file, const std::vector<std::string>& overrides) {
  if (file.empty()) return parse("", "(defaults)", overrides);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) fail(MARIUS_ERR_NOT_FOUND, "config {}: no such file", file.string());
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  const std::filesystem::path base = std::filesystem::absolute(file, ec).parent_path();
  return parse_text(text.str(), file.string(), overrides, &base);
}

std::string Config::to_toml() const {
  std::string out;
  std::string section;
  for (const KeySpec& s : keys()) {
    if (s.section != section) {
      section = s.section;
      out += (out.empty() ? "[" : "\n[") + section + "]\n";
    }
    if (s.type == KeyType::kOptions) {
      std::string items;
      for (const auto& [k, v] : this->*s.options) items += (items.empty() ? "" : ", ") + k + " = " + value_to_string(v);
      out += s.key + " = { " + items + " }\n";
    } else {
      out += s.key + " = " + value_to_string(s.get(*this)) + "\n";
    }
  }
  return out;
}

std::string config_markdown() {
  Config defaults;
  std::string out;
  std::string section;
  for (const KeySpec& s : keys()) {
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
