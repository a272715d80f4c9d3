#include "core/datasets/fetch.h"

#include <chrono>
#include <fstream>

#include "core/datasets/archive.h"
#include "core/datasets/converters.h"
#include "core/datasets/download.h"
#include "core/datasets/sha256.h"
#include "core/error.h"
#include "core/logging.h"

namespace marius {

namespace fs = std::filesystem;

namespace {

void write_text_atomically(const fs::path& file, const std::string& text) {
  fs::path tmp = file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    out.flush();
    if (!out) fail(MARIUS_ERR_IO, "{}: cannot be written", tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) fail(MARIUS_ERR_IO, "{}: cannot be renamed to {}: {}", tmp.string(), file.string(), ec.message());
}

std::string read_first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

// Where a download comes from, for messages and for fetching it.
std::string source_of(const DatasetEntry& entry, const DatasetDownload& d, const FetchOptions& o) {
  if (!o.from.empty()) return fs::is_directory(o.from) ? (o.from / d.file).string() : o.from.string();
  if (!o.mirror.empty()) {
    if (o.mirror.find("://") != std::string::npos) return o.mirror + "/" + entry.name + "/" + d.file;
    return "file://" + (fs::absolute(o.mirror) / entry.name / d.file).lexically_normal().string();
  }
  return d.url;
}

void obtain(const DatasetEntry& entry, const DatasetDownload& d, const FetchOptions& o, const fs::path& dest) {
  if (!o.from.empty()) {
    if (!fs::is_directory(o.from) && entry.downloads.size() != 1) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "--from {}: {} has {} downloads; give a directory that holds them by name", o.from.string(),
           entry.name, entry.downloads.size());
    }
    fs::path src = source_of(entry, d, o);
    if (!fs::exists(src)) fail(MARIUS_ERR_NOT_FOUND, "--from: {} is missing (the download {} of {})", src.string(), d.file, entry.name);
    fs::path part = dest;
    part += ".part";
    std::error_code ec;
    fs::copy_file(src, part, fs::copy_options::overwrite_existing, ec);
    if (ec) fail(ec == std::errc::no_space_on_device ? MARIUS_ERR_NO_SPACE : MARIUS_ERR_IO, "{}: cannot be copied to {}: {}",
                 src.string(), part.string(), ec.message());
    fs::rename(part, dest);
    return;
  }
  if (o.progress != nullptr) fmt::print(o.progress, "{}: downloading {}\n", entry.name, source_of(entry, d, o));
  auto start = std::chrono::steady_clock::now();
  download_file(source_of(entry, d, o), dest, o.progress);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (o.progress != nullptr) {
    double mb = static_cast<double>(fs::file_size(dest)) / 1e6;
    fmt::print(o.progress, "{}: {}: {:.1f} MB in {:.1f} s ({:.1f} MB/s)\n", entry.name, d.file, mb, seconds,
               seconds > 0 ? mb / seconds : 0.0);
  }
}

// What verify() established: a line for the user, and the digest that
// identifies the file's bytes (its SHA-256, or its git blob id).
struct Verified {
  std::string message;
  std::string digest;
};

// Checks a download against the registry. A file that fails is moved to
// FILE.rejected before the error.
Verified verify(const DatasetEntry& entry, const DatasetDownload& d, const FetchOptions& o, const fs::path& file) {
  auto reject = [&](const char* kind, const std::string& actual, const std::string& expected) {
    fs::path rejected = file;
    rejected += ".rejected";
    std::error_code ec;
    fs::rename(file, rejected, ec);
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "{}: {} {} does not match {} {}: the file from {} is corrupt or not the one published; it was moved to {} "
         "(fetch again to download it anew{})",
         file.string(), kind, actual, !d.sha256.empty() || !d.git_blob.empty() ? "the registry's" : "the one recorded at the first fetch",
         expected, source_of(entry, d, o), rejected.string(),
         !d.sha256.empty() || !d.git_blob.empty()
             ? std::string()
             : fmt::format("; if the publisher has replaced the file, delete {}.sha256 to accept the new one", file.string()));
  };
  if (!d.sha256.empty()) {
    std::string actual = sha256_file(file);
    if (actual != d.sha256) reject("sha256", actual, d.sha256);
    return {d.file + ": sha256 verified", actual};
  }
  if (!d.git_blob.empty()) {
    std::string actual = git_blob_id_file(file);
    if (actual != d.git_blob) reject("git blob id", actual, d.git_blob);
    return {d.file + ": git blob id verified (the registry pins the file by its git object id)", actual};
  }
  fs::path record = file;
  record += ".sha256";
  std::string actual = sha256_file(file);
  if (fs::exists(record)) {
    std::string expected = read_first_line(record).substr(0, 64);
    if (actual != expected) reject("sha256", actual, expected);
    return {d.file + ": sha256 matches the one recorded at the first fetch (the publisher gives no checksum)", actual};
  }
  write_text_atomically(record, actual + "  " + d.file + "\n");
  return {d.file + ": sha256 " + actual + " recorded in " + record.filename().string() +
              " (the publisher gives no checksum: compare it with another copy if it matters)",
          actual};
}

}  // namespace

namespace {
FetchResult fetch_files(const DatasetEntry& entry, const FetchOptions& o);  // fetch_dataset, less its error mapping
}  // namespace

