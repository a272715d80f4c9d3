// core/config/config_schema.h - the one schema of the configuration's keys
// (internal to core/config): what each key accepts and how it reads and writes
// a Config. config.cpp validates, prints and documents through it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/config/value.h"

namespace marius::config_schema {

enum class KeyType { kInt, kFloat, kBool, kString, kChoice, kOptions };

// The largest value of a count that ends up in a 32-bit field (plugin call
// arguments, tensor sizes of one batch).
inline constexpr double kInt32Max = 2147483647.0;

// One key: where it lives, what it accepts, how it reads and writes the Config.
struct KeySpec {
  std::string section;
  std::string key;
  KeyType type;
  std::vector<std::string> choices;  // kChoice: the accepted names
  double min = -1e300;               // kInt, kFloat: inclusive bounds
  double max = 1e300;
  std::string doc;
  std::function<Value(const Config&)> get;         // not for kOptions; kChoice: the name
  std::function<void(Config&, const Value&)> set;  // not for kOptions; kChoice: REQUIRES a name of `choices`
  OptionInputs Config::*options = nullptr;         // kOptions
  std::string path() const { return section + "." + key; }
};

// Every key, in the order of docs/config.md and to_toml().
const std::vector<KeySpec>& keys();

// "cpu", "cuda" or "cuda:N" (N a device index).
bool is_device_name(const std::string& name);

}  // namespace marius::config_schema
