// marius/sdk/plugin.hpp - write a marius plugin in C++ without ABI boilerplate.
//
// A plugin is a class derived from one of the five kind bases below, plus one line
//
//     MARIUS_PLUGIN(MyScore, "my_score", "1.0.0", MARIUS_CAP_CPU | MARIUS_CAP_REENTRANT)
//
// that generates the vtable, the entry function and the version negotiation. Slots
// throw marius::sdk::Error (or any exception) to fail; the generated trampolines
// catch everything and turn it into a status and a message for the host, so no
// exception ever crosses the C ABI.
//
// The class is constructed from `const Options&` (or `const marius_call_context&,
// const Options&`) in `create` and deleted in `destroy`.
//
// Macros a plugin may define before including this header:
//   MARIUS_PLUGIN_MIN_HOST_MINOR  lowest host ABI minor the plugin needs (default 0).
#ifndef MARIUS_SDK_PLUGIN_HPP_
#define MARIUS_SDK_PLUGIN_HPP_

#include <cstdint>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "marius/abi.h"

#ifndef MARIUS_PLUGIN_MIN_HOST_MINOR
#define MARIUS_PLUGIN_MIN_HOST_MINOR 0
#endif
// The ABI major the plugin is built for. Only tests override it.
#ifndef MARIUS_PLUGIN_ABI_MAJOR
#define MARIUS_PLUGIN_ABI_MAJOR MARIUS_ABI_MAJOR
#endif

namespace marius::sdk {

// An error a slot reports to the host: a status code and a message.
class Error : public std::runtime_error {
 public:
  Error(marius_status code, const std::string& message) : std::runtime_error(message), code_(code) {}
  marius_status code() const noexcept { return code_; }

 private:
  marius_status code_;
};

// Throws Error(code, message) unless `condition` holds.
inline void require(bool condition, marius_status code, const std::string& message) {
  if (!condition) throw Error(code, message);
}
inline void require_arg(bool condition, const std::string& message) {
  require(condition, MARIUS_ERR_INVALID_ARGUMENT, message);
}

// Hands `code` and `message` to the host (if there is a context) and returns code.
inline marius_status report(const marius_call_context* ctx, marius_status code, const std::string& message) noexcept {
  if (ctx != nullptr && ctx->host != nullptr && ctx->host->set_error != nullptr) {
    return ctx->host->set_error(ctx, code, message.data(), message.size());
  }
  return code;
}

// Runs `body`, turning any exception into an error status reported through ctx.
template <class Body>
marius_status guard(const marius_call_context* ctx, const char* slot, Body&& body) noexcept {
  try {
    body();
    return MARIUS_OK;
  } catch (const Error& e) {
    return report(ctx, e.code() == MARIUS_OK ? MARIUS_ERR_INTERNAL : e.code(), e.what());
  } catch (const std::bad_alloc&) {
    return report(ctx, MARIUS_ERR_OUT_OF_MEMORY, std::string(slot) + ": out of memory");
  } catch (const std::exception& e) {
    return report(ctx, MARIUS_ERR_INTERNAL, std::string(slot) + ": " + e.what());
  } catch (...) {
    return report(ctx, MARIUS_ERR_INTERNAL, std::string(slot) + ": unknown exception");
  }
}

// Writes to the host's log.
inline void log(const marius_call_context& ctx, int32_t level, const char* plugin, const std::string& message) noexcept {
  if (ctx.host != nullptr && ctx.host->log != nullptr) ctx.host->log(level, plugin, message.data(), message.size());
}

// The validated options of `create`, copied so the instance may keep them.
class Options {
 public:
  Options() = default;
  explicit Options(const marius_options* options) {
    if (options == nullptr) return;
    for (uint32_t i = 0; i < options->count; ++i) {
      const marius_option* o = options->items[i];
      if (o == nullptr || o->key == nullptr) continue;
      Entry e;
      e.key = o->key;
      e.type = o->type;
      e.int_value = o->int_value;
      e.float_value = o->float_value;
      e.string_value = o->string_value != nullptr ? o->string_value : "";
      entries_.push_back(std::move(e));
    }
  }
  bool has(const std::string& key) const { return find(key) != nullptr; }
  int64_t get_int(const std::string& key) const { return get(key, MARIUS_OPTION_INT).int_value; }
  double get_float(const std::string& key) const {
    const Entry& e = get_any(key);
    if (e.type == MARIUS_OPTION_INT) return static_cast<double>(e.int_value);
    check_type(e, MARIUS_OPTION_FLOAT);
    return e.float_value;
  }
  bool get_bool(const std::string& key) const { return get(key, MARIUS_OPTION_BOOL).int_value != 0; }
  const std::string& get_string(const std::string& key) const { return get(key, MARIUS_OPTION_STRING).string_value; }

