// core/datasets/fetch.h - a registry entry from its publisher to a dataset directory.
//
// fetch_dataset() lays out DIR/NAME/ as
//   downloads/   the publisher's files, verified (FILE.sha256 beside a file whose
//                publisher gives no checksum: recorded on the first fetch)
//   source/      the archives unpacked (redone only when a download changed)
//   converted/   what needed rewriting for preprocess (pickles, OGB's CSVs)
//   dataset/     preprocess's output: what `dataset.path` names
//   NAME.toml    a training config for the task, evaluated by the set's protocol
// A download already in downloads/ and verified is not fetched again; an
// interrupted one resumes (download.h). A checksum that does not match is an
// error naming the file, both sums and the source; the file is moved aside to
// FILE.rejected so that the next fetch downloads it again.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/data/preprocess.h"
#include "core/datasets/catalog.h"

namespace marius {

struct FetchOptions {
  std::filesystem::path dir = "datasets";
  // A mirror: a directory or a URL (file://, http://, ...) holding NAME/FILE
  // for each download; replaces the publisher's URLs.
  std::string mirror;
  // A local copy: the download itself (an entry with one download) or a
  // directory holding the downloads by file name. Verified like a download.
  std::filesystem::path from;
  int64_t partitions = 1;  // preprocess --partitions
  std::FILE* progress = stderr;  // nullptr: silent
};

struct FetchResult {
  std::filesystem::path dataset;  // DIR/NAME/dataset
  std::filesystem::path config;   // DIR/NAME/NAME.toml
  PreprocessResult preprocessed;
  // One line per download: "FILE: sha256 verified", "... recorded (the
  // publisher gives no checksum)", ...
  std::vector<std::string> checks;
};

FetchResult fetch_dataset(const DatasetEntry& entry, const FetchOptions& options);

// The config fetch writes beside the dataset (a link-prediction or a node-
// classification run on `dataset_dir`, writing under `output_dir`).
std::string dataset_config(const DatasetEntry& entry, const std::filesystem::path& dataset_dir,
                           const std::filesystem::path& output_dir);

}  // namespace marius
