// core/dist/launcher.cpp - see launcher.h.
#include "core/dist/launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "core/error.h"

extern char** environ;

namespace marius {
namespace {

std::atomic<int> g_forward_signal{0};  // a SIGINT or SIGTERM the launcher received, to pass on

extern "C" void remember_signal(int signal) { g_forward_signal.store(signal); }

uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail(MARIUS_ERR_IO, "launch: socket: {}", std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int e = errno;
    ::close(fd);
    fail(MARIUS_ERR_IO, "launch: finding a free port on 127.0.0.1: {}", std::strerror(e));
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

struct Worker {
  pid_t pid = -1;
  int output = -1;       // read end of its stdout + stderr
  std::string pending;   // a partial line
  bool running = true;
  int status = 0;
};

void emit_lines(Worker& w, int32_t rank, std::FILE* out, bool flush_partial) {
  size_t start = 0;
  for (size_t newline; (newline = w.pending.find('\n', start)) != std::string::npos; start = newline + 1) {
    fmt::print(out, "[rank {}] {}\n", rank, std::string_view(w.pending).substr(start, newline - start));
  }
  w.pending.erase(0, start);
  if (flush_partial && !w.pending.empty()) {
    fmt::print(out, "[rank {}] {}\n", rank, w.pending);
    w.pending.clear();
  }
  std::fflush(out);
}

}  // namespace

LaunchResult launch_local(const LaunchOptions& options) {
  if (options.workers < 1) fail(MARIUS_ERR_INVALID_ARGUMENT, "launch: -n {}: expected at least 1 worker", options.workers);
  if (options.arguments.empty()) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "launch: no command to run (marius-run launch -n N -- train CONFIG)");
  }
  LaunchResult result;
  result.master_port = options.master_port != 0 ? options.master_port : free_port();
  std::vector<std::string> argv_text = {"marius-run"};
  argv_text.insert(argv_text.end(), options.arguments.begin(), options.arguments.end());
  std::vector<char*> argv;
  for (std::string& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);

  struct sigaction forward {}, old_int {}, old_term {};
  forward.sa_handler = remember_signal;
  sigemptyset(&forward.sa_mask);
  g_forward_signal.store(0);
  sigaction(SIGINT, &forward, &old_int);
  sigaction(SIGTERM, &forward, &old_term);

  std::vector<Worker> workers(static_cast<size_t>(options.workers));
  std::fflush(options.out);
  for (int32_t rank = 0; rank < options.workers; ++rank) {
    // The worker's environment, built before fork: between fork and exec the
    // child (of a process that may run other threads) calls only
    // async-signal-safe functions.
    const std::vector<std::pair<std::string, std::string>> world = {
        {"WORLD_SIZE", std::to_string(options.workers)}, {"RANK", std::to_string(rank)},
        {"LOCAL_RANK", std::to_string(rank)},           {"LOCAL_WORLD_SIZE", std::to_string(options.workers)},
        {"MASTER_ADDR", "127.0.0.1"},                    {"MASTER_PORT", std::to_string(result.master_port)}};
    std::vector<std::string> env_text;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry = *e;
      const std::string name = entry.substr(0, entry.find('='));
      if (std::none_of(world.begin(), world.end(), [&](const auto& w) { return w.first == name; })) env_text.push_back(entry);
    }
    for (const auto& [name, value] : world) env_text.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (std::string& e : env_text) envp.push_back(e.data());
    envp.push_back(nullptr);
    static const char kExecFailed[] = "launch: cannot run the worker program\n";

    int fds[2];
    if (::pipe(fds) != 0) fail(MARIUS_ERR_IO, "launch: pipe: {}", std::strerror(errno));
    const pid_t pid = ::fork();
    if (pid < 0) fail(MARIUS_ERR_IO, "launch: fork: {}", std::strerror(errno));
    if (pid == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::dup2(fds[1], STDERR_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      ::signal(SIGINT, SIG_DFL);
      ::signal(SIGTERM, SIG_DFL);
      ::execve(options.program.c_str(), argv.data(), envp.data());
      [[maybe_unused]] const ssize_t ignored = ::write(STDERR_FILENO, kExecFailed, sizeof kExecFailed - 1);
      ::_exit(127);
    }
    ::close(fds[1]);
    workers[static_cast<size_t>(rank)].pid = pid;
    workers[static_cast<size_t>(rank)].output = fds[0];
  }

  using Clock = std::chrono::steady_clock;
  bool stopping = false;
  Clock::time_point kill_at{};
  auto stop_others = [&](int signal) {
    for (Worker& w : workers) {
      if (w.running) ::kill(w.pid, signal);
    }
  };
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<size_t> owner;
    for (size_t r = 0; r < workers.size(); ++r) {
      if (workers[r].output >= 0) fds.push_back({workers[r].output, POLLIN, 0}), owner.push_back(r);
    }
    const bool any_running = std::any_of(workers.begin(), workers.end(), [](const Worker& w) { return w.running; });
    if (fds.empty() && !any_running) break;
    if (!fds.empty()) ::poll(fds.data(), fds.size(), 100);
    else ::usleep(100 * 1000);
    for (size_t i = 0; i < fds.size(); ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      Worker& w = workers[owner[i]];
      char buffer[65536];
      const ssize_t n = ::read(w.output, buffer, sizeof buffer);
      if (n > 0) {
        w.pending.append(buffer, static_cast<size_t>(n));
        emit_lines(w, static_cast<int32_t>(owner[i]), options.out, false);
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        emit_lines(w, static_cast<int32_t>(owner[i]), options.out, true);
        ::close(w.output);
        w.output = -1;
      }
    }
    for (size_t r = 0; r < workers.size(); ++r) {
      Worker& w = workers[r];
      if (!w.running || ::waitpid(w.pid, &w.status, WNOHANG) != w.pid) continue;
      w.running = false;
      const bool failed = !WIFEXITED(w.status) || WEXITSTATUS(w.status) != 0;
      if (failed && result.failed_rank < 0) {
        result.failed_rank = static_cast<int32_t>(r);
        if (WIFSIGNALED(w.status)) {
          result.exit_code = 128 + WTERMSIG(w.status);
          result.failure = fmt::format("rank {} was killed by signal {}", r, WTERMSIG(w.status));
        } else {
          result.exit_code = WEXITSTATUS(w.status);
          result.failure = fmt::format("rank {} exited with {}", r, WEXITSTATUS(w.status));
        }
      }
      if (failed && !stopping) {
        stopping = true;
        stop_others(SIGTERM);
        kill_at = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(options.grace_seconds * 1000));
      }
    }
    if (const int s = g_forward_signal.exchange(0); s != 0) {
      stop_others(s);
      if (!stopping) {
        stopping = true;
        kill_at = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(options.grace_seconds * 1000));
      }
    }
    if (stopping && Clock::now() >= kill_at) stop_others(SIGKILL);
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  return result;
}

}  // namespace marius
