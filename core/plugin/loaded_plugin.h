// core/plugin/loaded_plugin.h - a plugin library loaded, negotiated and checked
// against its manifest.
//
// The library stays loaded while any shared_ptr to its LoadedPlugin lives; every
// instance made from it holds one, so code and static data of a plugin never go
// away under a live instance.
#pragma once

#include <memory>

#include "core/plugin/manifest.h"
#include "marius/abi.h"

namespace boost::dll {
class shared_library;
}

namespace marius {

// The ABI version this host speaks (MARIUS_ABI_MAJOR.MARIUS_ABI_MINOR).
AbiVersion host_abi_version();

class LoadedPlugin {
 public:
  // Loads manifest.library with RTLD_NOW | RTLD_LOCAL, calls its entry function
  // and checks the descriptor. `host` is the ABI version presented to the plugin
  // (tests present other versions to exercise negotiation). Throws Error with a
  // message that starts with the manifest's label and says why:
  //   VERSION_MISMATCH  the host is outside the manifest's ABI range, or the
  //                     plugin refused the host's version, or its descriptor's
  //                     version does not fit the host
  //   NOT_FOUND         the library file or its entry symbol is missing
  //   INVALID_ARGUMENT  the library is not a loadable ELF shared object for this
  //                     host or is truncated (checked before mapping it, see
  //                     elf_check.h), or does not load, or its descriptor disagrees
  //                     with the manifest (name, version, kind, capabilities), or
  //                     its vtable is too small or lacks a required slot
  static std::shared_ptr<const LoadedPlugin> load(const Manifest& manifest, AbiVersion host = host_abi_version());

  ~LoadedPlugin();
  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;

  const Manifest& manifest() const { return manifest_; }
  const marius_plugin_descriptor& descriptor() const { return *descriptor_; }
  const marius_vtable_header& vtable() const { return *descriptor_->vtable; }
  // The kind's vtable, e.g. vtable_as<marius_score_vtable>(); the caller knows the kind.
  template <class Vtable>
  const Vtable& vtable_as() const {
    return *reinterpret_cast<const Vtable*>(descriptor_->vtable);
  }
  uint64_t capabilities() const { return descriptor_->vtable->capabilities; }

 private:
  LoadedPlugin(Manifest manifest, std::unique_ptr<boost::dll::shared_library> library,
               const marius_plugin_descriptor* descriptor);

  Manifest manifest_;
  std::unique_ptr<boost::dll::shared_library> library_;
  const marius_plugin_descriptor* descriptor_;
};

}  // namespace marius