 private:
  struct Entry {
    std::string key;
    uint32_t type = 0;
    int64_t int_value = 0;
    double float_value = 0;
    std::string string_value;
  };
  const Entry* find(const std::string& key) const {
    for (const Entry& e : entries_)
      if (e.key == key) return &e;
    return nullptr;
  }
  const Entry& get_any(const std::string& key) const {
    const Entry* e = find(key);
    require_arg(e != nullptr, "option '" + key + "' was not given (is it declared in the manifest?)");
    return *e;
  }
  static void check_type(const Entry& e, uint32_t type) {
    require_arg(e.type == type, "option '" + e.key + "' has the wrong type");
  }
  const Entry& get(const std::string& key, uint32_t type) const {
    const Entry& e = get_any(key);
    check_type(e, type);
    return e;
  }
  std::vector<Entry> entries_;
};

// The call's random stream.
class Rng {
 public:
  explicit Rng(const marius_call_context& ctx) : ctx_(ctx) {
    require_arg(ctx.rng != nullptr && ctx.host != nullptr, "this call needs a random stream (ctx->rng is NULL)");
  }
  uint64_t next() { return ctx_.host->rng_next_u64(ctx_.rng); }
  void fill(uint64_t* out, uint64_t count) { ctx_.host->rng_fill_u64(ctx_.rng, out, count); }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  const marius_call_context& ctx_;
};

// ---- Checking DLTensors -------------------------------------------------------------

inline bool is_dtype(const DLTensor& t, uint8_t code, uint8_t bits) {
  return t.dtype.code == code && t.dtype.bits == bits && t.dtype.lanes == 1;
}
inline int64_t numel(const DLTensor& t) {
  int64_t n = 1;
  for (int32_t i = 0; i < t.ndim; ++i) n *= t.shape[i];
  return n;
}
inline bool is_contiguous(const DLTensor& t) {
  if (t.strides == nullptr) return true;
  int64_t expected = 1;
  for (int32_t i = t.ndim - 1; i >= 0; --i) {
    if (t.shape[i] != 1 && t.strides[i] != expected) return false;
    expected *= t.shape[i];
  }
  return true;
}
inline std::string shape_string(const DLTensor& t) {
  std::string s = "[";
  for (int32_t i = 0; i < t.ndim; ++i) s += (i ? "," : "") + std::to_string(t.shape[i]);
  return s + "]";
}

// Checks that `t` is a non-NULL, contiguous tensor of the given dtype and rank (any device);
// `name` appears in the error.
inline const DLTensor& expect_tensor(const DLTensor* t, const char* name, uint8_t code, uint8_t bits, int32_t ndim) {
  require_arg(t != nullptr, std::string(name) + " is NULL");
  require_arg(t->ndim == ndim, std::string(name) + " must have " + std::to_string(ndim) + " dimensions, has " +
                                   std::to_string(t->ndim) + " " + shape_string(*t));
  require_arg(is_dtype(*t, code, bits), std::string(name) + " has the wrong dtype");
  require_arg(is_contiguous(*t), std::string(name) + " must be contiguous");
  require_arg(t->data != nullptr || numel(*t) == 0, std::string(name) + " has no data");
  return *t;
}
inline const DLTensor& expect_f32(const DLTensor* t, const char* name, int32_t ndim) {
  return expect_tensor(t, name, kDLFloat, 32, ndim);
}
inline const DLTensor& expect_i64(const DLTensor* t, const char* name, int32_t ndim) {
  return expect_tensor(t, name, kDLInt, 64, ndim);
}
template <class T>
T* data_of(const DLTensor& t) {
  return reinterpret_cast<T*>(static_cast<char*>(t.data) + t.byte_offset);
}

// ---- Kind bases ----------------------------------------------------------------------

class ScoreFunction {
 public:
  static constexpr uint32_t kKind = MARIUS_KIND_SCORE_FUNCTION;
  virtual ~ScoreFunction() = default;
  virtual int64_t relation_width(const marius_call_context& ctx, int64_t dim) = 0;
  virtual void init_relations(const marius_call_context& ctx, DLTensor& params) = 0;
  virtual void forward(const marius_call_context& ctx, const marius_score_args& args) = 0;
  virtual void backward(const marius_call_context& ctx, const marius_score_args& args) = 0;

