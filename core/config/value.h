// core/config/value.h - a typed scalar from a config file, a manifest or `--set`.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include <toml++/toml.h>

namespace marius {

// A config or option value: integer, float, boolean or string.
using Value = std::variant<int64_t, double, bool, std::string>;

// Option values as given by a user (config file or --set), by option name: a
// plugin's options before core/plugin/option_spec.h checks them.
using OptionInputs = std::map<std::string, Value>;

// "integer", "float", "boolean" or "string".
const char* value_type_name(const Value& value);

// The value as TOML would write it: 3, 0.5, true, "text".
std::string value_to_string(const Value& value);

// Reads the text of a `--set key=value` right-hand side with TOML's scalar
// syntax: `3` is an integer, `0.5` or `1e-3` a float, `true` a boolean, `"a b"` a
// string. Anything that is not a TOML scalar is taken as a bare string, so
// `--set path=/tmp/x` works without quotes.
Value parse_value_text(const std::string& text);

// The items of a comma-separated list value ("15, 10,5" -> "15", "10", "5"),
// spaces around each trimmed; "" gives one empty item.
std::vector<std::string> comma_items(const std::string& text);

// Converts a TOML scalar node; returns false (and leaves `out` alone) for arrays,
// tables, dates and times.
bool value_from_node(const toml::node& node, Value& out);

}  // namespace marius
