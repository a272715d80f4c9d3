#include "core/plugin/manifest.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <toml++/toml.h>

#include "core/error.h"
#include "marius/abi/plugin.h"

namespace fs = std::filesystem;

namespace marius {

// ---- AbiRange ------------------------------------------------------------------------

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

bool parse_version(const std::string& text, AbiVersion& out) {
  size_t dot = text.find('.');
  std::string major = text.substr(0, dot);
  std::string minor = dot == std::string::npos ? "0" : text.substr(dot + 1);
  auto digits = [](const std::string& s) {
    return !s.empty() && s.size() <= 6 && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  };
  if (!digits(major) || !digits(minor)) return false;
  out.major = static_cast<uint32_t>(std::stoul(major));
  out.minor = static_cast<uint32_t>(std::stoul(minor));
  return true;
}

int compare(AbiVersion a, AbiVersion b) {
  if (a.major != b.major) return a.major < b.major ? -1 : 1;
  if (a.minor != b.minor) return a.minor < b.minor ? -1 : 1;
  return 0;
}

}  // namespace

AbiRange AbiRange::parse(const std::string& text) {
  AbiRange range;
  range.text_ = text;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = trim(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    start = comma == std::string::npos ? text.size() + 1 : comma + 1;
    Bound bound;
    for (const char* op : {">=", "<=", ">", "<", "="}) {
      if (item.rfind(op, 0) == 0) {
        bound.op = op;
        break;
      }
    }
    if (bound.op.empty() || !parse_version(trim(item.substr(bound.op.size())), bound.version)) {
      fail(MARIUS_ERR_INVALID_ARGUMENT,
           "ABI range \"{}\": bound \"{}\" is not of the form >=1.0, <2.0 (operators >=, >, <=, <, =)", text, item);
    }
    range.bounds_.push_back(bound);
  }
  return range;
}

bool AbiRange::contains(AbiVersion v) const {
  for (const Bound& b : bounds_) {
    int c = compare(v, b.version);
    bool ok = b.op == ">=" ? c >= 0 : b.op == ">" ? c > 0 : b.op == "<=" ? c <= 0 : b.op == "<" ? c < 0 : c == 0;
    if (!ok) return false;
  }
  return true;
}

// ---- kinds -----------------------------------------------------------------------------

const char* kind_name(uint32_t kind) {
  switch (kind) {
    case MARIUS_KIND_SCORE_FUNCTION: return "score_function";
    case MARIUS_KIND_NEGATIVE_SAMPLER: return "negative_sampler";
    case MARIUS_KIND_ORDERING_POLICY: return "ordering_policy";
    case MARIUS_KIND_STORAGE_BACKEND: return "storage_backend";
    case MARIUS_KIND_LAYER: return "layer";
    default: return "unknown";
  }
}

uint32_t kind_from_name(const std::string& name) {
  for (uint32_t k = MARIUS_KIND_SCORE_FUNCTION; k <= MARIUS_KIND_LAYER; ++k) {
    if (name == kind_name(k)) return k;
  }
  return 0;
}

std::string Manifest::label() const { return fmt::format("plugin '{}' ({})", name, file.string()); }

// ---- reading ---------------------------------------------------------------------------

namespace {

// Reads the keys of one table, remembering which it consumed so that finish()
// can refuse the rest. Every error names file:line and the dotted key.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string path, const fs::path& file)
      : table_(table), path_(std::move(path)), file_(file) {}

  [[noreturn]] void error_at(const toml::node* node, const std::string& key, const std::string& what) const {
    uint32_t line = node != nullptr ? node->source().begin.line : table_.source().begin.line;
    fail(MARIUS_ERR_INVALID_ARGUMENT, "manifest {}:{}: {}: {}", file_.string(), line, dotted(key), what);
  }

