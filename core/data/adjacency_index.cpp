#include "core/data/adjacency_index.h"

#include <algorithm>
#include <memory>
#include <tuple>
#include <cstring>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "core/data/binary_file.h"
#include "core/data/dataset_format.h"
#include "core/error.h"
#include "core/logging.h"

namespace fs = std::filesystem;

namespace marius {

namespace {

constexpr char kMagic[8] = {'M', 'A', 'R', 'I', 'U', 'S', 'A', 'J'};
constexpr uint32_t kVersion = 1;
constexpr size_t kIndexHeaderBytes = 48;
constexpr const char* kFiles[] = {"adjacency_in.bin", "adjacency_out.bin", nullptr};
constexpr int64_t kEdgeChunk = int64_t{1} << 16;  // training edges read at a time

fs::path file_of(const fs::path& dir, AdjacencySide side) { return dir / kFiles[side == AdjacencySide::kIn ? 0 : 1]; }

struct Header {
  uint32_t id_bytes = 0;
  int64_t num_nodes = 0, entries = 0, num_relations = 0;
};

void encode(char* out, const Header& h) {
  std::memset(out, 0, kIndexHeaderBytes);
  std::memcpy(out, kMagic, 8);
  std::memcpy(out + 8, &kVersion, 4);
  std::memcpy(out + 12, &h.id_bytes, 4);
  std::memcpy(out + 16, &h.num_nodes, 8);
  std::memcpy(out + 24, &h.entries, 8);
  std::memcpy(out + 32, &h.num_relations, 8);
}

// Calls fn(head, relation, tail) for every training edge, streaming train.edges
// through one buffer of kEdgeChunk edges (nothing is allocated per chunk, so
// memory stays flat, also under AddressSanitizer's quarantine). Ids are
// checked against the dataset's counts.
template <class Fn>
void for_each_train_edge(const Dataset& dataset, Fn&& fn) {
  const DatasetInfo& info = dataset.info();
  const int64_t m = info.num_edges[static_cast<int>(Split::kTrain)];
  const fs::path file = dataset.dir() / edge_file_name(Split::kTrain);
  const size_t id_bytes = static_cast<size_t>(info.id_bytes);
  BinaryReader in(file);
  in.seek(kArrayHeaderBytes);
  std::vector<char> buffer(static_cast<size_t>(kEdgeChunk) * 3 * id_bytes);
  auto id = [&](const char* p) {
    if (id_bytes == 4) {
      int32_t v;
      std::memcpy(&v, p, 4);
      return static_cast<int64_t>(v);
    }
    int64_t v;
    std::memcpy(&v, p, 8);
    return v;
  };
  for (int64_t begin = 0; begin < m; begin += kEdgeChunk) {
    const int64_t n = std::min(kEdgeChunk, m - begin);
    in.read(buffer.data(), static_cast<size_t>(n) * 3 * id_bytes);
    for (int64_t i = 0; i < n; ++i) {
      const char* e = buffer.data() + static_cast<size_t>(i) * 3 * id_bytes;
      const int64_t h = id(e), r = id(e + id_bytes), t = id(e + 2 * id_bytes);
      if (h < 0 || h >= info.num_nodes || t < 0 || t >= info.num_nodes || r < 0 || r >= std::max<int64_t>(1, info.num_relations)) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: edge {} ({} {} {}) is out of range", file.string(), begin + i, h, r, t);
      }
      fn(h, r, t);
    }
  }
}

// One side's file: pairs appended in row order, offsets counted, both written at finish().
class SideWriter {
 public:
  SideWriter(const fs::path& file, const Header& header)
      : out_(file), header_(header), counts_(static_cast<size_t>(header.num_nodes) + 1, 0) {
    char h[kIndexHeaderBytes];
    encode(h, header_);
    out_.write(h, kIndexHeaderBytes);
  }

  // Appends (neighbor, relation) to `row`; rows come in order, a row's pairs sorted.
  void add(int64_t row, int64_t neighbor, int64_t relation) {
    if (header_.id_bytes == 4) {
      const int32_t pair[2] = {static_cast<int32_t>(neighbor), static_cast<int32_t>(relation)};
      out_.write(pair, sizeof pair);
    } else {
      const int64_t pair[2] = {neighbor, relation};
      out_.write(pair, sizeof pair);
    }
    ++counts_[static_cast<size_t>(row) + 1];
  }

