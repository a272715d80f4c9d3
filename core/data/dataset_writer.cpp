#include "core/data/dataset_writer.h"

#include <fmt/format.h>

namespace marius {

namespace {
constexpr size_t kEdgeBufferBytes = size_t{1} << 20;
}

EdgeFileWriter::EdgeFileWriter(const std::filesystem::path& file, int32_t id_bytes)
    : out_(file), id_bytes_(id_bytes), buffer_(kEdgeBufferBytes) {
  auto header = encode_array_header({ArrayKind::kEdges, static_cast<uint32_t>(id_bytes), 0});
  out_.write(header.data(), header.size());
}

void EdgeFileWriter::flush() {
  out_.write(buffer_.data(), used_);
  used_ = 0;
}

void EdgeFileWriter::close() {
  flush();
  auto header = encode_array_header({ArrayKind::kEdges, static_cast<uint32_t>(id_bytes_), count_});
  out_.write_at(0, header.data(), header.size());
  out_.close(true);
}

int64_t write_name_file(const std::filesystem::path& file, const IdDictionary& names) {
  BinaryWriter out(file);
  for (int64_t id = 0; id < names.size(); ++id) {
    std::string_view name = names.name(id);
    out.write(name.data(), name.size());
    out.write("\n", 1);
  }
  auto bytes = static_cast<int64_t>(out.bytes_written());
  out.close(true);
  return bytes;
}

void write_degrees_file(const std::filesystem::path& file, const std::vector<int64_t>& degrees) {
  BinaryWriter out(file);
  auto header = encode_array_header({ArrayKind::kDegrees, 8, static_cast<int64_t>(degrees.size())});
  out.write(header.data(), header.size());
  out.write(degrees.data(), degrees.size() * sizeof(int64_t));
  out.close(true);
}

void write_buckets_file(const std::filesystem::path& file, const BucketIndex& index) {
  BinaryWriter out(file);
  std::vector<char> bytes = encode_buckets(index);
  out.write(bytes.data(), bytes.size());
  out.close(true);
}

void write_header_file(const std::filesystem::path& dir, const DatasetHeader& header) {
  BinaryWriter out(dir / kHeaderFile);
  auto bytes = encode_header(header);
  out.write(bytes.data(), bytes.size());
  out.close(true);
}

int64_t write_numbered_names(const std::filesystem::path& file, int64_t count) {
  BinaryWriter out(file);
  fmt::memory_buffer text;
  for (int64_t i = 0; i < count; ++i) {
    fmt::format_int digits(i);
    text.append(digits.data(), digits.data() + digits.size());
    text.push_back('\n');
    if (text.size() > (size_t{1} << 20)) {
      out.write(text.data(), text.size());
      text.clear();
    }
  }
  if (count == 0) text.push_back('\n');
  out.write(text.data(), text.size());
  auto bytes = static_cast<int64_t>(out.bytes_written());
  out.close(true);
  return bytes;
}

}  // namespace marius