  std::string dotted(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  const toml::node* node(const std::string& key, bool required) {
    seen_.insert(key);
    const toml::node* n = table_.get(key);
    if (n == nullptr && required) error_at(nullptr, key, "required key is missing");
    return n;
  }

  std::optional<std::string> string(const std::string& key, bool required) {
    const toml::node* n = node(key, required);
    if (n == nullptr) return std::nullopt;
    if (!n->is_string()) error_at(n, key, fmt::format("expected a string, got {}", type_of(*n)));
    return n->as_string()->get();
  }

  std::optional<int64_t> integer(const std::string& key, bool required) {
    const toml::node* n = node(key, required);
    if (n == nullptr) return std::nullopt;
    if (!n->is_integer()) error_at(n, key, fmt::format("expected an integer, got {}", type_of(*n)));
    return n->as_integer()->get();
  }

  std::optional<bool> boolean(const std::string& key) {
    const toml::node* n = node(key, false);
    if (n == nullptr) return std::nullopt;
    if (!n->is_boolean()) error_at(n, key, fmt::format("expected true or false, got {}", type_of(*n)));
    return n->as_boolean()->get();
  }

  std::optional<double> number(const std::string& key) {
    const toml::node* n = node(key, false);
    if (n == nullptr) return std::nullopt;
    if (n->is_integer()) return static_cast<double>(n->as_integer()->get());
    if (!n->is_floating_point()) error_at(n, key, fmt::format("expected a number, got {}", type_of(*n)));
    return n->as_floating_point()->get();
  }

  std::vector<std::string> strings(const std::string& key, bool required) {
    const toml::node* n = node(key, required);
    std::vector<std::string> out;
    if (n == nullptr) return out;
    const toml::array* a = n->as_array();
    if (a == nullptr) error_at(n, key, fmt::format("expected an array of strings, got {}", type_of(*n)));
    for (const toml::node& item : *a) {
      if (!item.is_string()) error_at(&item, key, "expected an array of strings");
      out.push_back(item.as_string()->get());
    }
    return out;
  }

  const toml::table* table(const std::string& key, bool required) {
    const toml::node* n = node(key, required);
    if (n == nullptr) return nullptr;
    if (!n->is_table()) error_at(n, key, fmt::format("expected a table [{}], got {}", dotted(key), type_of(*n)));
    return n->as_table();
  }

  // Refuses any key that was not read.
  void finish() const {
    for (const auto& [key, value] : table_) {
      if (seen_.count(std::string(key.str())) == 0) error_at(&value, std::string(key.str()), "unknown key");
    }
  }

  static const char* type_of(const toml::node& n) {
    switch (n.type()) {
      case toml::node_type::string: return "a string";
      case toml::node_type::integer: return "an integer";
      case toml::node_type::floating_point: return "a float";
      case toml::node_type::boolean: return "a boolean";
      case toml::node_type::array: return "an array";
      case toml::node_type::table: return "a table";
      default: return "a date or time";
    }
  }

 private:
  const toml::table& table_;
  std::string path_;
  const fs::path& file_;
  std::set<std::string> seen_;
};

bool valid_name(const std::string& name) {
  return !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_' ||
           c == '-' || c == '.';
  });
}

OptionSpec read_option(const toml::table& table, size_t index, const fs::path& file) {
  TableReader r(table, fmt::format("options[{}]", index), file);
  OptionSpec spec;
  spec.name = *r.string("name", true);
  if (!valid_name(spec.name)) r.error_at(table.get("name"), "name", "option names use a-z, 0-9, '_', '-' and '.'");
  std::string type = *r.string("type", true);
  static const std::pair<const char*, OptionType> kTypes[] = {{"int", OptionType::kInt},
                                                              {"float", OptionType::kFloat},
                                                              {"bool", OptionType::kBool},
                                                              {"string", OptionType::kString},
                                                              {"enum", OptionType::kEnum}};
  auto it = std::find_if(std::begin(kTypes), std::end(kTypes), [&](const auto& p) { return type == p.first; });
  if (it == std::end(kTypes)) {
    r.error_at(table.get("type"), "type", fmt::format("unknown option type '{}' (int, float, bool, string, enum)", type));
  }
  spec.type = it->second;
  spec.description = r.string("description", false).value_or("");
  spec.min = r.number("min");
  spec.max = r.number("max");
  if ((spec.min || spec.max) && spec.type != OptionType::kInt && spec.type != OptionType::kFloat) {
    r.error_at(table.get(spec.min ? "min" : "max"), spec.min ? "min" : "max", "only int and float options take a range");
  }
  if (spec.min && spec.max && *spec.min > *spec.max) r.error_at(table.get("min"), "min", "min is above max");
  spec.values = r.strings("values", spec.type == OptionType::kEnum);
  if (spec.type == OptionType::kEnum && spec.values.empty()) {
    r.error_at(table.get("values"), "values", "an enum option lists at least one value");
  }
  if (spec.type != OptionType::kEnum && table.get("values") != nullptr) {
    r.error_at(table.get("values"), "values", "only enum options take values");
  }
  const toml::node* def = r.node("default", true);
  Value value;
  if (!value_from_node(*def, value)) r.error_at(def, "default", "expected a scalar default");
  try {
    spec.default_value = check_option_value(spec, value, "manifest");
  } catch (const Error& e) {
    std::string why = e.what();
    why.erase(0, std::string("manifest: ").size());  // error_at names the key already
    r.error_at(def, "default", why);
  }
  r.finish();
  return spec;
}

}  // namespace