  // Since ABI 1.2 (optional): a decomposition into a relation operator and a
  // comparator (marius/abi/score.h). MARIUS_COMPARATOR_NONE (the default): the
  // host calls forward/backward. Otherwise it calls the two operator slots.
  virtual uint32_t decompose(const marius_call_context&) { return MARIUS_COMPARATOR_NONE; }
  virtual void apply_operator(const marius_call_context&, const marius_operator_args&) {
    throw Error(MARIUS_ERR_UNSUPPORTED, "this score function has no relation operator");
  }
  virtual void operator_backward(const marius_call_context&, const marius_operator_args&) {
    throw Error(MARIUS_ERR_UNSUPPORTED, "this score function has no relation operator");
  }
};

class NegativeSampler {
 public:
  static constexpr uint32_t kKind = MARIUS_KIND_NEGATIVE_SAMPLER;
  virtual ~NegativeSampler() = default;
  virtual void sample(const marius_call_context& ctx, const marius_sample_args& args) = 0;
};

// Wraps the plan sink: add_state / add_bucket throw on a status from the host.
class PlanSink {
 public:
  explicit PlanSink(const marius_plan_sink* sink) : sink_(sink) {
    require_arg(sink != nullptr && sink->add_state != nullptr && sink->add_bucket != nullptr, "plan sink is NULL");
  }
  void add_state(const std::vector<int32_t>& partitions) {
    marius_status s = sink_->add_state(sink_->state, partitions.data(), static_cast<uint32_t>(partitions.size()));
    if (s != MARIUS_OK) throw Error(s, "the host rejected a buffer state");
  }
  void add_bucket(int32_t lhs, int32_t rhs) {
    marius_status s = sink_->add_bucket(sink_->state, lhs, rhs);
    if (s != MARIUS_OK) throw Error(s, "the host rejected bucket (" + std::to_string(lhs) + "," + std::to_string(rhs) + ")");
  }

