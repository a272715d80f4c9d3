#include "core/plugin/plugin_instance.h"

#include "core/error.h"
#include "core/plugin/host_services.h"

namespace marius {

PluginInstance::PluginInstance(std::shared_ptr<const LoadedPlugin> plugin, uint32_t kind, const OptionInputs& inputs)
    : plugin_(std::move(plugin)), label_(plugin_->manifest().label()) {
  if (plugin_->manifest().kind != kind) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{} is a {}, not a {}", label_, kind_name(plugin_->manifest().kind),
         kind_name(kind));
  }
  options_ = resolve_options(plugin_->manifest().options, inputs, label_);
  OptionBlock block(options_);
  CallContext ctx(label_);
  void* handle = nullptr;
  ctx.check(plugin_->vtable().create(ctx.get(), block.get(), &handle), "create");
  if (handle == nullptr) fail(MARIUS_ERR_INTERNAL, "{}: create returned OK but no instance", label_);
  handle_ = handle;
}

PluginInstance::~PluginInstance() {
  if (handle_ != nullptr) plugin_->vtable().destroy(handle_);
}

}  // namespace marius
