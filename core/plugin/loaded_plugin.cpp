#include "core/plugin/loaded_plugin.h"

#include <dlfcn.h>

#include <algorithm>

#include <boost/dll/shared_library.hpp>

#include "core/error.h"
#include "core/logging.h"
#include "core/plugin/elf_check.h"
#include "core/plugin/host_services.h"

namespace marius {

AbiVersion host_abi_version() { return {MARIUS_ABI_MAJOR, MARIUS_ABI_MINOR}; }

namespace {

// The size of a kind's vtable at the minor version that introduced the kind.
uint64_t min_vtable_size(uint32_t kind) {
  switch (kind) {
    case MARIUS_KIND_SCORE_FUNCTION: return MARIUS_SCORE_VTABLE_SIZE_1_0;
    case MARIUS_KIND_NEGATIVE_SAMPLER: return MARIUS_SAMPLER_VTABLE_SIZE_1_0;
    case MARIUS_KIND_ORDERING_POLICY: return MARIUS_ORDERING_VTABLE_SIZE_1_0;
    case MARIUS_KIND_LAYER: return MARIUS_LAYER_VTABLE_SIZE_1_1;
    default: return MARIUS_STORAGE_VTABLE_SIZE_1_0;
  }
}

// The minor version that introduced a kind.
uint32_t kind_minor(uint32_t kind) { return kind == MARIUS_KIND_LAYER ? 1 : 0; }

// The required slots of each kind's vtable (read only once its size is checked).
struct KindLayout {
  std::vector<std::pair<const char*, bool>> slots;  // name, present
};

template <class Fn>
bool present(Fn fn) {
  return fn != nullptr;
}

KindLayout layout_of(uint32_t kind, const marius_vtable_header* header) {
  switch (kind) {
    case MARIUS_KIND_SCORE_FUNCTION: {
      auto* v = reinterpret_cast<const marius_score_vtable*>(header);
      return {{{"relation_width", present(v->relation_width)},
               {"init_relations", present(v->init_relations)},
               {"forward", present(v->forward)},
               {"backward", present(v->backward)}}};
    }
    case MARIUS_KIND_NEGATIVE_SAMPLER: {
      auto* v = reinterpret_cast<const marius_sampler_vtable*>(header);
      return {{{"sample", present(v->sample)}}};
    }
    case MARIUS_KIND_ORDERING_POLICY: {
      auto* v = reinterpret_cast<const marius_ordering_vtable*>(header);
      return {{{"plan", present(v->plan)}}};
    }
    case MARIUS_KIND_LAYER: {
      auto* v = reinterpret_cast<const marius_layer_vtable*>(header);
      return {{{"describe", present(v->describe)}, {"forward", present(v->forward)}, {"backward", present(v->backward)}}};
    }
    default: {
      auto* v = reinterpret_cast<const marius_storage_vtable*>(header);
      return {{{"open", present(v->open)},
               {"read", present(v->read)},
               {"write", present(v->write)},
               {"sync", present(v->sync)},
               {"size", present(v->size)},
               {"close", present(v->close)}}};
    }
  }
}

std::string safe(const char* s) { return s != nullptr ? s : "(null)"; }

void check_capabilities(const Manifest& m, uint64_t caps) {
  auto agree = [&](bool manifest_says, uint64_t bit, const char* what, const char* cap) {
    bool library_says = (caps & bit) != 0;
    if (manifest_says != library_says) {
      fail(MARIUS_ERR_INVALID_ARGUMENT,
           "{}: descriptor and manifest disagree: the manifest {} {}, the library {} {}", m.label(),
           manifest_says ? "declares" : "does not declare", what, library_says ? "sets" : "does not set", cap);
    }
  };
  auto has_device = [&](const char* d) { return std::find(m.devices.begin(), m.devices.end(), d) != m.devices.end(); };
  agree(has_device("cpu"), MARIUS_CAP_CPU, "device \"cpu\"", "MARIUS_CAP_CPU");
  agree(has_device("cuda"), MARIUS_CAP_CUDA, "device \"cuda\"", "MARIUS_CAP_CUDA");
  agree(m.reentrant, MARIUS_CAP_REENTRANT, "reentrant = true", "MARIUS_CAP_REENTRANT");
  agree(m.deterministic, MARIUS_CAP_DETERMINISTIC, "deterministic = true", "MARIUS_CAP_DETERMINISTIC");
}

}  // namespace

LoadedPlugin::LoadedPlugin(Manifest manifest, std::unique_ptr<boost::dll::shared_library> library,
                           const marius_plugin_descriptor* descriptor)
    : manifest_(std::move(manifest)), library_(std::move(library)), descriptor_(descriptor) {}

LoadedPlugin::~LoadedPlugin() = default;

std::shared_ptr<const LoadedPlugin> LoadedPlugin::load(const Manifest& m, AbiVersion host) {
  const std::string label = m.label();
  if (!m.abi.contains(host)) {
    fail(MARIUS_ERR_VERSION_MISMATCH, "{}: the manifest accepts ABI \"{}\", this host speaks {}", label, m.abi.text(),
         host.str());
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(m.library, ec)) {
    fail(MARIUS_ERR_NOT_FOUND, "{}: library {} (from [library].path) does not exist", label, m.library.string());
  }
  check_loadable_elf(m.library.string(), label);  // a truncated file would SIGBUS inside dlopen

  auto library = std::make_unique<boost::dll::shared_library>();
  boost::dll::fs::error_code load_error;
  library->load(m.library.string(),
                boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, load_error);
  if (load_error || !library->is_loaded()) {
    const char* detail = dlerror();
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: cannot load library {}: {}", label, m.library.string(),
         detail != nullptr ? detail : load_error.message());
  }
  if (!library->has(m.entry_symbol)) {
    fail(MARIUS_ERR_NOT_FOUND, "{}: library {} does not export the entry symbol '{}'", label, m.library.string(),
         m.entry_symbol);
  }
  auto entry = library->get<marius_status(marius_entry_args*)>(m.entry_symbol);

