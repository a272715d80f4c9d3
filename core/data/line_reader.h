// core/data/line_reader.h - reads a text file line by line, gzip or plain.
//
// Files go through zlib's gzopen/gzread, which decompresses gzip data and passes
// any other file through unchanged, so "edges.tsv" and "edges.tsv.gz" read the
// same. Lines end at '\n'; a trailing '\r' (Windows line ends) and a UTF-8 byte
// order mark at the start of the file are dropped; the last line needs no '\n'.
// Lines may be of any length. For long reads the progress (lines, lines/s, and
// the share of the file consumed) is logged at info level every few seconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

namespace marius {

class LineReader {
 public:
  // Throws Error NOT_FOUND for a missing file, INVALID_ARGUMENT for a directory,
  // IO when it cannot be opened.
  explicit LineReader(const std::filesystem::path& file);
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  ~LineReader();

  // The next line, without its line end; false at the end of the file. The
  // view stays valid until the next call. Throws Error(IO) naming the file when
  // the data cannot be read (for example a corrupt or truncated gzip stream).
  bool next(std::string_view& line);

  // The 1-based number of the line `next` returned last.
  int64_t line_number() const { return line_number_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  bool fill();  // reads more data; false at the end of the file
  void report_progress();

  std::filesystem::path path_;
  void* gz_ = nullptr;  // gzFile
  std::vector<char> buffer_;
  size_t begin_ = 0;  // unread data is buffer_[begin_, end_)
  size_t end_ = 0;
  bool eof_ = false;
  int64_t line_number_ = 0;
  uint64_t file_bytes_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_report_;
};

}  // namespace marius
