// core/dist/cluster.cpp - see cluster.h.
#include "core/dist/cluster.h"

#include <algorithm>
#include <mutex>
#include <sstream>
#include <thread>

#include <fmt/ranges.h>

#include <fmt/format.h>

#include "core/error.h"
#include "core/logging.h"

#ifdef MARIUS_WITH_DISTRIBUTED
#include <ATen/ATen.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace marius {

std::string first_difference(const std::string& here, const std::string& there, int32_t there_rank) {
  std::istringstream a(here), b(there);
  std::string x, y;
  for (int line = 1;; ++line) {
    const bool more_a = static_cast<bool>(std::getline(a, x));
    const bool more_b = static_cast<bool>(std::getline(b, y));
    if (!more_a && !more_b) return "";
    if (!more_a) x = "(end)";
    if (!more_b) y = "(end)";
    if (!more_a || !more_b || x != y) return fmt::format("line {}: `{}` here, `{}` on rank {}", line, x, y, there_rank);
  }
}

#ifdef MARIUS_WITH_DISTRIBUTED

bool distributed_available() { return true; }

struct Cluster::Impl {
  WorldSpec world;
  std::chrono::milliseconds timeout{0};
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  std::mutex stats_mutex;  // store calls may come from several threads (a heartbeat)
  CommStats stats;

  // Runs `body`, turning c10d's and Gloo's exceptions into Error(IO) naming `what`.
  template <class Body>
  auto guarded(const std::string& what, Body&& body) -> decltype(body()) {
    try {
      return body();
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      std::string message = e.what();
      const size_t newline = message.find('\n');  // c10::Error appends a C++ backtrace
      if (newline != std::string::npos) message.resize(newline);
      fail(MARIUS_ERR_IO, "distributed ({}): {}: {}", world.describe(), what, message);
    }
  }
};

namespace {

bool is_loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

std::string agreement_key(int32_t rank, const std::string& name) { return fmt::format("marius/agree/{}/{}", rank, name); }

}  // namespace

std::unique_ptr<Cluster> Cluster::join(const WorldSpec& world, const std::vector<Agreement>& agreements,
                                       std::chrono::milliseconds timeout) {
  auto impl = std::make_unique<Impl>();
  impl->world = world;
  impl->timeout = timeout;
  Impl& c = *impl;
  const double seconds = static_cast<double>(timeout.count()) / 1000;
  const std::string reach = world.rank == 0 ? "starting the rendezvous store"
                                            : fmt::format("reaching rank 0's rendezvous store (waited {:g} s)", seconds);
  c.guarded(reach, [&] {
    c10d::TCPStoreOptions options;
    options.port = world.master_port;
    options.isServer = world.rank == 0;
    options.waitWorkers = false;  // joining is checked below, naming who is missing
    options.timeout = timeout;
    c.store = c10::make_intrusive<c10d::TCPStore>(world.master_addr, options);
  });
  // Every worker announces itself, then waits for all of them.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  c.guarded("joining", [&] {
    c.store->set(fmt::format("marius/joined/{}", world.rank), std::vector<uint8_t>{1});
    c.store->add("marius/joined", 1);
    for (int64_t sleep_ms = 1;; sleep_ms = std::min<int64_t>(sleep_ms * 2, 100)) {
      const int64_t joined = c.store->add("marius/joined", 0);
      if (joined >= world.world_size) return;
      if (std::chrono::steady_clock::now() >= deadline) {
        std::vector<int32_t> missing;
        for (int32_t r = 0; r < world.world_size; ++r) {
          if (!c.store->check({fmt::format("marius/joined/{}", r)})) missing.push_back(r);
        }
        fail(MARIUS_ERR_IO, "distributed ({}): after {:g} s only {} of the {} workers have joined; missing rank(s) {}",
             world.describe(), seconds, joined, world.world_size, fmt::join(missing, ", "));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
    }
  });
  // Publish what must agree, then check every other worker's.
  c.guarded("publishing the configuration", [&] {
    for (const Agreement& a : agreements) {
      c.store->set(agreement_key(world.rank, a.name), std::vector<uint8_t>(a.text.begin(), a.text.end()));
    }
  });
  std::string difference;  // the first, reported once every worker has read what it needs from rank 0's store
  for (int32_t other = 0; other < world.world_size && difference.empty(); ++other) {
    if (other == world.rank) continue;
    for (const Agreement& a : agreements) {
      const std::vector<uint8_t> bytes = c.guarded(fmt::format("waiting for rank {}'s {}", other, a.name), [&] {
        return c.store->get(agreement_key(other, a.name));
      });
      const std::string theirs(bytes.begin(), bytes.end());
      const std::string where = first_difference(a.text, theirs, other);
      if (!where.empty()) {
        difference = fmt::format("distributed ({}): the {} differs from rank {}'s, {}; every worker must run the same "
                                 "one", world.describe(), a.name, other, where);
        break;
      }
    }
  }
  // Rank 0 serves the store: it waits (up to the timeout) until every worker
  // has compared, so that none meets a closed store instead of the difference.
  c.guarded("comparing", [&] {
    c.store->add("marius/compared", 1);
    if (world.rank != 0) return;
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (c.store->add("marius/compared", 0) < world.world_size && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  if (!difference.empty()) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}", difference);
  c.guarded("creating the Gloo process group", [&] {
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname != nullptr && ifname[0] != '\0') {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    } else if (is_loopback(world.master_addr)) {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    } else {
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    options->threads = 2;
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("marius/gloo", c.store);
    c.group = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, world.rank, world.world_size, options);
  });
  std::unique_ptr<Cluster> cluster(new Cluster(std::move(impl)));
  cluster->barrier();
  cluster->take_stats();
  logger().info("distributed: joined as {}", world.describe());
  return cluster;
}