 private:
  const marius_plan_sink* sink_;
};

class OrderingPolicy {
 public:
  static constexpr uint32_t kKind = MARIUS_KIND_ORDERING_POLICY;
  virtual ~OrderingPolicy() = default;
  virtual void plan(const marius_call_context& ctx, int32_t num_partitions, int32_t buffer_capacity, PlanSink& sink) = 0;
};

class StorageBackend {
 public:
  static constexpr uint32_t kKind = MARIUS_KIND_STORAGE_BACKEND;
  virtual ~StorageBackend() = default;
  virtual marius_storage_file* open(const marius_call_context& ctx, const std::string& path, uint32_t flags) = 0;
  virtual void read(const marius_call_context& ctx, marius_storage_file* file, uint64_t offset, void* dst,
                    uint64_t size) = 0;
  virtual void write(const marius_call_context& ctx, marius_storage_file* file, uint64_t offset, const void* src,
                     uint64_t size) = 0;
  virtual void sync(const marius_call_context& ctx, marius_storage_file* file) = 0;
  virtual uint64_t size(const marius_call_context& ctx, marius_storage_file* file) = 0;
  // Releases the handle even when it throws.
  virtual void close(const marius_call_context& ctx, marius_storage_file* file) = 0;
};

// A parameter a layer declares (see marius_layer_param).
struct ParamSpec {
  std::string name;
  std::vector<int64_t> shape;
  uint32_t init = MARIUS_INIT_GLOROT;  // MARIUS_INIT_*
  double scale = 1.0;
};

// GNN layers (ABI 1.1). describe() is called once per instance, before forward.
class Layer {
 public:
  static constexpr uint32_t kKind = MARIUS_KIND_LAYER;
  virtual ~Layer() = default;
  virtual std::vector<ParamSpec> describe(const marius_call_context& ctx, const marius_layer_dims& dims) = 0;
  virtual void forward(const marius_call_context& ctx, const marius_layer_args& args) = 0;
  virtual void backward(const marius_call_context& ctx, const marius_layer_args& args) = 0;

  // The C view of the last describe() (the vtable's trampoline fills it).
  struct Described {
    std::vector<ParamSpec> specs;
    std::vector<marius_layer_param> params;
    std::vector<const marius_layer_param*> pointers;
  };
  Described& described() { return described_; }

