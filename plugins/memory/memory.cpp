// The `memory` storage backend: files are byte vectors in RAM, for tests and for
// tables that fit in memory.
//
// Files live in one table per process, keyed by the absolute, lexically normalised
// path, and shared by every instance of this plugin: closing a file and opening it
// again, from any instance, sees its bytes. The library is linked with -z nodelete,
// so the table lasts until the process exits even when every instance is gone; a
// file's memory is released only by opening it with MARIUS_OPEN_TRUNCATE. Nothing is
// written to disk, but paths behave like files on it: the parent directory must
// exist on the real file system, and a missing file without MARIUS_OPEN_CREATE is
// NOT_FOUND. Bytes between the old end and a write past it read as zeros.
//
// Threading (MARIUS_CAP_REENTRANT): the table has a mutex, each file a reader-writer
// lock. Reads, and writes inside the file's size, hold it shared (disjoint ranges
// proceed in parallel); a write that grows the file holds it exclusively.
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "storage_common/os_file.hpp"

namespace fs = std::filesystem;
namespace mp = marius::plugins;
using marius::sdk::Error;

namespace {

struct MemoryFile {
  std::shared_mutex mu;  // shared: copies inside bytes; exclusive: resizing
  std::vector<char> bytes;
};

// The files of this process, by normalised path.
class FileTable {
 public:
  // The file at `key`, created empty when `create` is set; nullptr when it is
  // missing and `create` is not.
  std::shared_ptr<MemoryFile> find(const std::string& key, bool create) {
    std::lock_guard lock(mu_);
    auto it = files_.find(key);
    if (it != files_.end()) return it->second;
    if (!create) return nullptr;
    return files_[key] = std::make_shared<MemoryFile>();
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<MemoryFile>> files_;
};

FileTable& table() {
  static FileTable files;
  return files;
}

}  // namespace

struct marius_storage_file {
  std::shared_ptr<MemoryFile> file;
  std::string path;
  mp::Access access;
};

namespace {

bool inside(uint64_t offset, uint64_t size, uint64_t end) { return size <= end && offset <= end - size; }

class Memory : public marius::sdk::StorageBackend {
 public:
  explicit Memory(const marius::sdk::Options&) {}

  marius_storage_file* open(const marius_call_context&, const std::string& path, uint32_t flags) override {
    mp::Access access = mp::access_of(flags, path);
    std::error_code ec;
    fs::path key = fs::absolute(fs::path(path), ec).lexically_normal();
    if (ec) mp::fail_errno(ec.value(), "open", path);
    if (!fs::is_directory(key.parent_path(), ec)) mp::fail_errno(ENOENT, "open", path);
    std::shared_ptr<MemoryFile> file = table().find(key.string(), (flags & MARIUS_OPEN_CREATE) != 0);
    if (file == nullptr) mp::fail_errno(ENOENT, "open", path);
    if (flags & MARIUS_OPEN_TRUNCATE) {
      std::unique_lock lock(file->mu);
      std::vector<char>().swap(file->bytes);
    }
    return new marius_storage_file{std::move(file), path, access};
  }

  void read(const marius_call_context&, marius_storage_file* f, uint64_t offset, void* dst, uint64_t size) override {
    mp::require_access(f->access, "read", f->path);
    if (size == 0) return;
    std::shared_lock lock(f->file->mu);
    if (!inside(offset, size, f->file->bytes.size())) mp::fail_past_end(f->path, offset, size, f->file->bytes.size());
    std::memcpy(dst, f->file->bytes.data() + offset, size);
  }

  void write(const marius_call_context&, marius_storage_file* f, uint64_t offset, const void* src,
             uint64_t size) override {
    mp::require_access(f->access, "write", f->path);
    if (size == 0) return;
    MemoryFile& file = *f->file;
    {
      std::shared_lock lock(file.mu);
      if (inside(offset, size, file.bytes.size())) {
        std::memcpy(file.bytes.data() + offset, src, size);
        return;
      }
    }
    std::unique_lock lock(file.mu);
    if (offset > UINT64_MAX - size || offset + size > file.bytes.max_size()) {
      throw Error(MARIUS_ERR_OUT_OF_MEMORY, mp::where("write", f->path, static_cast<int64_t>(offset)) + ": " +
                                                std::to_string(size) + " bytes do not fit in memory");
    }
    if (offset + size > file.bytes.size()) {
      try {
        file.bytes.resize(offset + size);
      } catch (const std::bad_alloc&) {
        throw Error(MARIUS_ERR_OUT_OF_MEMORY, mp::where("write", f->path, static_cast<int64_t>(offset)) +
                                                  ": out of memory growing the file to " +
                                                  std::to_string(offset + size) + " bytes");
      }
    }
    std::memcpy(file.bytes.data() + offset, src, size);
  }

  // Nothing to flush: the bytes never leave RAM, and do not survive the process.
  void sync(const marius_call_context&, marius_storage_file*) override {}

  uint64_t size(const marius_call_context&, marius_storage_file* f) override {
    std::shared_lock lock(f->file->mu);
    return f->file->bytes.size();
  }

  void close(const marius_call_context&, marius_storage_file* f) override { delete f; }
};

}  // namespace

MARIUS_PLUGIN(Memory, "memory", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT | MARIUS_CAP_DETERMINISTIC)