  void finish() {
    for (size_t v = 1; v < counts_.size(); ++v) counts_[v] += counts_[v - 1];
    out_.write(counts_.data(), counts_.size() * sizeof(int64_t));
    header_.entries = counts_.back();
    char h[kIndexHeaderBytes];
    encode(h, header_);
    out_.write_at(0, h, kIndexHeaderBytes);
    out_.close(/*sync=*/true);
  }

 private:
  BinaryWriter out_;
  Header header_;
  std::vector<int64_t> counts_;
};

// An entry of the external sort: side 0 (in) or 1 (out), row, neighbour, relation.
struct Entry {
  int64_t side, row, neighbor, relation;
  bool operator<(const Entry& o) const {
    return std::tie(side, row, neighbor, relation) < std::tie(o.side, o.row, o.neighbor, o.relation);
  }
  bool operator==(const Entry& o) const {
    return side == o.side && row == o.row && neighbor == o.neighbor && relation == o.relation;
  }
};

// A sorted run file read back a bufferful at a time.
class RunReader {
 public:
  RunReader(const fs::path& file, size_t buffer_entries) : in_(file), buffer_(buffer_entries) { refill(); }
  bool done() const { return next_ == size_; }
  const Entry& head() const { return buffer_[next_]; }
  void pop() {
    if (++next_ == size_) refill();
  }

 private:
  void refill() {
    const size_t bytes = in_.read_some(buffer_.data(), buffer_.size() * sizeof(Entry));
    size_ = bytes / sizeof(Entry);
    next_ = 0;
  }
  BinaryReader in_;
  std::vector<Entry> buffer_;
  size_t next_ = 0, size_ = 0;
};

}  // namespace

const char* const* adjacency_index_file_names() { return kFiles; }

// An external sort of both sides' entries: runs of memory_budget bytes sorted in
// memory and written to temporary files in `dir`, then merged (repeats dropped)
// straight into the two files.
void write_adjacency_index(const Dataset& dataset, const fs::path& dir, uint64_t memory_budget) {
  const DatasetInfo& info = dataset.info();
  const size_t run_entries = std::max<size_t>(16, memory_budget / sizeof(Entry));
  std::vector<fs::path> runs;
  std::vector<Entry> buffer;
  buffer.reserve(std::min<size_t>(run_entries, 2 * static_cast<size_t>(info.num_edges[static_cast<int>(Split::kTrain)])));
  auto flush = [&] {
    if (buffer.empty()) return;
    std::sort(buffer.begin(), buffer.end());
    buffer.erase(std::unique(buffer.begin(), buffer.end()), buffer.end());
    runs.push_back(dir / fmt::format("adjacency-run-{}.tmp", runs.size()));
    BinaryWriter w(runs.back());
    w.write(buffer.data(), buffer.size() * sizeof(Entry));
    w.close(/*sync=*/false);
    buffer.clear();
  };
  for_each_train_edge(dataset, [&](int64_t h, int64_t r, int64_t t) {
    buffer.push_back({0, t, h, r});
    buffer.push_back({1, h, t, r});
    if (buffer.size() + 2 > run_entries) flush();
  });
  flush();
  Header header;
  header.id_bytes = static_cast<uint32_t>(info.id_bytes);
  header.num_nodes = info.num_nodes;
  header.num_relations = info.num_relations;
  std::vector<std::unique_ptr<RunReader>> readers;
  readers.reserve(runs.size());
  const size_t per_run = std::max<size_t>(64, run_entries / std::max<size_t>(1, runs.size()));
  for (const fs::path& run : runs) readers.push_back(std::make_unique<RunReader>(run, per_run));
  std::vector<size_t> heap;  // readers not done, a min-heap by head()
  auto later = [&](size_t a, size_t b) { return readers[b]->head() < readers[a]->head(); };
  for (size_t k = 0; k < readers.size(); ++k) {
    if (!readers[k]->done()) heap.push_back(k);
  }
  std::make_heap(heap.begin(), heap.end(), later);
  for (int64_t side = 0; side < 2; ++side) {
    SideWriter out(file_of(dir, side == 0 ? AdjacencySide::kIn : AdjacencySide::kOut), header);
    bool any = false;
    Entry last{};
    while (!heap.empty() && readers[heap.front()]->head().side == side) {
      std::pop_heap(heap.begin(), heap.end(), later);
      RunReader& r = *readers[heap.back()];
      const Entry e = r.head();
      if (!any || !(e == last)) out.add(e.row, e.neighbor, e.relation);
      any = true;
      last = e;
      r.pop();
      if (r.done()) {
        heap.pop_back();
      } else {
        std::push_heap(heap.begin(), heap.end(), later);
      }
    }
    out.finish();
  }
  readers.clear();
  for (const fs::path& run : runs) fs::remove(run);
  logger().debug("adjacency index of {}: {} nodes, {} sorted run(s)", dir.string(), info.num_nodes, runs.size());
}

