// core/data/dataset_writer.h - writes the files of a dataset directory.
//
// The layout is docs/formats.md (see dataset_format.h). Callers write into a
// staging directory (staging_dir.h) and write the header last: a directory
// without header.bin is never a dataset. Every file is fsynced when closed.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <vector>

#include "core/data/binary_file.h"
#include "core/data/dataset_format.h"
#include "core/data/id_dictionary.h"

namespace marius {

// One edge file, appended an edge at a time; the count goes into its header
// when it is closed.
class EdgeFileWriter {
 public:
  EdgeFileWriter(const std::filesystem::path& file, int32_t id_bytes);

  void append(int64_t head, int64_t relation, int64_t tail) {
    if (used_ + 3 * static_cast<size_t>(id_bytes_) > buffer_.size()) flush();
    char* out = buffer_.data() + used_;
    encode_edge(out, id_bytes_, head, relation, tail);
    used_ += 3 * static_cast<size_t>(id_bytes_);
    ++count_;
  }
  int64_t count() const { return count_; }
  void close();

 private:
  void flush();

  BinaryWriter out_;
  int32_t id_bytes_;
  int64_t count_ = 0;
  std::vector<char> buffer_;
  size_t used_ = 0;
};

// nodes.txt / relations.txt: the names in dense-id order, one per line, each
// ended by '\n'. Returns the file's size in bytes.
int64_t write_name_file(const std::filesystem::path& file, const IdDictionary& names);

// A name file with the lines "0" .. "count - 1" (generated graphs); count 0
// writes the single empty line of a plain graph's one relation. Returns its
// size in bytes.
int64_t write_numbered_names(const std::filesystem::path& file, int64_t count);

// degrees.bin.
void write_degrees_file(const std::filesystem::path& file, const std::vector<int64_t>& degrees);

// train.buckets.
void write_buckets_file(const std::filesystem::path& file, const BucketIndex& index);

// DIR/header.bin; call it after every other file is complete.
void write_header_file(const std::filesystem::path& dir, const DatasetHeader& header);

}  // namespace marius