std::string dataset_config(const DatasetEntry& entry, const fs::path& dataset_dir, const fs::path& output_dir) {
  std::string head = fmt::format(
      "# {}: {}\n# {}\n# Licence: {}\n# Cite: {}\n# Written by `marius-run datasets fetch {}`; train with\n"
      "#   marius-run train {}.toml\n# Paths are relative to this file's directory.\n\n[dataset]\npath = \"{}\"\n\n",
      entry.title, entry.counts, entry.publisher, entry.licence, entry.citation, entry.name, entry.name,
      dataset_dir.string(), entry.name);
  if (entry.task == "node-classification") {
    return head + fmt::format(
                      "[model]\ntask = \"node_classification\"\nencoder = \"graphsage\"\n"
                      "encoder_options = {{ aggregator = \"mean\", dropout = 0.5 }}\nlayers = 2\nhidden_dim = 128\n"
                      "fanouts = \"25,10\"\ndirection = \"both\"\nnormalize_features = true\n\n"
                      "[training]\nepochs = 50\nbatch_size = 1000\nthreads = 2\nseed = 0\n\n"
                      "[optimizer]\ndense = \"adam\"\ndense_learning_rate = 0.01\nweight_decay = 5e-4\n\n"
                      "[evaluation]\nevery_epoch = false\n\n[output]\ndir = \"{}\"\n",
                      output_dir.string());
  }
  bool relations = entry.layout == DatasetLayout::kKg ||
                   (entry.layout == DatasetLayout::kOgbLink && entry.keys == "head_relation_tail");
  std::string evaluation = fmt::format("protocol = \"{}\"\n", entry.protocol);
  if (!entry.hits_at.empty()) evaluation += fmt::format("hits_at = \"{}\"\n", entry.hits_at);
  return head + fmt::format(
                    "[model]\nscore = \"{}\"\ndim = 100\ninit = \"normal\"\ninit_scale = 0.001\n\n"
                    "[negatives]\nsampler = \"uniform\"\nchunks = 10\nper_chunk = 500\n"
                    "anchor_negatives = true   # the chunk's own nodes too: without them a node ranks itself first\n\n"
                    "[training]\nepochs = 10\nbatch_size = 1000\nloss = \"softmax\"\nreduction = \"sum\"\n{}"
                    "threads = 2\nseed = 0\n\n[optimizer]\nlearning_rate = 0.1\n\n[evaluation]\n{}"
                    "every_epoch = false\n\n[output]\ndir = \"{}\"\n",
                    relations ? "complex" : "dot",
                    relations ? "regularization = \"n3\"\nregularization_weight = 0.005\n" : "", evaluation,
                    output_dir.string());
}

FetchResult fetch_dataset(const DatasetEntry& entry, const FetchOptions& o) {
  try {
    return fetch_files(entry, o);
  } catch (const fs::filesystem_error& e) {
    fail(e.code() == std::errc::no_space_on_device ? MARIUS_ERR_NO_SPACE : MARIUS_ERR_IO, "datasets fetch {}: {}", entry.name,
         e.what());
  }
}

namespace {

FetchResult fetch_files(const DatasetEntry& entry, const FetchOptions& o) {
  const fs::path root = o.dir / entry.name;
  const fs::path downloads = root / "downloads";
  fs::create_directories(downloads);
  FetchResult result;
  std::string stamp;
  for (const auto& d : entry.downloads) {
    fs::path file = downloads / d.file;
    if (!fs::exists(file)) obtain(entry, d, o, file);
    Verified v = verify(entry, d, o, file);
    result.checks.push_back(v.message);
    if (is_archive_name(d.file)) stamp += d.file + " " + v.digest + "\n";
  }
  // Unpack the archives, unless source/ already holds exactly these.
  const fs::path source = root / "source";
  const fs::path stamp_file = source / ".unpacked";
  std::string old_stamp;
  if (fs::exists(stamp_file)) {
    std::ifstream in(stamp_file);
    old_stamp.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (!stamp.empty() && old_stamp != stamp) {
    fs::path tmp = root / "source.tmp";
    fs::remove_all(tmp);
    fs::create_directories(tmp);
    for (const auto& d : entry.downloads) {
      if (!is_archive_name(d.file)) continue;
      if (o.progress != nullptr) fmt::print(o.progress, "{}: unpacking {}\n", entry.name, d.file);
      extract_archive(downloads / d.file, tmp);
    }
    write_text_atomically(tmp / ".unpacked", stamp);
    fs::remove_all(source);
    fs::rename(tmp, source);
  }
  LocateFile locate = [&](const std::string& relative) -> fs::path {
    for (const fs::path& base : {source, downloads}) {
      fs::path p = base / relative;
      if (fs::is_regular_file(p)) return p;
    }
    fail(MARIUS_ERR_NOT_FOUND, "{}: the downloads hold no {} (looked in {} and {}): not the publisher's layout",
         entry.name, relative, source.string(), downloads.string());
  };
  const fs::path converted = root / "converted";
  fs::remove_all(converted);
  if (o.progress != nullptr) fmt::print(o.progress, "{}: converting the {} layout\n", entry.name, layout_name(entry.layout));
  PreprocessOptions options = convert_dataset(entry, locate, converted);
  options.output = root / "dataset";
  options.partitions = o.partitions;
  result.preprocessed = preprocess(options);
  result.dataset = result.preprocessed.output;
  result.config = root / (entry.name + ".toml");
  write_text_atomically(result.config, dataset_config(entry, "dataset", fs::path("..") / "output" / entry.name));
  return result;
}

}  // namespace

}  // namespace marius
