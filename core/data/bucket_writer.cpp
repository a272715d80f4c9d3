#include "core/data/bucket_writer.h"

#include <algorithm>

#include "core/logging.h"

#include <algorithm>
#include <cerrno>

#include <fcntl.h>
#include <unistd.h>

#include "core/data/binary_file.h"
#include "core/data/dataset_format.h"
#include "core/error.h"

namespace marius {

namespace {

// Writes all `bytes` at `offset` (pwrite may write less than asked).
void write_fully(int fd, const std::filesystem::path& file, const char* data, size_t bytes, uint64_t offset) {
  while (bytes > 0) {
    ssize_t n = ::pwrite(fd, data, bytes, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_system(file, "write failed", errno);
    }
    data += n;
    bytes -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
}

}  // namespace

BucketedEdgeWriter::BucketedEdgeWriter(const std::filesystem::path& file, int32_t id_bytes,
                                       const NodePartitioning& partitioning, std::vector<int64_t> bucket_offsets,
                                       size_t buffer_bytes)
    : file_(file),
      id_bytes_(id_bytes),
      record_bytes_(3 * static_cast<size_t>(id_bytes)),
      partitioning_(partitioning),
      offsets_(std::move(bucket_offsets)) {
  const auto buckets = static_cast<size_t>(partitioning_.num_buckets());
  if (offsets_.size() != buckets + 1 || offsets_.front() != 0 || !std::is_sorted(offsets_.begin(), offsets_.end())) {
    fail(MARIUS_ERR_INTERNAL, "{}: {} bucket offsets for {} buckets, or not sorted from 0", file.string(),
         offsets_.size(), buckets);
  }
  const size_t per_bucket = std::max<size_t>(1, buffer_bytes / buckets / record_bytes_);
  buckets_.resize(buckets);
  uint64_t total = 0;
  for (size_t b = 0; b < buckets; ++b) {
    Bucket& bucket = buckets_[b];
    bucket.next = offsets_[b];
    bucket.buffer = total;
    bucket.capacity =
        static_cast<uint32_t>(std::min<int64_t>(static_cast<int64_t>(per_bucket), offsets_[b + 1] - offsets_[b]));
    total += bucket.capacity * record_bytes_;
  }
  buffers_.resize(total);

  fd_ = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd_ < 0) fail_system(file, "cannot create", errno);
}

BucketedEdgeWriter::~BucketedEdgeWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void BucketedEdgeWriter::overrun(size_t b) const {
  fail(MARIUS_ERR_INTERNAL, "{}: more edges for bucket ({}, {}) than the {} counted", file_.string(),
       static_cast<int64_t>(b) / partitioning_.num_partitions(),
       static_cast<int64_t>(b) % partitioning_.num_partitions(), offsets_[b + 1] - offsets_[b]);
}

void BucketedEdgeWriter::flush(size_t b) {
  Bucket& bucket = buckets_[b];
  if (bucket.next + bucket.used > offsets_[b + 1]) overrun(b);
  write_fully(fd_, file_, buffers_.data() + bucket.buffer, bucket.used * record_bytes_,
              kArrayHeaderBytes + static_cast<uint64_t>(bucket.next) * record_bytes_);
  bucket.next += bucket.used;
  bucket.used = 0;
}

void BucketedEdgeWriter::close() {
  for (size_t b = 0; b < buckets_.size(); ++b) {
    flush(b);
    if (buckets_[b].next != offsets_[b + 1]) {
      fail(MARIUS_ERR_INTERNAL, "{}: bucket ({}, {}) received {} edges, {} were counted", file_.string(),
           static_cast<int64_t>(b) / partitioning_.num_partitions(),
           static_cast<int64_t>(b) % partitioning_.num_partitions(), buckets_[b].next - offsets_[b],
           offsets_[b + 1] - offsets_[b]);
    }
  }
  auto header = encode_array_header({ArrayKind::kEdges, static_cast<uint32_t>(id_bytes_), offsets_.back()});
  write_fully(fd_, file_, header.data(), header.size(), 0);
  if (::fsync(fd_) != 0) fail_system(file_, "fsync failed", errno);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail_system(file_, "close failed", errno);
}

namespace {

// Logs "generate: WHAT: DONE / TOTAL edges (P%)" in 10% steps for a million edges or more.
class DrawProgress {
 public:
  DrawProgress(const char* what, int64_t total)
      : what_(what), total_(total), step_(std::max<int64_t>(1, total / 10)), next_(total >= 1'000'000 ? step_ : INT64_MAX) {}
  void at(int64_t done) {
    if (done < next_) return;
    logger().info("generate: {}: {} / {} edges ({}%)", what_, done, total_, done * 100 / total_);
    next_ += step_;
  }

 private:
  const char* what_;
  int64_t total_, step_, next_;
};

}  // namespace

DrawnEdges write_drawn_train_edges(const std::filesystem::path& file, int32_t id_bytes,
                                   const NodePartitioning& partitioning, int64_t count, const EdgeDraw& draw,
                                   const std::function<void()>& rewind) {
  DrawnEdges out;
  out.buckets.partition_offsets = partitioning.offsets();
  std::vector<int64_t>& offsets = out.buckets.bucket_offsets;
  offsets.assign(static_cast<size_t>(partitioning.num_buckets()) + 1, 0);
  int64_t h = 0, r = 0, t = 0;
  if (partitioning.num_partitions() == 1) {
    offsets[1] = count;
  } else {
    DrawProgress progress("counting buckets", count);
    for (int64_t i = 0; i < count; ++i) {
      draw(h, r, t);
      ++offsets[static_cast<size_t>(partitioning.bucket_of(h, t)) + 1];
      progress.at(i + 1);
    }
    for (size_t b = 1; b < offsets.size(); ++b) offsets[b] += offsets[b - 1];
    rewind();
  }
  out.degrees.assign(static_cast<size_t>(partitioning.num_nodes()), 0);
  BucketedEdgeWriter writer(file, id_bytes, partitioning, offsets);
  DrawProgress progress("writing train.edges", count);
  for (int64_t i = 0; i < count; ++i) {
    draw(h, r, t);
    writer.append(h, r, t);
    ++out.degrees[static_cast<size_t>(h)];
    ++out.degrees[static_cast<size_t>(t)];
    progress.at(i + 1);
  }
  writer.close();
  return out;
}

}  // namespace marius
