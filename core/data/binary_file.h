// core/data/binary_file.h - buffered binary files whose errors name the file.
//
// The dataset writer, the dataset reader and preprocess's temporary files all
// go through these two classes. Every failure is a marius::Error whose message
// starts with the path: NOT_FOUND when a file to read is missing, NO_SPACE when
// the disk is full, IO for any other system error, INVALID_ARGUMENT when a file
// ends before the bytes asked for (a truncated file).
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace marius {

// Writes a new file (truncating an existing one).
class BinaryWriter {
 public:
  explicit BinaryWriter(const std::filesystem::path& path);
  BinaryWriter(const BinaryWriter&) = delete;
  BinaryWriter& operator=(const BinaryWriter&) = delete;
  ~BinaryWriter();  // closes without reporting errors; call close() to see them

  void write(const void* data, size_t bytes);
  // Rewrites `bytes` at `offset` (e.g. a header whose counts are known only at
  // the end) and returns to the end of the file.
  void write_at(uint64_t offset, const void* data, size_t bytes);
  uint64_t bytes_written() const { return size_; }
  // Flushes, optionally fsyncs (so the data survives a crash once the
  // directory holding it is renamed into place), and closes.
  void close(bool sync);
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  uint64_t size_ = 0;
};

// Reads an existing file from the start.
class BinaryReader {
 public:
  explicit BinaryReader(const std::filesystem::path& path);
  BinaryReader(const BinaryReader&) = delete;
  BinaryReader& operator=(const BinaryReader&) = delete;
  ~BinaryReader();

  uint64_t size() const { return size_; }
  // Reads exactly `bytes`; a file ending earlier is reported as truncated.
  void read(void* data, size_t bytes);
  // Reads up to `bytes`; returns how many were read (0 at the end).
  size_t read_some(void* data, size_t bytes);
  // Moves to `offset` bytes from the start (at most size()).
  void seek(uint64_t offset);
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  uint64_t size_ = 0;
};

// Throws Error "PATH: WHAT: <strerror(errno)>" with the status of `error_number`
// (marius/sdk/errno_status.hpp: NO_SPACE, NOT_FOUND, OUT_OF_MEMORY or IO).
[[noreturn]] void fail_system(const std::filesystem::path& path, const std::string& what, int error_number);

}  // namespace marius
