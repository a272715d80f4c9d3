#include "core/data/feature_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include <ATen/ATen.h>

#include "core/data/node_data.h"
#include "core/error.h"

namespace fs = std::filesystem;

namespace marius {

FeatureFile FeatureFile::open(const fs::path& file, int64_t num_nodes) {
  const NodeFileHeader h = read_node_file_header(file, {kNodeFeatures32, kNodeFeatures16});
  if (h.rows != num_nodes) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: {} rows, the dataset has {} nodes", file.string(), h.rows, num_nodes);
  }
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_system(file, "cannot open", errno);
  FeatureFile f;
  f.path_ = std::make_shared<const fs::path>(file);
  f.fd_ = std::shared_ptr<const int>(new int(fd), [](const int* p) {
    ::close(*p);
    delete p;
  });
  f.rows_ = h.rows;
  f.dim_ = h.cols;
  f.float16_ = h.kind == kNodeFeatures16;
  return f;
}

at::Tensor& l1_normalize_rows(at::Tensor& rows) {
  return rows.div_(rows.abs().sum(1, /*keepdim=*/true).clamp_min(1e-12));
}

namespace {

// Reads exactly `bytes` at `offset` of `fd`; errors name `path`.
void pread_all(int fd, const fs::path& path, char* into, uint64_t bytes, uint64_t offset) {
  uint64_t done = 0;
  while (done < bytes) {
    const ssize_t n = ::pread(fd, into + done, std::min<uint64_t>(bytes - done, uint64_t{1} << 30),
                              static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_system(path, "cannot read feature rows", errno);
    if (n == 0) fail(MARIUS_ERR_IO, "{}: truncated: {} bytes missing at offset {}", path.string(), bytes - done, offset + done);
    done += static_cast<uint64_t>(n);
  }
}

}  // namespace

void FeatureFile::read_range(int64_t first, int64_t count, float* out) const {
  if (first < 0 || count < 0 || first + count > rows_) {
    fail(MARIUS_ERR_INTERNAL, "{}: rows [{}, {}) outside [0, {})", path_->string(), first, first + count, rows_);
  }
  const uint64_t offset = kNodeFileHeaderBytes + static_cast<uint64_t>(first) * row_bytes();
  if (!float16_) {
    pread_all(*fd_, *path_, reinterpret_cast<char*>(out), static_cast<uint64_t>(count) * row_bytes(), offset);
    return;
  }
  const int64_t chunk = std::max<int64_t>(1, (int64_t{16} << 20) / static_cast<int64_t>(row_bytes()));
  std::vector<at::Half> halves(static_cast<size_t>(std::min(chunk, count) * dim_));
  for (int64_t done = 0; done < count; done += chunk) {
    const int64_t n = std::min(chunk, count - done);
    pread_all(*fd_, *path_, reinterpret_cast<char*>(halves.data()), static_cast<uint64_t>(n) * row_bytes(),
              offset + static_cast<uint64_t>(done) * row_bytes());
    at::from_blob(out + done * dim_, {n * dim_}, at::kFloat).copy_(at::from_blob(halves.data(), {n * dim_}, at::kHalf));
  }
}

at::Tensor FeatureFile::gather(const at::Tensor& ids) const {
  const int64_t n = ids.numel();
  at::Tensor out = at::empty({n, dim_}, at::kFloat);
  if (n == 0) return out;
  auto [sorted, order] = ids.contiguous().view({-1}).sort();
  const int64_t* id = sorted.data_ptr<int64_t>();
  if (id[0] < 0 || id[n - 1] >= rows_) {
    fail(MARIUS_ERR_INTERNAL, "{}: a row outside [0, {})", path_->string(), rows_);
  }
  // Distinct ids in order, their runs read at once, then scattered to the requested positions.
  at::Tensor unique_ids, inverse;
  std::tie(unique_ids, inverse, std::ignore) = at::_unique2(sorted, /*sorted=*/true, /*return_inverse=*/true, false);
  const int64_t u = unique_ids.size(0);
  const int64_t* uid = unique_ids.data_ptr<int64_t>();
  at::Tensor rows = at::empty({u, dim_}, at::kFloat);
  float* base = rows.data_ptr<float>();
  for (int64_t i = 0; i < u;) {
    int64_t j = i + 1;
    while (j < u && uid[j] == uid[j - 1] + 1) ++j;
    read_range(uid[i], j - i, base + i * dim_);
    i = j;
  }
  out.index_copy_(0, order, rows.index_select(0, inverse));
  return out;
}

FeatureFileWriter::FeatureFileWriter(const fs::path& file, int64_t rows, int64_t dim, bool float16)
    : out_(file), rows_(rows), dim_(dim), float16_(float16) {
  write_node_file_header(out_, float16 ? kNodeFeatures16 : kNodeFeatures32, rows, dim);
}

void FeatureFileWriter::append(const float* data, int64_t count) {
  if (written_ + count > rows_) fail(MARIUS_ERR_INTERNAL, "{}: more than {} feature rows", out_.path().string(), rows_);
  if (float16_) {
    at::Tensor half = at::from_blob(const_cast<float*>(data), {count * dim_}, at::kFloat).to(at::kHalf);
    out_.write(half.data_ptr(), static_cast<size_t>(count * dim_) * 2);
  } else {
    out_.write(data, static_cast<size_t>(count * dim_) * 4);
  }
  written_ += count;
}

void FeatureFileWriter::close(bool sync) {
  if (written_ != rows_) fail(MARIUS_ERR_INTERNAL, "{}: {} of {} feature rows written", out_.path().string(), written_, rows_);
  out_.close(sync);
}

}  // namespace marius