Manifest load_manifest(const fs::path& path) {
  std::error_code ec;
  fs::path file = fs::absolute(path, ec);
  if (ec) file = path;
  if (!fs::is_regular_file(file, ec)) {
    fail(MARIUS_ERR_NOT_FOUND, "manifest {}: no such file", file.string());
  }
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "manifest {}:{}:{}: invalid TOML: {}", file.string(), e.source().begin.line,
         e.source().begin.column, e.description());
  }

  Manifest m;
  m.file = file;
  TableReader top(root, "", file);
  m.manifest_version = *top.integer("manifest_version", true);
  if (m.manifest_version != kManifestVersion) {
    top.error_at(root.get("manifest_version"), "manifest_version",
                 fmt::format("version {} is not understood by this host (it reads {})", m.manifest_version,
                             kManifestVersion));
  }

  TableReader plugin(*top.table("plugin", true), "plugin", file);
  m.name = *plugin.string("name", true);
  if (!valid_name(m.name)) {
    plugin.error_at(root["plugin"]["name"].node(), "name", "plugin names use a-z, 0-9, '_', '-' and '.'");
  }
  std::string kind = *plugin.string("kind", true);
  m.kind = kind_from_name(kind);
  if (m.kind == 0) {
    plugin.error_at(root["plugin"]["kind"].node(), "kind",
                    fmt::format("unknown kind '{}' (score_function, negative_sampler, ordering_policy, storage_backend)",
                                kind));
  }
  m.version = *plugin.string("version", true);
  m.description = plugin.string("description", false).value_or("");
  plugin.finish();

  TableReader abi(*top.table("abi", true), "abi", file);
  std::string range = *abi.string("range", true);
  try {
    m.abi = AbiRange::parse(range);
  } catch (const Error& e) {
    abi.error_at(root["abi"]["range"].node(), "range", e.what());
  }
  abi.finish();

  TableReader library(*top.table("library", true), "library", file);
  fs::path lib = *library.string("path", true);
  m.library = lib.is_absolute() ? lib : (file.parent_path() / lib).lexically_normal();
  m.entry_symbol = library.string("entry_symbol", false).value_or(MARIUS_DEFAULT_ENTRY_SYMBOL);
  library.finish();

  if (const toml::table* caps = top.table("capabilities", false)) {
    TableReader c(*caps, "capabilities", file);
    m.devices = c.strings("devices", false);
    for (const std::string& d : m.devices) {
      if (d != "cpu" && d != "cuda") {
        c.error_at(root["capabilities"]["devices"].node(), "devices", fmt::format("unknown device '{}' (cpu, cuda)", d));
      }
    }
    m.reentrant = c.boolean("reentrant").value_or(false);
    m.deterministic = c.boolean("deterministic").value_or(false);
    c.finish();
  }
  if (m.devices.empty()) m.devices = {"cpu"};

  if (const toml::node* options = top.node("options", false)) {
    const toml::array* list = options->as_array();
    if (list == nullptr || !list->is_array_of_tables()) {
      top.error_at(options, "options", "expected an array of tables [[options]]");
    }
    std::set<std::string> names;
    for (size_t i = 0; i < list->size(); ++i) {
      OptionSpec spec = read_option(*list->get(i)->as_table(), i, file);
      if (!names.insert(spec.name).second) {
        top.error_at(list->get(i), fmt::format("options[{}]", i), fmt::format("option '{}' is declared twice", spec.name));
      }
      m.options.push_back(std::move(spec));
    }
  }
  top.finish();
  return m;
}

}  // namespace marius
