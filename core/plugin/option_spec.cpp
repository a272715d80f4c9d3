#include "core/plugin/option_spec.h"

#include <algorithm>

#include "core/error.h"

namespace marius {

const char* option_type_name(OptionType type) {
  switch (type) {
    case OptionType::kInt: return "int";
    case OptionType::kFloat: return "float";
    case OptionType::kBool: return "bool";
    case OptionType::kString: return "string";
    case OptionType::kEnum: return "enum";
  }
  return "?";
}

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

void check_range(const OptionSpec& spec, double v, const std::string& shown, const std::string& context) {
  if (spec.min && v < *spec.min) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: option '{}': {} is below the minimum {}", context, spec.name, shown, *spec.min);
  }
  if (spec.max && v > *spec.max) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: option '{}': {} is above the maximum {}", context, spec.name, shown, *spec.max);
  }
}

}  // namespace

Value check_option_value(const OptionSpec& spec, const Value& value, const std::string& context) {
  auto wrong_type = [&]() -> void {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: option '{}' expects {}, got {} {}", context, spec.name,
         option_type_name(spec.type), value_type_name(value), value_to_string(value));
  };
  switch (spec.type) {
    case OptionType::kInt: {
      const int64_t* i = std::get_if<int64_t>(&value);
      if (i == nullptr) wrong_type();
      check_range(spec, static_cast<double>(*i), std::to_string(*i), context);
      return *i;
    }
    case OptionType::kFloat: {
      double d;
      if (const double* p = std::get_if<double>(&value)) {
        d = *p;
      } else if (const int64_t* i = std::get_if<int64_t>(&value)) {
        d = static_cast<double>(*i);
      } else {
        wrong_type();
      }
      check_range(spec, d, value_to_string(value), context);
      return d;
    }
    case OptionType::kBool:
      if (!std::holds_alternative<bool>(value)) wrong_type();
      return value;
    case OptionType::kString:
      if (!std::holds_alternative<std::string>(value)) wrong_type();
      return value;
    case OptionType::kEnum: {
      const std::string* s = std::get_if<std::string>(&value);
      if (s == nullptr) wrong_type();
      if (std::find(spec.values.begin(), spec.values.end(), *s) == spec.values.end()) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: option '{}': \"{}\" is not one of {}", context, spec.name, *s,
             join(spec.values));
      }
      return value;
    }
  }
  fail(MARIUS_ERR_INTERNAL, "{}: option '{}' has an unknown type", context, spec.name);
}

ResolvedOptions resolve_options(const std::vector<OptionSpec>& specs, const OptionInputs& inputs,
                                const std::string& context) {
  for (const auto& input : inputs) {
    // A reference, not a structured binding: clang 14's lambdas cannot capture those.
    const std::string& name = input.first;
    bool declared = std::any_of(specs.begin(), specs.end(), [&](const OptionSpec& s) { return s.name == name; });
    if (!declared) {
      std::vector<std::string> names;
      for (const auto& s : specs) names.push_back(s.name);
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: unknown option '{}' (declared: {})", context, name,
           names.empty() ? std::string("none") : join(names));
    }
  }
  ResolvedOptions resolved;
  for (const OptionSpec& spec : specs) {
    auto it = inputs.find(spec.name);
    resolved.emplace_back(spec.name, it == inputs.end() ? spec.default_value
                                                        : check_option_value(spec, it->second, context));
  }
  return resolved;
}

OptionBlock::OptionBlock(const ResolvedOptions& options) {
  for (const auto& [name, value] : options) {
    auto item = std::make_unique<marius_option>();
    item->struct_size = sizeof(marius_option);
    strings_.push_back(std::make_unique<std::string>(name));
    item->key = strings_.back()->c_str();
    if (auto* i = std::get_if<int64_t>(&value)) {
      item->type = MARIUS_OPTION_INT;
      item->int_value = *i;
    } else if (auto* d = std::get_if<double>(&value)) {
      item->type = MARIUS_OPTION_FLOAT;
      item->float_value = *d;
    } else if (auto* b = std::get_if<bool>(&value)) {
      item->type = MARIUS_OPTION_BOOL;
      item->int_value = *b ? 1 : 0;
    } else {
      item->type = MARIUS_OPTION_STRING;
      strings_.push_back(std::make_unique<std::string>(std::get<std::string>(value)));
      item->string_value = strings_.back()->c_str();
    }
    pointers_.push_back(item.get());
    items_.push_back(std::move(item));
  }
  options_.struct_size = sizeof(marius_options);
  options_.count = static_cast<uint32_t>(pointers_.size());
  options_.items = pointers_.data();
}

}  // namespace marius