struct Cluster::PendingSum {
  c10::intrusive_ptr<c10d::Work> work;
  at::Tensor tensor;
  std::chrono::steady_clock::time_point started;
};

std::shared_ptr<Cluster::PendingSum> Cluster::start_all_reduce_sum(const at::Tensor& tensor) {
  Impl& c = *impl_;
  if (!tensor.is_contiguous() || tensor.device().type() != c10::kCPU) {
    fail(MARIUS_ERR_INTERNAL, "all-reduce: a contiguous CPU tensor is required");
  }
  auto pending = std::make_shared<PendingSum>();
  pending->tensor = tensor;
  pending->started = std::chrono::steady_clock::now();
  c.guarded(fmt::format("all-reduce of {} values", tensor.numel()), [&] {
    std::vector<at::Tensor> tensors{tensor};
    pending->work = c.group->allreduce(tensors);
  });
  const int64_t n = c.world.world_size;
  const uint64_t bytes = static_cast<uint64_t>(tensor.numel()) * tensor.element_size();
  const uint64_t moved = bytes * 2 * static_cast<uint64_t>(n - 1) / static_cast<uint64_t>(n);
  std::lock_guard<std::mutex> lock(c.stats_mutex);
  c.stats.collectives += 1;  // counted when started; the time when waited for
  c.stats.bytes_sent += moved;
  c.stats.bytes_received += moved;
  return pending;
}

