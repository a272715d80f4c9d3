// core/plugin/option_spec.h - the typed options a plugin declares in its manifest.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config/value.h"
#include "marius/abi/common.h"

namespace marius {

enum class OptionType { kInt, kFloat, kBool, kString, kEnum };

const char* option_type_name(OptionType type);

// One [[options]] entry of a manifest.
struct OptionSpec {
  std::string name;
  OptionType type = OptionType::kString;
  Value default_value;
  std::optional<double> min;       // inclusive; int and float options only
  std::optional<double> max;       // inclusive; int and float options only
  std::vector<std::string> values; // the choices of an enum option
  std::string description;
};

// A complete, validated set of option values: every declared option exactly
// once, in declaration order.
using ResolvedOptions = std::vector<std::pair<std::string, Value>>;

// Checks `value` against `spec`, converting an integer to a float where a float
// is declared. Throws Error(INVALID_ARGUMENT) "<context>: option '<name>': <why>".
Value check_option_value(const OptionSpec& spec, const Value& value, const std::string& context);

// Validates `inputs` against `specs` and fills defaults. An input whose name no
// spec declares is an error that lists the declared names.
ResolvedOptions resolve_options(const std::vector<OptionSpec>& specs, const OptionInputs& inputs,
                                const std::string& context);

// The C view of resolved options (marius_options), owning every string and
// struct it points to.
class OptionBlock {
 public:
  explicit OptionBlock(const ResolvedOptions& options);
  OptionBlock(const OptionBlock&) = delete;
  OptionBlock& operator=(const OptionBlock&) = delete;
  const marius_options* get() const { return &options_; }

 private:
  std::vector<std::unique_ptr<marius_option>> items_;
  std::vector<std::unique_ptr<std::string>> strings_;
  std::vector<const marius_option*> pointers_;
  marius_options options_{};
};

}  // namespace marius
