#include "core/plugin/storage_backend.h"

#include "core/error.h"
#include "core/logging.h"

namespace marius {

StorageBackend::StorageBackend(std::shared_ptr<const LoadedPlugin> plugin, const OptionInputs& inputs)
    : PluginInstance(std::move(plugin), MARIUS_KIND_STORAGE_BACKEND, inputs),
      vtable_(this->plugin().vtable_as<marius_storage_vtable>()) {}

std::unique_ptr<StorageFile> StorageBackend::open(const std::string& path, uint32_t flags) const {
  CallContext ctx(label());
  marius_storage_file* file = nullptr;
  ctx.check(vtable_.open(handle(), ctx.get(), path.c_str(), flags, &file), "open");
  if (file == nullptr) fail(MARIUS_ERR_INTERNAL, "{}: open of {} returned OK but no file", label(), path);
  return std::unique_ptr<StorageFile>(new StorageFile(*this, path, file));
}

StorageFile::StorageFile(const StorageBackend& backend, std::string path, marius_storage_file* file)
    : backend_(backend), path_(std::move(path)), file_(file) {}

StorageFile::~StorageFile() {
  if (file_ == nullptr) return;
  try {
    close();
  } catch (const std::exception& e) {
    logger().error("{}", e.what());
  }
}

void StorageFile::read(uint64_t offset, void* dst, uint64_t size) {
  CallContext ctx(backend_.label());
  ctx.check(backend_.vtable_.read(backend_.handle(), ctx.get(), file_, offset, dst, size), "read");
}

void StorageFile::write(uint64_t offset, const void* src, uint64_t size) {
  CallContext ctx(backend_.label());
  ctx.check(backend_.vtable_.write(backend_.handle(), ctx.get(), file_, offset, src, size), "write");
}

void StorageFile::sync() {
  CallContext ctx(backend_.label());
  ctx.check(backend_.vtable_.sync(backend_.handle(), ctx.get(), file_), "sync");
}

uint64_t StorageFile::size() {
  CallContext ctx(backend_.label());
  uint64_t size = 0;
  ctx.check(backend_.vtable_.size(backend_.handle(), ctx.get(), file_, &size), "size");
  return size;
}

void StorageFile::close() {
  if (file_ == nullptr) return;
  marius_storage_file* file = file_;
  file_ = nullptr;  // released by the plugin even when close fails
  CallContext ctx(backend_.label());
  ctx.check(backend_.vtable_.close(backend_.handle(), ctx.get(), file), "close");
}

}  // namespace marius
