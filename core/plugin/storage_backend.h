// core/plugin/storage_backend.h - a storage backend plugin instance and the files
// it opens.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/plugin/host_services.h"
#include "core/plugin/plugin_instance.h"

namespace marius {

class StorageBackend;

// An open file of a backend. Closing happens in close() (which reports errors) or
// in the destructor (which logs them). One thread at a time unless the backend is
// reentrant; each call has its own CallContext, so concurrent calls on a reentrant
// backend never share an error slot. REQUIRES: the file does not outlive the
// StorageBackend that opened it.
class StorageFile {
 public:
  StorageFile(StorageFile&&) = delete;
  ~StorageFile();

  void read(uint64_t offset, void* dst, uint64_t size);
  void write(uint64_t offset, const void* src, uint64_t size);
  void sync();
  uint64_t size();
  void close();
  const std::string& path() const { return path_; }

 private:
  friend class StorageBackend;
  StorageFile(const StorageBackend& backend, std::string path, marius_storage_file* file);

  const StorageBackend& backend_;
  std::string path_;
  marius_storage_file* file_;
};

class StorageBackend : public PluginInstance {
 public:
  StorageBackend(std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& inputs);

  // Opens `path` with MARIUS_OPEN_* flags.
  std::unique_ptr<StorageFile> open(const std::string& path, uint32_t flags) const;

 private:
  friend class StorageFile;
  const marius_storage_vtable& vtable_;
};

}  // namespace marius
