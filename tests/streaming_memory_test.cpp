// Peak memory of marius-run generate --kind powerlaw and preprocess with 16
// partitions does not grow with the number of edges: each runs as a child
// process twice, with few and with many edges over the same nodes, and the
// difference of the two peaks (wait4's ru_maxrss of each child) must stay far
// below what holding the extra edges in memory would take.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "test_util.h"

extern char** environ;

namespace fs = std::filesystem;

namespace marius {
namespace {

using testing::TempDir;

// marius-run beside this test binary (both are built into bin/).
fs::path marius_run() { return fs::read_symlink("/proc/self/exe").parent_path() / "marius-run"; }

struct ChildRun {
  int exit_code = -1;
  int64_t peak_rss_bytes = 0;
};

// Runs marius-run ARGS with output to LOG; reports its exit code and peak RSS.
ChildRun run(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<std::string> all = {marius_run().string(), "--log-level", "warn"};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ChildRun result;
  if (spawned != 0) {
    ADD_FAILURE() << "cannot start " << argv[0] << ": " << std::strerror(spawned);
    return result;
  }
  int status = 0;
  struct rusage usage {};
  if (::wait4(pid, &status, 0, &usage) != pid) {
    ADD_FAILURE() << "wait4 failed";
    return result;
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.peak_rss_bytes = static_cast<int64_t>(usage.ru_maxrss) * 1024;  // KiB on Linux
  return result;
}

std::string text_of(const fs::path& file) {
  std::ifstream in(file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(StreamingMemory, GeneratePowerLawPeakDoesNotGrowWithEdges) {
  ASSERT_TRUE(fs::exists(marius_run())) << marius_run();
  TempDir dir;
  auto generate = [&](int64_t edges, const std::string& name) {
    ChildRun r = run({"generate", "--kind", "powerlaw", "--nodes", "100000", "--edges", std::to_string(edges),
                      "--partitions", "16", "--output", (dir.path() / name).string()},
                     dir.path() / (name + ".log"));
    EXPECT_EQ(r.exit_code, 0) << text_of(dir.path() / (name + ".log"));
    return r;
  };
  const int64_t many = 20'000'000;
  ChildRun few_run = generate(100'000, "few");
  ChildRun many_run = generate(many, "many");
  EXPECT_EQ(fs::file_size(dir.path() / "many" / "train.edges"), 24u + static_cast<uint64_t>(many) * 12);
  const int64_t growth = many_run.peak_rss_bytes - few_run.peak_rss_bytes;
  const int64_t edge_bytes = (many - 100'000) * 12;  // the extra edges at 4-byte ids
  RecordProperty("peak_rss_few", std::to_string(few_run.peak_rss_bytes));
  RecordProperty("peak_rss_many", std::to_string(many_run.peak_rss_bytes));
  EXPECT_LT(growth, edge_bytes / 4) << fmt::format("peak {} bytes with 100k edges, {} with {} edges",
                                                   few_run.peak_rss_bytes, many_run.peak_rss_bytes, many);
}

// An integer edge list "i,j" over nodes 0..nodes-1 (a chain first, so all appear).
void write_edge_list(const fs::path& file, int64_t nodes, int64_t edges) {
  std::FILE* out = std::fopen(file.c_str(), "w");
  ASSERT_NE(out, nullptr);
  fmt::memory_buffer text;
  uint64_t x = 88172645463325252ull;  // xorshift64
  for (int64_t i = 0; i < edges; ++i) {
    int64_t h = i + 1 < nodes ? i : 0, t = i + 1 < nodes ? i + 1 : 0;
    if (i + 1 >= nodes) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      h = static_cast<int64_t>(x % static_cast<uint64_t>(nodes));
      t = static_cast<int64_t>((x >> 32) % static_cast<uint64_t>(nodes));
    }
    fmt::format_to(std::back_inserter(text), "{},{}\n", h, t);
    if (text.size() > (1u << 20)) {
      std::fwrite(text.data(), 1, text.size(), out);
      text.clear();
    }
  }
  std::fwrite(text.data(), 1, text.size(), out);
  std::fclose(out);
}

TEST(StreamingMemory, PreprocessPeakDoesNotGrowWithEdges) {
  ASSERT_TRUE(fs::exists(marius_run())) << marius_run();
  TempDir dir;
  const int64_t nodes = 50'000, many = 6'000'000;
  auto preprocess = [&](int64_t edges, const std::string& name) {
    fs::path input = dir.path() / (name + ".csv");
    write_edge_list(input, nodes, edges);
    ChildRun r = run({"preprocess", "--train", input.string(), "--delimiter", "comma", "--ids", "integer",
                      "--partitions", "16", "--output", (dir.path() / name).string()},
                     dir.path() / (name + ".log"));
    EXPECT_EQ(r.exit_code, 0) << text_of(dir.path() / (name + ".log"));
    fs::remove(input);
    return r;
  };
  ChildRun few_run = preprocess(nodes, "few");
  ChildRun many_run = preprocess(many, "many");
  EXPECT_EQ(fs::file_size(dir.path() / "many" / "train.edges"), 24u + static_cast<uint64_t>(many) * 12);
  const int64_t growth = many_run.peak_rss_bytes - few_run.peak_rss_bytes;
  const int64_t edge_bytes = (many - nodes) * 12;
  RecordProperty("peak_rss_few", std::to_string(few_run.peak_rss_bytes));
  RecordProperty("peak_rss_many", std::to_string(many_run.peak_rss_bytes));
  EXPECT_LT(growth, edge_bytes / 2) << fmt::format("peak {} bytes with {} edges, {} with {} edges",
                                                   few_run.peak_rss_bytes, nodes, many_run.peak_rss_bytes, many);
}

}  // namespace
}  // namespace marius
