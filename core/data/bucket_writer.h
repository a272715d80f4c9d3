// core/data/bucket_writer.h - writes train.edges grouped by bucket from edges
// that arrive in any order.
//
// The bucket sizes must be known before the first edge (a counting pass over
// the input): bucket b occupies edges [offsets[b], offsets[b + 1]) of the file.
// Each appended edge goes to the next free slot of its bucket, so edges keep
// their arrival order within a bucket. Edges are staged in one small buffer per
// bucket; a full buffer goes to the file with one positional write. The buffers
// hold at most max(buffer_bytes, p * p edges) bytes together (each bucket gets
// buffer_bytes / (p * p) bytes, at least one edge, and never more than the
// bucket needs), plus 32 bytes of bookkeeping per bucket: memory does not grow
// with the number of edges. With the default 16 MiB and p <= 64 every buffer
// holds at least 4 KiB (rounded down to whole edges); with more partitions the
// writes get smaller (slower), never the bound larger than stated.
//
// Errors name the file. Appending more edges to a bucket than counted, or
// closing with a bucket not full, is an internal error (the counting pass and
// the writing pass disagree).
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <vector>

#include "core/data/partitioning.h"
#include "core/data/dataset_format.h"

namespace marius {

inline constexpr size_t kBucketBufferBytes = size_t{16} << 20;

class BucketedEdgeWriter {
 public:
  // `bucket_offsets`: partitioning.num_buckets() + 1 non-decreasing values from 0.
  BucketedEdgeWriter(const std::filesystem::path& file, int32_t id_bytes, const NodePartitioning& partitioning,
                     std::vector<int64_t> bucket_offsets, size_t buffer_bytes = kBucketBufferBytes);
  BucketedEdgeWriter(const BucketedEdgeWriter&) = delete;
  BucketedEdgeWriter& operator=(const BucketedEdgeWriter&) = delete;
  ~BucketedEdgeWriter();  // closes the file without reporting errors; call close() to see them

  void append(int64_t head, int64_t relation, int64_t tail) {
    const auto b = static_cast<size_t>(partitioning_.bucket_of(head, tail));
    Bucket& bucket = buckets_[b];
    if (bucket.used == bucket.capacity) {
      flush(b);
      if (bucket.next == offsets_[b + 1]) overrun(b);
    }
    char* out = buffers_.data() + bucket.buffer + bucket.used * record_bytes_;
    encode_edge(out, id_bytes_, head, relation, tail);
    ++bucket.used;
  }

  // Writes every buffer, checks that every bucket received exactly its count,
  // writes the edge file header and fsyncs.
  void close();
  // Bytes held by the staging buffers (for tests of the bound above).
  size_t buffer_bytes() const { return buffers_.size(); }

 private:
  struct Bucket {
    int64_t next = 0;       // file slot (edge index) of the first buffered edge
    uint64_t buffer = 0;    // byte offset of this bucket's buffer in buffers_
    uint32_t used = 0;      // buffered edges
    uint32_t capacity = 0;  // buffer size in edges
  };
  void flush(size_t b);  // writes bucket b's buffered edges (failing if they overrun it)
  [[noreturn]] void overrun(size_t b) const;

  std::filesystem::path file_;
  int fd_ = -1;
  int32_t id_bytes_;
  size_t record_bytes_;
  NodePartitioning partitioning_;
  std::vector<int64_t> offsets_;
  std::vector<Bucket> buckets_;
  std::vector<char> buffers_;
};

// Generated training edges (generate --kind powerlaw, sbm --partitions):
// `draw` gives the next edge of a random stream and `rewind` restarts the
// stream, so the same `count` edges are drawn twice, once to count each
// bucket's edges and once into `file` through a BucketedEdgeWriter (one pass
// with one partition). Logs progress in 10% steps from a million edges.
struct DrawnEdges {
  BucketIndex buckets;
  std::vector<int64_t> degrees;  // per node: edges it heads or tails
};
using EdgeDraw = std::function<void(int64_t& head, int64_t& relation, int64_t& tail)>;
DrawnEdges write_drawn_train_edges(const std::filesystem::path& file, int32_t id_bytes,
                                   const NodePartitioning& partitioning, int64_t count, const EdgeDraw& draw,
                                   const std::function<void()>& rewind);

}  // namespace marius