bool has_adjacency_index(const Dataset& dataset) {
  std::error_code ec;
  return fs::exists(file_of(dataset.dir(), AdjacencySide::kIn), ec) &&
         fs::exists(file_of(dataset.dir(), AdjacencySide::kOut), ec);
}

AdjacencyRows read_adjacency_index(const Dataset& dataset, AdjacencySide side) {
  const fs::path file = file_of(dataset.dir(), side);
  const DatasetInfo& info = dataset.info();
  BinaryReader r(file);
  char h[kIndexHeaderBytes];
  r.read(h, kIndexHeaderBytes);
  auto corrupt = [&](const std::string& what) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} (write the dataset again with marius-run preprocess)", file.string(), what);
  };
  if (std::memcmp(h, kMagic, 8) != 0) corrupt("not an adjacency index (bad magic)");
  uint32_t version = 0;
  std::memcpy(&version, h + 8, 4);
  if (version != kVersion) {
    fail(MARIUS_ERR_VERSION_MISMATCH, "{}: adjacency index version {}, but this build reads version {} only",
         file.string(), version, kVersion);
  }
  Header hd;
  std::memcpy(&hd.id_bytes, h + 12, 4);
  std::memcpy(&hd.num_nodes, h + 16, 8);
  std::memcpy(&hd.entries, h + 24, 8);
  std::memcpy(&hd.num_relations, h + 32, 8);
  if (hd.id_bytes != 4 && hd.id_bytes != 8) corrupt(fmt::format("id bytes {} (expected 4 or 8)", hd.id_bytes));
  if (hd.num_nodes != info.num_nodes || hd.num_relations != info.num_relations) {
    corrupt(fmt::format("written for {} nodes and {} relations, but the dataset has {} and {}", hd.num_nodes,
                        hd.num_relations, info.num_nodes, info.num_relations));
  }
  const uint64_t expected = kIndexHeaderBytes + static_cast<uint64_t>(hd.entries) * 2 * hd.id_bytes +
                            (static_cast<uint64_t>(hd.num_nodes) + 1) * sizeof(int64_t);
  if (hd.entries < 0 || r.size() != expected) {
    corrupt(fmt::format("{} bytes, expected {} for {} entries", r.size(), expected, hd.entries));
  }
  AdjacencyRows rows;
  at::Tensor pairs = at::empty({hd.entries, 2}, hd.id_bytes == 4 ? at::kInt : at::kLong);
  r.read(pairs.data_ptr(), static_cast<size_t>(pairs.nbytes()));
  rows.offsets = at::empty({hd.num_nodes + 1}, at::kLong);
  r.read(rows.offsets.data_ptr(), static_cast<size_t>(rows.offsets.nbytes()));
  pairs = pairs.to(at::kLong);
  rows.neighbors = pairs.select(1, 0).contiguous();
  rows.relations = pairs.select(1, 1).contiguous();
  const int64_t* o = rows.offsets.data_ptr<int64_t>();
  if (o[0] != 0 || o[hd.num_nodes] != hd.entries) corrupt("offsets do not span the entries");
  for (int64_t v = 0; v < hd.num_nodes; ++v) {
    if (o[v + 1] < o[v]) corrupt(fmt::format("offsets decrease at row {}", v));
  }
  if (hd.entries > 0) {
    const int64_t min_n = rows.neighbors.min().item<int64_t>(), max_n = rows.neighbors.max().item<int64_t>();
    const int64_t min_r = rows.relations.min().item<int64_t>(), max_r = rows.relations.max().item<int64_t>();
    if (min_n < 0 || max_n >= hd.num_nodes) corrupt(fmt::format("a neighbour id outside [0, {})", hd.num_nodes));
    if (min_r < 0 || max_r >= std::max<int64_t>(1, hd.num_relations)) {
      corrupt(fmt::format("a relation id outside [0, {})", hd.num_relations));
    }
  }
  return rows;
}

}  // namespace marius
