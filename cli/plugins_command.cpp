#include "cli/plugins_command.h"

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "core/conformance/conformance.h"
#include "core/error.h"

namespace marius::cli {

namespace {

std::string caps_string(uint64_t caps) {
  std::string out;
  auto add = [&](uint64_t bit, const char* name) {
    if (caps & bit) out += (out.empty() ? "" : " ") + std::string(name);
  };
  add(MARIUS_CAP_CPU, "cpu");
  add(MARIUS_CAP_CUDA, "cuda");
  add(MARIUS_CAP_REENTRANT, "reentrant");
  add(MARIUS_CAP_DETERMINISTIC, "deterministic");
  return out.empty() ? "none" : out;
}

int list(const GlobalOptions& global) {
  PluginRegistry registry = make_registry(global);
  int broken = 0;
  fmt::print("{:<14} {:<17} {:<8} {:<14} {}\n", "NAME", "KIND", "VERSION", "ABI", "MANIFEST");
  for (const auto& entry : registry.entries()) {
    if (entry.manifest) {
      const Manifest& m = *entry.manifest;
      fmt::print("{:<14} {:<17} {:<8} {:<14} {}{}\n", m.name, kind_name(m.kind), m.version, m.abi.text(),
                 m.file.string(), entry.builtin ? " (built-in)" : "");
    } else {
      ++broken;
      fmt::print("{:<14} {:<17} {:<8} {:<14} {}\n  error: {}\n", "?", "unusable", "-", "-", entry.file.string(),
                 entry.error);
    }
  }
  if (registry.entries().empty()) fmt::print("(no plugins found; built-in directory {})\n",
                                             PluginRegistry::builtin_directory().string());
  return broken == 0 ? 0 : 1;
}

int inspect(const GlobalOptions& global, const std::string& name) {
  PluginRegistry registry = make_registry(global);
  const Manifest& m = registry.find(name);
  fmt::print("name:          {}\nkind:          {}\nversion:       {}\ndescription:   {}\nmanifest:      {}\n",
             m.name, kind_name(m.kind), m.version, m.description, m.file.string());
  fmt::print("library:       {}\nentry symbol:  {}\nABI range:     {}\ndevices:       {}\n", m.library.string(),
             m.entry_symbol, m.abi.text(), fmt::join(m.devices, ", "));
  fmt::print("options:       {}\n", m.options.empty() ? "none" : "");
  for (const OptionSpec& o : m.options) {
    std::string range;
    if (o.min || o.max) {
      range = fmt::format(" in [{}, {}]", o.min ? fmt::format("{}", *o.min) : "-inf",
                          o.max ? fmt::format("{}", *o.max) : "inf");
    }
    if (!o.values.empty()) range = fmt::format(" one of {}", fmt::join(o.values, ", "));
    fmt::print("  {} ({}{}) default {}\n      {}\n", o.name, option_type_name(o.type), range,
               value_to_string(o.default_value), o.description);
  }
  auto plugin = registry.load(m);
  const marius_plugin_descriptor& d = plugin->descriptor();
  fmt::print("loaded:        built for ABI {}.{} (host speaks {}.{}), capabilities: {}\n", d.abi_major,
             d.abi_min_host_minor, MARIUS_ABI_MAJOR, MARIUS_ABI_MINOR, caps_string(plugin->capabilities()));
  return 0;
}

int check(const GlobalOptions& global, const std::vector<std::string>& names, bool all) {
  PluginRegistry registry = make_registry(global);
  OptionInputs options = parse_overrides(global.overrides);
  std::vector<std::string> targets = names;
  if (all) {
    for (const auto& entry : registry.entries()) {
      targets.push_back(entry.manifest ? entry.manifest->file.string() : entry.file.string());
    }
  }
  if (targets.empty()) fail(MARIUS_ERR_INVALID_ARGUMENT, "plugins check: name a plugin or manifest, or pass --all");
  int failed = 0;
  for (const std::string& target : targets) {
    std::shared_ptr<const LoadedPlugin> plugin;
    try {
      plugin = registry.load(registry.find(target));
    } catch (const Error& e) {
      fmt::print("FAIL  {}\n      {}\n", target, e.what());
      ++failed;
      continue;
    }
    ConformanceReport report = run_conformance(plugin, options);
    fmt::print("{}\n", report.plugin);
    for (const CheckResult& c : report.checks) {
      fmt::print("  {}  {}\n", c.passed ? "ok  " : "FAIL", c.name);
      if (!c.passed) fmt::print("        {}\n", c.detail);
    }
    fmt::print("  {} checks, {} failed\n", report.checks.size(), report.failures());
    if (!report.passed()) ++failed;
  }
  fmt::print("{} plugins checked, {} failed\n", targets.size(), failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace

void add_plugins_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  CLI::App* plugins = app.add_subcommand("plugins", "List, inspect and check plugins");
  plugins->require_subcommand(1);

  plugins->add_subcommand("list", "List the built-in plugins and those named by --plugin")
      ->callback([&] { exit_code = list(global); });

  auto* inspect_cmd = plugins->add_subcommand("inspect", "Show a plugin's manifest, options and capabilities");
  auto inspect_name = std::make_shared<std::string>();
  inspect_cmd->add_option("plugin", *inspect_name, "Plugin name or manifest path")->required();
  inspect_cmd->callback([&global, &exit_code, inspect_name] { exit_code = inspect(global, *inspect_name); });

  auto* check_cmd = plugins->add_subcommand(
      "check", "Run the conformance suite on plugins (--set key=value sets their options)");
  auto check_names = std::make_shared<std::vector<std::string>>();
  auto check_all = std::make_shared<bool>(false);
  check_cmd->add_option("plugins", *check_names, "Plugin names or manifest paths");
  check_cmd->add_flag("--all", *check_all, "Check every known plugin");
  check_cmd->callback([&global, &exit_code, check_names, check_all] {
    exit_code = check(global, *check_names, *check_all);
  });
}

}  // namespace marius::cli
