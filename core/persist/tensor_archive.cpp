#include "core/persist/tensor_archive.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include <ATen/ATen.h>
#include <zlib.h>

#include "core/error.h"

namespace fs = std::filesystem;

namespace marius {

namespace {

constexpr char kMagic[8] = {'M', 'A', 'R', 'I', 'U', 'S', 'T', 'A'};
constexpr uint32_t kVersion = 1;

template <class T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

class Cursor {
 public:
  Cursor(const std::string& data, const fs::path& file) : data_(data), file_(file) {}
  void take(void* out, size_t n) {
    if (n > data_.size() - pos_) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: truncated or corrupt", file_.string());
    std::memcpy(out, data_.data() + pos_, n);
    pos_ += n;
  }
  template <class T>
  T get() {
    T v;
    take(&v, sizeof v);
    return v;
  }
  size_t remaining() const { return data_.size() - pos_; }

 private:
  const std::string& data_;
  const fs::path& file_;
  size_t pos_ = 0;
};

}  // namespace

void save_tensor_archive(const fs::path& file, const std::string& text, const NamedTensors& tensors) {
  std::string out(kMagic, 8);
  put<uint32_t>(out, kVersion);
  put<uint64_t>(out, text.size());
  out += text;
  put<uint32_t>(out, static_cast<uint32_t>(tensors.size()));
  for (const auto& [name, tensor] : tensors) {
    at::Tensor t = tensor.detach().contiguous().cpu();
    const bool f32 = t.scalar_type() == at::kFloat;
    if (!f32 && t.scalar_type() != at::kLong) t = t.to(at::kFloat);
    put<uint32_t>(out, static_cast<uint32_t>(name.size()));
    out += name;
    put<uint8_t>(out, t.scalar_type() == at::kFloat ? 0 : 1);
    put<uint8_t>(out, static_cast<uint8_t>(t.dim()));
    for (int64_t s : t.sizes()) put<int64_t>(out, s);
    out.append(static_cast<const char*>(t.data_ptr()), t.nbytes());
  }
  put<uint32_t>(out, static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(out.data()), out.size())));
  fs::path tmp = file;
  tmp += ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(MARIUS_ERR_IO, "{}: cannot create: {}", tmp.string(), std::strerror(errno));
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::write(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      std::error_code ec;
      fs::remove(tmp, ec);
      fail(err == ENOSPC || err == EDQUOT ? MARIUS_ERR_NO_SPACE : MARIUS_ERR_IO, "{}: write failed: {}", tmp.string(),
           std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    std::error_code ec;
    fs::remove(tmp, ec);
    fail(MARIUS_ERR_IO, "{}: fsync failed: {}", tmp.string(), std::strerror(errno));
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) fail(MARIUS_ERR_IO, "{}: rename failed: {}", file.string(), ec.message());
}

NamedTensors load_tensor_archive(const fs::path& file, std::string* text) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(MARIUS_ERR_NOT_FOUND, "{}: cannot open (no checkpoint?)", file.string());
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.size() < 8 + 4 + 8 + 4 + 4 || std::memcmp(data.data(), kMagic, 8) != 0) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: not a marius tensor archive", file.string());
  }
  uint32_t stored;
  std::memcpy(&stored, data.data() + data.size() - 4, 4);
  if (stored != static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(data.data()), data.size() - 4))) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: CRC mismatch (corrupt or truncated)", file.string());
  }
  data.resize(data.size() - 4);
  Cursor c(data, file);
  char magic[8];
  c.take(magic, 8);
  if (c.get<uint32_t>() != kVersion) fail(MARIUS_ERR_VERSION_MISMATCH, "{}: unknown archive version", file.string());
  const uint64_t text_bytes = c.get<uint64_t>();
  if (text_bytes > c.remaining()) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: corrupt header", file.string());
  text->assign(text_bytes, '\0');
  c.take(text->data(), text_bytes);
  NamedTensors out;
  const uint32_t count = c.get<uint32_t>();
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t name_bytes = c.get<uint32_t>();
    if (name_bytes > c.remaining()) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: corrupt tensor name", file.string());
    std::string name(name_bytes, '\0');
    c.take(name.data(), name_bytes);
    const uint8_t dtype = c.get<uint8_t>(), ndim = c.get<uint8_t>();
    if (dtype > 1 || ndim > 8) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: tensor '{}' has a corrupt header", file.string(), name);
    std::vector<int64_t> sizes;
    uint64_t numel = 1;
    for (uint8_t k = 0; k < ndim; ++k) {
      const int64_t s = c.get<int64_t>();
      if (s < 0 || (s > 0 && numel > c.remaining() / static_cast<uint64_t>(s))) {
        fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: tensor '{}' has a corrupt shape", file.string(), name);
      }
      numel *= static_cast<uint64_t>(s);
      sizes.push_back(s);
    }
    const uint64_t bytes = numel * (dtype == 0 ? 4 : 8);
    if (bytes > c.remaining()) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: tensor '{}' is truncated", file.string(), name);
    at::Tensor t = at::empty(sizes, dtype == 0 ? at::kFloat : at::kLong);
    c.take(t.data_ptr(), bytes);
    out.emplace_back(std::move(name), std::move(t));
  }
  if (c.remaining() != 0) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: trailing bytes", file.string());
  return out;
}

}  // namespace marius