 private:
  Described described_;
};

// ---- Vtable generation ---------------------------------------------------------------

namespace detail {

template <class T>
T* self(void* instance) {
  return static_cast<T*>(instance);
}
inline const marius_call_context& ctx_ref(const marius_call_context* ctx) {
  require_arg(ctx != nullptr, "call context is NULL");
  return *ctx;
}

template <class T>
marius_status create(const marius_call_context* ctx, const marius_options* options, void** out) noexcept {
  return guard(ctx, "create", [&] {
    require_arg(out != nullptr, "create: out_instance is NULL");
    Options opts(options);
    T* made;
    if constexpr (std::is_constructible_v<T, const marius_call_context&, const Options&>) {
      made = new T(ctx_ref(ctx), opts);
    } else {
      made = new T(opts);
    }
    *out = made;
  });
}
template <class T>
void destroy(void* instance) noexcept {
  delete self<T>(instance);
}

template <class T>
marius_vtable_header header(uint32_t size, uint64_t caps) {
  return marius_vtable_header{size, T::kKind, caps, &create<T>, &destroy<T>};
}

// Specialised per kind; T::kKind comes from the kind base the plugin derives from.
template <class T, uint32_t Kind = T::kKind>
struct Vtable;

template <class T>
struct Vtable<T, MARIUS_KIND_SCORE_FUNCTION> {
  static marius_status relation_width(void* inst, const marius_call_context* ctx, int64_t dim,
                                      int64_t* out) noexcept {
    return guard(ctx, "relation_width", [&] {
      require_arg(inst != nullptr && out != nullptr, "relation_width: NULL argument");
      *out = self<T>(inst)->relation_width(ctx_ref(ctx), dim);
    });
  }
  static marius_status init_relations(void* inst, const marius_call_context* ctx, DLTensor* params) noexcept {
    return guard(ctx, "init_relations", [&] {
      require_arg(inst != nullptr && params != nullptr, "init_relations: NULL argument");
      self<T>(inst)->init_relations(ctx_ref(ctx), *params);
    });
  }
  static marius_status forward(void* inst, const marius_call_context* ctx, const marius_score_args* args) noexcept {
    return guard(ctx, "forward", [&] {
      require_arg(inst != nullptr && args != nullptr, "forward: NULL argument");
      self<T>(inst)->forward(ctx_ref(ctx), *args);
    });
  }
  static marius_status backward(void* inst, const marius_call_context* ctx, const marius_score_args* args) noexcept {
    return guard(ctx, "backward", [&] {
      require_arg(inst != nullptr && args != nullptr, "backward: NULL argument");
      self<T>(inst)->backward(ctx_ref(ctx), *args);
    });
  }
  static marius_status decompose(void* inst, const marius_call_context* ctx,
                                 marius_score_decomposition* out) noexcept {
    return guard(ctx, "decompose", [&] {
      require_arg(inst != nullptr && out != nullptr, "decompose: NULL argument");
      require_arg(out->struct_size >= MARIUS_SCORE_DECOMPOSITION_SIZE_1_2, "decompose: struct_size too small");
      out->comparator = self<T>(inst)->decompose(ctx_ref(ctx));
    });
  }
  static marius_status apply_operator(void* inst, const marius_call_context* ctx,
                                      const marius_operator_args* args) noexcept {
    return guard(ctx, "apply_operator", [&] {
      require_arg(inst != nullptr && args != nullptr, "apply_operator: NULL argument");
      require_arg(args->struct_size >= MARIUS_OPERATOR_ARGS_SIZE_1_2, "apply_operator: struct_size too small");
      self<T>(inst)->apply_operator(ctx_ref(ctx), *args);
    });
  }
  static marius_status operator_backward(void* inst, const marius_call_context* ctx,
                                         const marius_operator_args* args) noexcept {
    return guard(ctx, "operator_backward", [&] {
      require_arg(inst != nullptr && args != nullptr, "operator_backward: NULL argument");
      require_arg(args->struct_size >= MARIUS_OPERATOR_ARGS_SIZE_1_2, "operator_backward: struct_size too small");
      self<T>(inst)->operator_backward(ctx_ref(ctx), *args);
    });
  }
  static const marius_vtable_header* get(uint64_t caps) {
    static const marius_score_vtable table{header<T>(sizeof(marius_score_vtable), caps),
                                           &relation_width,
                                           &init_relations,
                                           &forward,
                                           &backward,
                                           &decompose,
                                           &apply_operator,
                                           &operator_backward};
    return &table.header;
  }
};

template <class T>
struct Vtable<T, MARIUS_KIND_NEGATIVE_SAMPLER> {
  static marius_status sample(void* inst, const marius_call_context* ctx, const marius_sample_args* args) noexcept {
    return guard(ctx, "sample", [&] {
      require_arg(inst != nullptr && args != nullptr, "sample: NULL argument");
      self<T>(inst)->sample(ctx_ref(ctx), *args);
    });
  }
  static const marius_vtable_header* get(uint64_t caps) {
    static const marius_sampler_vtable table{header<T>(sizeof(marius_sampler_vtable), caps), &sample};
    return &table.header;
  }
};

template <class T>
struct Vtable<T, MARIUS_KIND_ORDERING_POLICY> {
  static marius_status plan(void* inst, const marius_call_context* ctx, const marius_plan_args* args) noexcept {
    return guard(ctx, "plan", [&] {
      require_arg(inst != nullptr && args != nullptr, "plan: NULL argument");
      PlanSink sink(args->sink);
      self<T>(inst)->plan(ctx_ref(ctx), args->num_partitions, args->buffer_capacity, sink);
    });
  }
  static const marius_vtable_header* get(uint64_t caps) {
    static const marius_ordering_vtable table{header<T>(sizeof(marius_ordering_vtable), caps), &plan};
    return &table.header;
  }
};

template <class T>
struct Vtable<T, MARIUS_KIND_STORAGE_BACKEND> {
  static marius_status open(void* inst, const marius_call_context* ctx, const char* path, uint32_t flags,
                            marius_storage_file** out) noexcept {
    return guard(ctx, "open", [&] {
      require_arg(inst != nullptr && path != nullptr && out != nullptr, "open: NULL argument");
      *out = self<T>(inst)->open(ctx_ref(ctx), path, flags);
    });
  }
  static marius_status read(void* inst, const marius_call_context* ctx, marius_storage_file* f, uint64_t offset,
                            void* dst, uint64_t size) noexcept {
    return guard(ctx, "read", [&] {
      require_arg(inst != nullptr && f != nullptr && (dst != nullptr || size == 0), "read: NULL argument");
      self<T>(inst)->read(ctx_ref(ctx), f, offset, dst, size);
    });
  }
  static marius_status write(void* inst, const marius_call_context* ctx, marius_storage_file* f, uint64_t offset,
                             const void* src, uint64_t size) noexcept {
    return guard(ctx, "write", [&] {
      require_arg(inst != nullptr && f != nullptr && (src != nullptr || size == 0), "write: NULL argument");
      self<T>(inst)->write(ctx_ref(ctx), f, offset, src, size);
    });
  }
  static marius_status sync(void* inst, const marius_call_context* ctx, marius_storage_file* f) noexcept {
    return guard(ctx, "sync", [&] {
      require_arg(inst != nullptr && f != nullptr, "sync: NULL argument");
      self<T>(inst)->sync(ctx_ref(ctx), f);
    });
  }
  static marius_status size(void* inst, const marius_call_context* ctx, marius_storage_file* f,
                            uint64_t* out) noexcept {
    return guard(ctx, "size", [&] {
      require_arg(inst != nullptr && f != nullptr && out != nullptr, "size: NULL argument");
      *out = self<T>(inst)->size(ctx_ref(ctx), f);
    });
  }
  static marius_status close(void* inst, const marius_call_context* ctx, marius_storage_file* f) noexcept {
    return guard(ctx, "close", [&] {
      require_arg(inst != nullptr && f != nullptr, "close: NULL argument");
      self<T>(inst)->close(ctx_ref(ctx), f);
    });
  }
  static const marius_vtable_header* get(uint64_t caps) {
    static const marius_storage_vtable table{header<T>(sizeof(marius_storage_vtable), caps), &open, &read, &write,
                                             &sync, &size, &close};
    return &table.header;
  }
};

template <class T>
struct Vtable<T, MARIUS_KIND_LAYER> {
  static marius_status describe(void* inst, const marius_call_context* ctx, const marius_layer_dims* dims,
                                marius_layer_params* out) noexcept {
    return guard(ctx, "describe", [&] {
      require_arg(inst != nullptr && dims != nullptr && out != nullptr, "describe: NULL argument");
      require_arg(dims->struct_size >= MARIUS_LAYER_DIMS_SIZE_1_1, "describe: dims struct_size too small");
      Layer::Described& d = self<T>(inst)->described();
      d.specs = self<T>(inst)->describe(ctx_ref(ctx), *dims);
      d.params.assign(d.specs.size(), marius_layer_param{});
      d.pointers.clear();
      for (size_t i = 0; i < d.specs.size(); ++i) {
        const ParamSpec& spec = d.specs[i];
        require_arg(!spec.shape.empty() && spec.shape.size() <= MARIUS_LAYER_MAX_NDIM,
                    "parameter '" + spec.name + "' must have 1 to 4 dimensions");
        marius_layer_param& p = d.params[i];
        p.struct_size = sizeof(marius_layer_param);
        p.init = spec.init;
        p.name = spec.name.c_str();
        p.ndim = static_cast<int32_t>(spec.shape.size());
        for (size_t k = 0; k < spec.shape.size(); ++k) p.shape[k] = spec.shape[k];
        p.scale = spec.scale;
        d.pointers.push_back(&p);
      }
      out->count = static_cast<uint32_t>(d.pointers.size());
      out->items = d.pointers.data();
    });
  }
  static marius_status forward(void* inst, const marius_call_context* ctx, const marius_layer_args* args) noexcept {
    return guard(ctx, "forward", [&] {
      require_arg(inst != nullptr && args != nullptr, "forward: NULL argument");
      self<T>(inst)->forward(ctx_ref(ctx), *args);
    });
  }
  static marius_status backward(void* inst, const marius_call_context* ctx, const marius_layer_args* args) noexcept {
    return guard(ctx, "backward", [&] {
      require_arg(inst != nullptr && args != nullptr, "backward: NULL argument");
      self<T>(inst)->backward(ctx_ref(ctx), *args);
    });
  }
  static const marius_vtable_header* get(uint64_t caps) {
    static const marius_layer_vtable table{header<T>(sizeof(marius_layer_vtable), caps), &describe, &forward,
                                           &backward};
    return &table.header;
  }
};

// The lowest host minor a plugin of `kind` needs: the minor that introduced the kind.
constexpr uint32_t kind_min_minor(uint32_t kind) { return kind == MARIUS_KIND_LAYER ? 1 : 0; }

// The body of a generated entry function: negotiates the version and hands out
// the descriptor.
template <class T>
marius_status entry(marius_entry_args* args, const char* name, const char* version, uint64_t caps) noexcept {
  if (args == nullptr || args->struct_size < MARIUS_ENTRY_ARGS_SIZE_1_0) {
    return MARIUS_ERR_INVALID_ARGUMENT;
  }
  const marius_call_context* ctx = args->ctx;
  if (args->host_abi_major != MARIUS_PLUGIN_ABI_MAJOR) {
    return report(ctx, MARIUS_ERR_VERSION_MISMATCH,
                  std::string("plugin '") + name + "' was built for marius ABI major " +
                      std::to_string(MARIUS_PLUGIN_ABI_MAJOR) + ", the host speaks " +
                      std::to_string(args->host_abi_major) + "." + std::to_string(args->host_abi_minor));
  }
  constexpr uint32_t min_minor = MARIUS_PLUGIN_MIN_HOST_MINOR > kind_min_minor(T::kKind) ? MARIUS_PLUGIN_MIN_HOST_MINOR
                                                                                      : kind_min_minor(T::kKind);
  if (args->host_abi_minor < min_minor) {
    return report(ctx, MARIUS_ERR_VERSION_MISMATCH,
                  std::string("plugin '") + name + "' needs marius ABI " + std::to_string(MARIUS_PLUGIN_ABI_MAJOR) +
                      "." + std::to_string(min_minor) + " or newer, the host speaks " +
                      std::to_string(args->host_abi_major) + "." + std::to_string(args->host_abi_minor));
  }
  return guard(ctx, "entry", [&] {
    static const marius_plugin_descriptor descriptor{sizeof(marius_plugin_descriptor),
                                                     T::kKind,
                                                     MARIUS_PLUGIN_ABI_MAJOR,
                                                     min_minor,
                                                     name,
                                                     version,
                                                     Vtable<T>::get(caps)};
    args->descriptor = &descriptor;
  });
}

}  // namespace detail
}  // namespace marius::sdk

// Defines the entry function `symbol` for plugin class `Class`.
#define MARIUS_PLUGIN_WITH_ENTRY(symbol, Class, name, version, caps)                      \
  extern "C" MARIUS_EXPORT marius_status symbol(marius_entry_args* args) noexcept {      \
    return ::marius::sdk::detail::entry<Class>(args, name, version, caps);                \
  }

// Defines the default entry function (marius_plugin_entry) for plugin class `Class`.
#define MARIUS_PLUGIN(Class, name, version, caps) MARIUS_PLUGIN_WITH_ENTRY(marius_plugin_entry, Class, name, version, caps)

#endif  // MARIUS_SDK_PLUGIN_HPP_
