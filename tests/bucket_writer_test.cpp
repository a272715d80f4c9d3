// BucketedEdgeWriter: edges arriving in any order land grouped by bucket, in
// arrival order within a bucket, whatever the buffer size; the buffers stay
// within their bound; disagreeing counts are internal errors naming the file.
#include "core/data/bucket_writer.h"

#include <fstream>
#include <random>

#include "core/data/dataset_format.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace marius {
namespace {

using testing::expect_error;
using testing::TempDir;

struct Triple {
  int64_t h, r, t;
  bool operator==(const Triple& o) const { return h == o.h && r == o.r && t == o.t; }
};

std::vector<Triple> read_edge_file(const fs::path& file, int32_t id_bytes) {
  std::ifstream in(file, std::ios::binary);
  std::array<char, kArrayHeaderBytes> header{};
  in.read(header.data(), header.size());
  ArrayHeader h = decode_array_header(file, ArrayKind::kEdges, header);
  EXPECT_EQ(h.value_bytes, static_cast<uint32_t>(id_bytes));
  EXPECT_EQ(fs::file_size(file), kArrayHeaderBytes + static_cast<uint64_t>(h.count) * 3 * id_bytes);
  std::vector<Triple> out;
  for (int64_t i = 0; i < h.count; ++i) {
    int64_t ids[3] = {0, 0, 0};
    for (int64_t& id : ids) {
      if (id_bytes == 4) {
        int32_t narrow = 0;
        in.read(reinterpret_cast<char*>(&narrow), 4);
        id = narrow;
      } else {
        in.read(reinterpret_cast<char*>(&id), 8);
      }
    }
    out.push_back({ids[0], ids[1], ids[2]});
  }
  return out;
}

TEST(BucketedEdgeWriter, GroupsByBucketInArrivalOrderForAnyBufferSize) {
  TempDir dir;
  const NodePartitioning parts(50, 3);
  std::mt19937 random(9);
  std::vector<Triple> edges;
  for (int i = 0; i < 5000; ++i) {
    edges.push_back({static_cast<int64_t>(random() % 50), i, static_cast<int64_t>(random() % 50)});
  }
  // Expected file: a stable sort by bucket (relation = arrival index keeps the order visible).
  std::vector<Triple> expected = edges;
  std::stable_sort(expected.begin(), expected.end(), [&](const Triple& a, const Triple& b) {
    return parts.bucket_of(a.h, a.t) < parts.bucket_of(b.h, b.t);
  });
  std::vector<int64_t> offsets(10, 0);
  for (const Triple& e : edges) ++offsets[static_cast<size_t>(parts.bucket_of(e.h, e.t)) + 1];
  for (size_t b = 1; b < offsets.size(); ++b) offsets[b] += offsets[b - 1];

  for (int32_t id_bytes : {4, 8}) {
    for (size_t buffer : {size_t{1}, size_t{1000}, kBucketBufferBytes}) {
      const fs::path file = dir.path() / "train.edges";
      BucketedEdgeWriter out(file, id_bytes, parts, offsets, buffer);
      // Each bucket's buffer: at least one edge, at most what the bucket needs.
      EXPECT_LE(out.buffer_bytes(), std::max<size_t>(buffer, 9 * 3 * static_cast<size_t>(id_bytes)));
      EXPECT_LE(out.buffer_bytes(), edges.size() * 3 * static_cast<size_t>(id_bytes));
      for (const Triple& e : edges) out.append(e.h, e.r, e.t);
      out.close();
      EXPECT_TRUE(read_edge_file(file, id_bytes) == expected) << id_bytes << " " << buffer;
    }
  }
}

TEST(BucketedEdgeWriter, BuffersStayBoundedWhateverTheEdgeCount) {
  TempDir dir;
  for (int64_t p : {1, 16, 64, 1024}) {
    const NodePartitioning parts(100000, p);
    std::vector<int64_t> offsets(static_cast<size_t>(p * p) + 1);
    for (size_t b = 0; b < offsets.size(); ++b) offsets[b] = static_cast<int64_t>(b) * 1'000'000;  // 1e6 per bucket
    BucketedEdgeWriter out(dir.path() / "train.edges", 4, parts, offsets);
    EXPECT_LE(out.buffer_bytes(), std::max<size_t>(kBucketBufferBytes, static_cast<size_t>(p * p) * 12)) << p;
    if (p <= 64) EXPECT_GT(out.buffer_bytes() / static_cast<size_t>(p * p) + 12, 4096u) << p;  // 4 KiB, whole edges
  }
}

TEST(BucketedEdgeWriter, CountsThatDisagreeAreInternalErrors) {
  TempDir dir;
  const NodePartitioning parts(4, 2);
  const fs::path file = dir.path() / "train.edges";
  {
    BucketedEdgeWriter out(file, 4, parts, {0, 0, 2, 3, 3});  // buckets (0,0): 0, (0,1): 2, (1,0): 1, (1,1): 0
    out.append(0, 0, 2);
    out.append(1, 0, 3);
    expect_error([&] { out.append(0, 0, 3); }, MARIUS_ERR_INTERNAL,
                 {file.string() + ": more edges for bucket (0, 1) than the 2 counted"});
  }
  {
    BucketedEdgeWriter out(file, 4, parts, {0, 0, 2, 3, 3});
    expect_error([&] { out.append(0, 0, 0); }, MARIUS_ERR_INTERNAL,
                 {"more edges for bucket (0, 0) than the 0 counted"});
  }
  {
    BucketedEdgeWriter out(file, 4, parts, {0, 0, 2, 3, 3});
    out.append(0, 0, 2);
    out.append(1, 0, 3);
    expect_error([&] { out.close(); }, MARIUS_ERR_INTERNAL, {"bucket (1, 0) received 0 edges, 1 were counted"});
  }
  expect_error([&] { BucketedEdgeWriter(file, 4, parts, {0, 2, 1, 3, 3}); }, MARIUS_ERR_INTERNAL, {"not sorted"});
}

}  // namespace
}  // namespace marius
