#include "core/data/line_reader.h"

#include <cerrno>
#include <cstring>

#include <zlib.h>

#include "core/data/binary_file.h"
#include "core/error.h"
#include "core/logging.h"

namespace fs = std::filesystem;

namespace marius {

namespace {

constexpr size_t kInitialBuffer = size_t{1} << 20;
constexpr unsigned kZlibBuffer = 1u << 18;
constexpr int64_t kProgressCheckLines = int64_t{1} << 16;  // how often to look at the clock
constexpr std::chrono::seconds kProgressInterval{5};

gzFile as_gz(void* gz) { return static_cast<gzFile>(gz); }

}  // namespace

LineReader::LineReader(const fs::path& file) : path_(file), buffer_(kInitialBuffer) {
  std::error_code ec;
  fs::file_status status = fs::status(file, ec);
  if (!fs::exists(status)) fail(MARIUS_ERR_NOT_FOUND, "{}: no such file", file.string());
  if (fs::is_directory(status)) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: is a directory, not an edge list", file.string());
  if (fs::is_regular_file(status)) file_bytes_ = fs::file_size(file, ec);
  errno = 0;
  gz_ = gzopen(file.c_str(), "rb");
  if (gz_ == nullptr) fail_system(file, "cannot open", errno != 0 ? errno : ENOMEM);
  gzbuffer(as_gz(gz_), kZlibBuffer);
  start_ = last_report_ = std::chrono::steady_clock::now();
}

LineReader::~LineReader() {
  if (gz_ != nullptr) gzclose(as_gz(gz_));
}

bool LineReader::fill() {
  if (eof_) return false;
  // Keep the unread tail at the front; grow when one line fills the buffer.
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
  size_t room = buffer_.size() - end_;
  unsigned ask = room > (1u << 30) ? (1u << 30) : static_cast<unsigned>(room);
  int got = gzread(as_gz(gz_), buffer_.data() + end_, ask);
  // zlib reports a truncated gzip stream (Z_BUF_ERROR) only once the data ends.
  int code = Z_OK;
  const char* message = gzerror(as_gz(gz_), &code);
  if (got < 0 || (got == 0 && code != Z_OK)) {
    if (code == Z_ERRNO) fail_system(path_, "read failed", errno);
    fail(MARIUS_ERR_IO, "{}: cannot read after line {}: {} (corrupt or truncated gzip data)", path_.string(),
         line_number_, message);
  }
  if (got == 0) {
    eof_ = true;
    return false;
  }
  end_ += static_cast<size_t>(got);
  return true;
}

bool LineReader::next(std::string_view& line) {
  for (;;) {
    const char* data = buffer_.data();
    const void* newline = begin_ < end_ ? std::memchr(data + begin_, '\n', end_ - begin_) : nullptr;
    size_t stop;
    if (newline != nullptr) {
      stop = static_cast<size_t>(static_cast<const char*>(newline) - data);
    } else if (fill()) {
      continue;
    } else if (begin_ < end_) {
      stop = end_;  // the last line has no '\n'
    } else {
      return false;
    }
    size_t length = stop - begin_;
    if (length > 0 && data[begin_ + length - 1] == '\r') --length;
    line = std::string_view(data + begin_, length);
    begin_ = stop < end_ ? stop + 1 : stop;
    if (++line_number_ == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    if (line_number_ % kProgressCheckLines == 0) report_progress();
    return true;
  }
}

void LineReader::report_progress() {
  auto now = std::chrono::steady_clock::now();
  if (now - last_report_ < kProgressInterval) return;
  last_report_ = now;
  double seconds = std::chrono::duration<double>(now - start_).count();
  double rate = seconds > 0 ? static_cast<double>(line_number_) / seconds : 0.0;
  if (file_bytes_ > 0) {
    double done = 100.0 * static_cast<double>(gzoffset(as_gz(gz_))) / static_cast<double>(file_bytes_);
    logger().info("{}: {} lines read ({:.0f} lines/s, {:.0f}% of the file)", path_.string(), line_number_, rate, done);
  } else {
    logger().info("{}: {} lines read ({:.0f} lines/s)", path_.string(), line_number_, rate);
  }
}

}  // namespace marius