  CallContext ctx(label);
  marius_entry_args args{};
  args.struct_size = sizeof(marius_entry_args);
  args.host_abi_major = host.major;
  args.host_abi_minor = host.minor;
  args.ctx = ctx.get();
  args.descriptor = nullptr;
  marius_status status = entry(&args);
  ctx.check(status, "entry");  // a refused version keeps its VERSION_MISMATCH code

  const marius_plugin_descriptor* d = args.descriptor;
  if (d == nullptr) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: the entry function returned no descriptor", label);
  if (d->struct_size < MARIUS_PLUGIN_DESCRIPTOR_SIZE_1_0) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: descriptor struct_size {} is below the ABI 1.0 size {}", label,
         d->struct_size, MARIUS_PLUGIN_DESCRIPTOR_SIZE_1_0);
  }
  AbiVersion built{d->abi_major, d->abi_min_host_minor};
  if (d->abi_major != host.major) {
    fail(MARIUS_ERR_VERSION_MISMATCH, "{}: the library was built for ABI major {}, this host speaks {}", label,
         d->abi_major, host.str());
  }
  if (d->abi_min_host_minor > host.minor) {
    fail(MARIUS_ERR_VERSION_MISMATCH, "{}: the library needs ABI {} or newer, this host speaks {}", label, built.str(),
         host.str());
  }
  if (!m.abi.contains(built)) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "{}: descriptor and manifest disagree: the library was built for ABI {}, outside the manifest's range \"{}\"",
         label, built.str(), m.abi.text());
  }
  if (safe(d->name) != m.name) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: descriptor and manifest disagree: the library calls itself '{}'", label,
         safe(d->name));
  }
  if (safe(d->version) != m.version) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "{}: descriptor and manifest disagree: the library is version {}, the manifest says {}", label,
         safe(d->version), m.version);
  }
  if (d->kind != m.kind) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: descriptor and manifest disagree: the library is a {}, the manifest says {}",
         label, kind_name(d->kind), kind_name(m.kind));
  }
  const marius_vtable_header* v = d->vtable;
  if (v == nullptr) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: the descriptor has no vtable", label);
  if (v->kind != d->kind) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: the vtable is a {}, the descriptor says {}", label, kind_name(v->kind),
         kind_name(d->kind));
  }
  if (d->abi_min_host_minor < kind_minor(d->kind)) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: the {} kind is ABI {}.{}, but the descriptor says it needs only {}", label,
         kind_name(d->kind), MARIUS_ABI_MAJOR, kind_minor(d->kind), built.str());
  }
  // The size is checked before any slot is read: a smaller vtable has no such slots.
  const uint64_t min_size = min_vtable_size(d->kind);
  if (v->struct_size < min_size) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: the {} vtable has struct_size {}, below the ABI {}.{} size {}", label,
         kind_name(d->kind), v->struct_size, MARIUS_ABI_MAJOR, kind_minor(d->kind), min_size);
  }
  KindLayout layout = layout_of(d->kind, v);
  if (v->create == nullptr || v->destroy == nullptr) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: the vtable lacks the required slot '{}'", label,
         v->create == nullptr ? "create" : "destroy");
  }
  for (const auto& [slot, ok] : layout.slots) {
    if (!ok) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: the vtable lacks the required slot '{}'", label, slot);
  }
  check_capabilities(m, v->capabilities);

  logger().debug("loaded {} version {} (ABI {}) from {}", label, m.version, built.str(), m.library.string());
  return std::shared_ptr<const LoadedPlugin>(new LoadedPlugin(m, std::move(library), d));
}

}  // namespace marius
