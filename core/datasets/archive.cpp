#include "core/datasets/archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <vector>

#include "core/data/binary_file.h"
#include "core/error.h"

namespace marius {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The member's path below `dir`, or an error for one that would leave it.
fs::path safe_member_path(const fs::path& archive, const std::string& name) {
  fs::path member(name);
  if (name.empty() || member.is_absolute()) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: member \"{}\" has an absolute path; refused", archive.string(), name);
  }
  for (const auto& part : member) {
    if (part == "..") {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: member \"{}\" climbs out of the directory with \"..\"; refused",
           archive.string(), name);
    }
  }
  return member.lexically_normal();
}

}  // namespace

std::string archive_reason(::archive* reader) {
  const char* reason = archive_error_string(reader);
  return reason != nullptr ? reason : "unknown error";
}

bool is_archive_name(const std::string& file_name) {
  for (const char* suffix : {".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz"}) {
    if (ends_with(file_name, suffix)) return true;
  }
  return false;
}

namespace {

// Calls `on_file(name, read)` for every regular file of `archive` in order;
// `read(sink)` hands the member's bytes to sink(const char*, size_t) block by
// block. Directories are skipped; links and devices are refused; a corrupt
// archive is Error(IO) naming it.
template <typename OnFile>
void for_each_file(const fs::path& archive, OnFile on_file) {
  std::unique_ptr<struct archive, int (*)(struct archive*)> reader(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(reader.get());
  archive_read_support_format_tar(reader.get());
  archive_read_support_format_gnutar(reader.get());
  archive_read_support_format_zip(reader.get());
  if (archive_read_open_filename(reader.get(), archive.c_str(), 1 << 16) != ARCHIVE_OK) {
    fail(fs::exists(archive) ? MARIUS_ERR_IO : MARIUS_ERR_NOT_FOUND, "{}: cannot be opened as an archive: {}",
         archive.string(), archive_reason(reader.get()));
  }
  std::vector<char> block(1 << 16);
  for (;;) {
    struct archive_entry* entry = nullptr;
    int status = archive_read_next_header(reader.get(), &entry);
    if (status == ARCHIVE_EOF) break;
    if (status < ARCHIVE_WARN) {
      fail(MARIUS_ERR_IO, "{}: corrupt or truncated archive: {}", archive.string(), archive_reason(reader.get()));
    }
    const std::string name = archive_entry_pathname(entry) != nullptr ? archive_entry_pathname(entry) : "";
    auto type = archive_entry_filetype(entry);
    if (type == AE_IFDIR) continue;
    if (type != AE_IFREG) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: member \"{}\" is a link or a device, not a file; refused",
           archive.string(), name);
    }
    on_file(name, [&](auto sink) {
      for (;;) {
        la_ssize_t got = archive_read_data(reader.get(), block.data(), block.size());
        if (got == 0) break;
        if (got < 0) {
          fail(MARIUS_ERR_IO, "{}: member \"{}\" is corrupt or truncated: {}", archive.string(), name,
               archive_reason(reader.get()));
        }
        sink(block.data(), static_cast<size_t>(got));
      }
    });
  }
}

}  // namespace

int64_t extract_archive(const fs::path& archive, const fs::path& dir) {
  int64_t files = 0;
  for_each_file(archive, [&](const std::string& name, auto read) {
    fs::path target = dir / safe_member_path(archive, name);
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec) fail(MARIUS_ERR_IO, "{}: cannot be created: {}", target.parent_path().string(), ec.message());
    BinaryWriter out(target);
    read([&](const char* data, size_t bytes) { out.write(data, bytes); });
    out.close(false);
    ++files;
  });
  return files;
}

std::map<std::string, std::string> read_archive_members(const fs::path& archive) {
  std::map<std::string, std::string> members;
  for_each_file(archive, [&](const std::string& name, auto read) {
    if (name.empty()) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: a member without a name", archive.string());
    std::string& data = members[name];
    data.clear();
    read([&](const char* bytes, size_t size) { data.append(bytes, size); });
  });
  return members;
}

}  // namespace marius
