#include "core/config/value.h"

#include <fmt/format.h>

namespace marius {

const char* value_type_name(const Value& value) {
  switch (value.index()) {
    case 0: return "integer";
    case 1: return "float";
    case 2: return "boolean";
    default: return "string";
  }
}

std::string value_to_string(const Value& value) {
  if (auto* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&value)) {
    // A float keeps a decimal point (or exponent, inf, nan) so that it reads back as a float: -0.0, not -0.
    std::string text = fmt::format("{}", *d);
    if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
    return text;
  }
  if (auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  std::string quoted = "\"";
  for (char c : std::get<std::string>(value)) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

bool value_from_node(const toml::node& node, Value& out) {
  if (auto v = node.as_integer()) {
    out = v->get();
  } else if (auto v = node.as_floating_point()) {
    out = v->get();
  } else if (auto v = node.as_boolean()) {
    out = v->get();
  } else if (auto v = node.as_string()) {
    out = v->get();
  } else {
    return false;
  }
  return true;
}

Value parse_value_text(const std::string& text) {
  try {
    toml::table parsed = toml::parse("v = " + text);
    const toml::node* node = parsed.get("v");
    Value value;
    if (node != nullptr && value_from_node(*node, value)) return value;
  } catch (const toml::parse_error&) {
    // Not a TOML scalar: a bare string.
  }
  return text;
}

std::vector<std::string> comma_items(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    out.push_back(std::move(item));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

}  // namespace marius
