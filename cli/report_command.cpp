#include "cli/report_command.h"

#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"

extern char** environ;

namespace marius::cli {

namespace {

namespace fs = std::filesystem;

// The directory holding the Python package `marius`: the install prefix's
// lib/marius/python beside this executable, else the source tree's python/.
fs::path python_package_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> candidates;
  if (!ec) candidates.push_back(exe.parent_path() / ".." / "lib" / "marius" / "python");
  candidates.emplace_back(MARIUS_PYTHON_SOURCE_DIR);
  for (const fs::path& dir : candidates) {
    if (fs::is_regular_file(dir / "marius" / "report.py", ec)) return fs::weakly_canonical(dir, ec);
  }
  fail(MARIUS_ERR_NOT_FOUND, "report: the Python package marius (marius/report.py) is neither in {} nor in {}",
       candidates.front().string(), candidates.back().string());
}

int report(const std::string& run_dir, const std::string& out_dir) {
  const fs::path package = python_package_dir();
  const std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  std::vector<std::string> args = {python, "-m", "marius.report", run_dir};
  if (!out_dir.empty()) args.insert(args.end(), {"--out", out_dir});
  std::vector<std::string> env_strings;
  const char* old_path = std::getenv("PYTHONPATH");
  env_strings.push_back("PYTHONPATH=" + package.string() + (old_path && *old_path ? ":" + std::string(old_path) : ""));
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("PYTHONPATH=", 0) != 0) env_strings.emplace_back(*e);
  }
  std::vector<char*> argv, envp;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  if (int rc = posix_spawnp(&pid, python.c_str(), nullptr, nullptr, argv.data(), envp.data()); rc != 0) {
    fail(MARIUS_ERR_NOT_FOUND, "report: cannot start {}: {}", python, std::strerror(rc));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) fail(MARIUS_ERR_IO, "report: waiting for {}: {}", python, std::strerror(errno));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace

void add_report_command(CLI::App& app, const GlobalOptions&, int& exit_code) {
  struct Args {
    std::string run_dir, out;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("report", "Draw a run's metrics.jsonl as report.html and PNG figures (matplotlib)");
  cmd->add_option("output_dir", args->run_dir, "The run's output.dir (holding metrics.jsonl)")->required();
  cmd->add_option("--out", args->out, "Where to write report.html and figures/ (default: the run directory)");
  cmd->callback([&exit_code, args] { exit_code = report(args->run_dir, args->out); });
}

}  // namespace marius::cli
