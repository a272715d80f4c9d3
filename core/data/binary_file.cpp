#include "core/data/binary_file.h"

#include <cerrno>
#include <cstring>

#include <unistd.h>

#include "core/error.h"
#include "marius/sdk/errno_status.hpp"

namespace marius {

namespace {
constexpr size_t kBufferBytes = size_t{1} << 20;
}

void fail_system(const std::filesystem::path& path, const std::string& what, int error_number) {
  fail(sdk::status_of_errno(error_number), "{}: {}: {}", path.string(), what, std::strerror(error_number));
}

// ---- BinaryWriter ----------------------------------------------------------------------

BinaryWriter::BinaryWriter(const std::filesystem::path& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) fail_system(path, "cannot create", errno);
  std::setvbuf(file_, nullptr, _IOFBF, kBufferBytes);
}

BinaryWriter::~BinaryWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void BinaryWriter::write(const void* data, size_t bytes) {
  if (bytes == 0) return;
  if (std::fwrite(data, 1, bytes, file_) != bytes) fail_system(path_, "write failed", errno);
  size_ += bytes;
}

void BinaryWriter::write_at(uint64_t offset, const void* data, size_t bytes) {
  if (std::fseek(file_, static_cast<long>(offset), SEEK_SET) != 0) fail_system(path_, "seek failed", errno);
  if (std::fwrite(data, 1, bytes, file_) != bytes) fail_system(path_, "write failed", errno);
  if (std::fseek(file_, 0, SEEK_END) != 0) fail_system(path_, "seek failed", errno);
  if (offset + bytes > size_) size_ = offset + bytes;
}

void BinaryWriter::close(bool sync) {
  std::FILE* file = file_;
  file_ = nullptr;
  if (std::fflush(file) != 0) {
    int error_number = errno;
    std::fclose(file);
    fail_system(path_, "write failed", error_number);
  }
  if (sync && ::fsync(fileno(file)) != 0) {
    int error_number = errno;
    std::fclose(file);
    fail_system(path_, "fsync failed", error_number);
  }
  if (std::fclose(file) != 0) fail_system(path_, "close failed", errno);
}

// ---- BinaryReader ----------------------------------------------------------------------

BinaryReader::BinaryReader(const std::filesystem::path& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) fail_system(path, "cannot open", errno);
  std::setvbuf(file_, nullptr, _IOFBF, kBufferBytes);
  std::error_code ec;
  size_ = std::filesystem::file_size(path, ec);
  if (ec) fail_system(path, "cannot read its size", ec.value());
}

BinaryReader::~BinaryReader() {
  if (file_ != nullptr) std::fclose(file_);
}

void BinaryReader::read(void* data, size_t bytes) {
  size_t got = read_some(data, bytes);
  if (got != bytes) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: truncated: the file ends {} bytes early", path_.string(), bytes - got);
  }
}

void BinaryReader::seek(uint64_t offset) {
  if (offset > size_) {
    fail(MARIUS_ERR_OUT_OF_RANGE, "{}: cannot seek to byte {} of a {}-byte file", path_.string(), offset, size_);
  }
  if (::fseeko(file_, static_cast<off_t>(offset), SEEK_SET) != 0) fail_system(path_, "seek failed", errno);
}

size_t BinaryReader::read_some(void* data, size_t bytes) {
  size_t got = std::fread(data, 1, bytes, file_);
  if (got != bytes && std::ferror(file_)) fail_system(path_, "read failed", errno);
  return got;
}

}  // namespace marius