void Cluster::wait(PendingSum& pending) {
  Impl& c = *impl_;
  const auto start = std::chrono::steady_clock::now();
  c.guarded(fmt::format("all-reduce of {} values", pending.tensor.numel()), [&] { pending.work->wait(c.timeout); });
  std::lock_guard<std::mutex> lock(c.stats_mutex);
  c.stats.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Cluster::barrier() {
  Impl& c = *impl_;
  const auto start = std::chrono::steady_clock::now();
  c.guarded(fmt::format("barrier (waiting up to distributed.timeout = {:g} s for every worker)",
                        static_cast<double>(c.timeout.count()) / 1000),
            [&] { c.group->barrier()->wait(c.timeout); });
  std::lock_guard<std::mutex> lock(c.stats_mutex);
  c.stats.collectives += 1;
  c.stats.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

namespace {

std::vector<uint8_t> bytes_of(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

}  // namespace

// Every store call is timed and its bytes counted (key and values sent, value received).
template <class Body>
static auto counted_store_call(Cluster::Impl& c, const std::string& what, uint64_t sent, Body&& body) {
  const auto start = std::chrono::steady_clock::now();
  std::string result = c.guarded(what, body);
  std::lock_guard<std::mutex> lock(c.stats_mutex);
  c.stats.store_ops += 1;
  c.stats.store_bytes_sent += sent;
  c.stats.store_bytes_received += result.size();
  c.stats.store_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

std::string Cluster::store_get(const std::string& key) {
  Impl& c = *impl_;
  return counted_store_call(c, fmt::format("reading {} from the store", key), key.size(), [&] {
    const std::vector<uint8_t> v = c.store->get(key);
    return std::string(v.begin(), v.end());
  });
}

void Cluster::store_set(const std::string& key, const std::string& value) {
  Impl& c = *impl_;
  counted_store_call(c, fmt::format("writing {} to the store", key), key.size() + value.size(), [&] {
    c.store->set(key, bytes_of(value));
    return std::string();
  });
}

std::string Cluster::store_compare_set(const std::string& key, const std::string& expected, const std::string& desired) {
  Impl& c = *impl_;
  return counted_store_call(c, fmt::format("updating {} in the store", key), key.size() + expected.size() + desired.size(),
                            [&] {
                              const std::vector<uint8_t> v = c.store->compareSet(key, bytes_of(expected), bytes_of(desired));
                              return std::string(v.begin(), v.end());
                            });
}

int64_t Cluster::store_add(const std::string& key, int64_t delta) {
  Impl& c = *impl_;
  const std::string sum = counted_store_call(c, fmt::format("adding to {} in the store", key), key.size() + 8, [&] {
    return std::to_string(c.store->add(key, delta));
  });
  return std::stoll(sum);
}

bool Cluster::store_check(const std::string& key) {
  Impl& c = *impl_;
  return counted_store_call(c, fmt::format("looking for {} in the store", key), key.size(), [&] {
           return std::string(c.store->check({key}) ? "1" : "");
         }) == "1";
}

#else  // built without c10d/Gloo

bool distributed_available() { return false; }

struct Cluster::Impl {
  WorldSpec world;
  std::chrono::milliseconds timeout{0};
  std::mutex stats_mutex;
  CommStats stats;
};

std::unique_ptr<Cluster> Cluster::join(const WorldSpec& world, const std::vector<Agreement>&, std::chrono::milliseconds) {
  fail(MARIUS_ERR_UNSUPPORTED,
       "distributed ({}): this marius was built without torch c10d/Gloo (configured with MARIUS_DISTRIBUTED=OFF, or "
       "CMake found no Gloo headers: install libgloo-dev and configure again)", world.describe());
}

struct Cluster::PendingSum {};
std::shared_ptr<Cluster::PendingSum> Cluster::start_all_reduce_sum(const at::Tensor&) {
  fail(MARIUS_ERR_UNSUPPORTED, "distributed: built without c10d");
}
void Cluster::wait(PendingSum&) { fail(MARIUS_ERR_UNSUPPORTED, "distributed: built without c10d"); }
void Cluster::barrier() { fail(MARIUS_ERR_UNSUPPORTED, "distributed: built without c10d"); }
std::string Cluster::store_get(const std::string&) { fail(MARIUS_ERR_UNSUPPORTED, "distributed: built without c10d"); }
void Cluster::store_set(const std::string&, const std::string&) {
  fail(MARIUS_ERR_UNSUPPORTED, "distributed: built without c10d");
}
std::string Cluster::store_compare_set(const std::string&, const std::string&, const std::string&) {
  fail(MARIUS_ERR_UNSUPPORTED, "distributed: built without c10d");
}
int64_t Cluster::store_add(const std::string&, int64_t) { fail(MARIUS_ERR_UNSUPPORTED, "distributed: built without c10d"); }
bool Cluster::store_check(const std::string&) { fail(MARIUS_ERR_UNSUPPORTED, "distributed: built without c10d"); }

#endif

void Cluster::all_reduce_sum(at::Tensor& tensor) { wait(*start_all_reduce_sum(tensor)); }

Cluster::Cluster(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Cluster::~Cluster() = default;
const WorldSpec& Cluster::world() const { return impl_->world; }
std::chrono::milliseconds Cluster::timeout() const { return impl_->timeout; }

CommStats Cluster::take_stats() {
  std::lock_guard<std::mutex> lock(impl_->stats_mutex);
  CommStats s = impl_->stats;
  impl_->stats = CommStats{};
  return s;
}

}  // namespace marius
