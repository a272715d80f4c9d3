// core/capi/tensor_api.cpp - tables out as DLPack tensors, and the ids of their rows.
//
// A tensor handed out owns an at::Tensor reference to the table's storage (and
// its own shape and strides arrays), so it stays valid after the session is
// closed; its deleter drops that reference.
#include <ATen/ATen.h>

#include "core/capi/guard.h"
#include "core/capi/handle.h"

using namespace marius;
using namespace marius::capi;

namespace {

struct Exported {
  at::Tensor tensor;
  std::vector<int64_t> shape, strides;
  DLManagedTensor managed{};
};

void delete_exported(DLManagedTensor* managed) { delete static_cast<Exported*>(managed->manager_ctx); }

// A DLManagedTensor viewing `tensor` (float32 on the CPU, any strides).
DLManagedTensor* export_tensor(const at::Tensor& tensor) {
  if (tensor.scalar_type() != at::kFloat || !tensor.device().is_cpu()) {
    fail(MARIUS_ERR_INTERNAL, "a table is {} on {}, not float32 on the CPU", std::string(c10::toString(tensor.scalar_type())),
         tensor.device().str());
  }
  auto e = std::make_unique<Exported>();
  e->tensor = tensor;
  e->shape.assign(tensor.sizes().begin(), tensor.sizes().end());
  e->strides.assign(tensor.strides().begin(), tensor.strides().end());
  DLTensor& t = e->managed.dl_tensor;
  t.data = tensor.data_ptr();
  t.device = DLDevice{kDLCPU, 0};
  t.ndim = static_cast<int32_t>(e->shape.size());
  t.dtype = DLDataType{kDLFloat, 32, 1};
  t.shape = e->shape.data();
  t.strides = e->strides.data();
  t.byte_offset = 0;
  e->managed.manager_ctx = e.get();
  e->managed.deleter = delete_exported;
  return &e.release()->managed;
}

// The node embeddings out of core: every partition read into one new table.
at::Tensor copy_node_rows(const NodeRows& rows) {
  at::Tensor out = at::empty({rows.num_nodes(), rows.dim()}, at::kFloat);
  for (int32_t k = 0; k < rows.num_blocks(); ++k) {
    at::Tensor block = rows.block(k);
    out.narrow(0, rows.begin(k), block.size(0)).copy_(block);
  }
  return out;
}

}  // namespace

MARIUS_EXTERN_C marius_status marius_session_tensor(marius_session* session, int32_t table, uint32_t flags,
                                                    DLManagedTensor** out, uint32_t* out_flags) {
  static const char* const call = "marius_session_tensor";
  return guard(call, session, [&] {
    require(session, call, "session");
    require(out, call, "out");
    require_table(table, call);
    if ((flags & ~(MARIUS_TENSOR_COPY | MARIUS_TENSOR_NO_COPY)) != 0) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: unknown flags {:#x}", call, flags);
    }
    if ((flags & MARIUS_TENSOR_COPY) && (flags & MARIUS_TENSOR_NO_COPY)) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: MARIUS_TENSOR_COPY and MARIUS_TENSOR_NO_COPY exclude each other", call);
    }
    auto lock = session->lock(call);
    at::Tensor source;
    bool copied = false;
    if (table == MARIUS_TABLE_REPRESENTATIONS) {  // computed: always a copy
      if (flags & MARIUS_TENSOR_NO_COPY) {
        fail(MARIUS_ERR_UNSUPPORTED, "{}: MARIUS_TABLE_REPRESENTATIONS is computed, so only a copy can be returned", call);
      }
      if (session->classifier) {
        source = session->classifier->representations().clone();
      } else if (session->session->has_encoder()) {
        source = session->session->representations();
        if (flags & MARIUS_TENSOR_COPY) source = source.clone();
      } else {
        fail(MARIUS_ERR_NOT_FOUND, "{}: the session has no GNN encoder (model.encoder), so no representations", call);
      }
      *out = export_tensor(source.contiguous());
      if (out_flags != nullptr) *out_flags = MARIUS_TENSOR_COPIED;
      return;
    }
    if (session->classifier) {  // its node table is the learnable input embeddings, if any
      NodeClassificationSession& nc = *session->classifier;
      if (table == MARIUS_TABLE_RELATIONS) {
        fail(MARIUS_ERR_NOT_FOUND, "{}: a node classification session has no relation table", call);
      }
      source = nc.input().embeddings;
      if (!source.defined()) {
        fail(MARIUS_ERR_NOT_FOUND, "{}: this node classification session reads features only (model.node_input = "
             "\"{}\"), it has no node embeddings", call, choice_name(nc.config().node_input));
      }
      if (flags & MARIUS_TENSOR_COPY) {
        source = source.clone();
      } else {
        nc.forget_representations();  // the caller may write through the view
      }
      *out = export_tensor(source);
      if (out_flags != nullptr) *out_flags = (flags & MARIUS_TENSOR_COPY) ? MARIUS_TENSOR_COPIED : 0u;
      return;
    }
    Session& s = *session->session;
    if (table == MARIUS_TABLE_RELATIONS) {
      source = s.model().relations;
    } else if (s.model().embeddings.defined()) {
      source = s.model().embeddings;
    } else {
      if (flags & MARIUS_TENSOR_NO_COPY) {
        fail(MARIUS_ERR_UNSUPPORTED,
             "{}: the node embeddings of this out-of-core session live in {} partition files (storage.buffer_capacity "
             "= {}); only a copy can be returned (drop MARIUS_TENSOR_NO_COPY)",
             call, s.dataset().info().num_partitions, s.buffer_capacity());
      }
      source = copy_node_rows(s.node_rows());
      copied = true;
    }
    if ((flags & MARIUS_TENSOR_COPY) && !copied) {
      source = source.clone();
      copied = true;
    }
    if (!copied) s.forget_scored_tables();  // the caller may write through the view
    *out = export_tensor(source);
    if (out_flags != nullptr) *out_flags = copied ? MARIUS_TENSOR_COPIED : 0u;
  });
}

MARIUS_EXTERN_C marius_status marius_tensor_share(const DLManagedTensor* tensor, DLManagedTensor** out) {
  static const char* const call = "marius_tensor_share";
  return guard(call, nullptr, [&] {
    require(tensor, call, "tensor");
    require(out, call, "out");
    if (tensor->deleter != delete_exported || tensor->manager_ctx == nullptr) {
      fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: the tensor does not come from libmarius", call);
    }
    *out = export_tensor(static_cast<const Exported*>(tensor->manager_ctx)->tensor);
  });
}

// ---- Ids ---------------------------------------------------------------------------

const Names& marius_session::names(int32_t table, const char* call) {
  require_table(table, call);
  std::optional<Names>& slot = table == MARIUS_TABLE_RELATIONS ? relation_names : node_names;
  if (!slot) {
    Names n;
    if (table != MARIUS_TABLE_RELATIONS) {
      n.list = dataset().node_names();
    } else if (!session) {
      fail(MARIUS_ERR_NOT_FOUND, "{}: a node classification session has no relation table", call);
    } else {  // rows of the relation table, as export_model names them
      const Model& m = session->model();
      n.list = session->dataset().relation_names();
      n.list.resize(static_cast<size_t>(m.num_relations));
      if (m.inverse_relations) {
        for (int64_t r = 0; r < m.num_relations; ++r) n.list.push_back(n.list[static_cast<size_t>(r)] + "@inverse");
      }
    }
    size_t bytes = 0;
    for (const std::string& name : n.list) bytes += name.size() + 1;
    n.blob.reserve(bytes);
    n.rows.reserve(n.list.size());
    for (size_t i = 0; i < n.list.size(); ++i) {
      n.blob.append(n.list[i]).push_back('\0');
      n.rows.emplace(n.list[i], static_cast<int64_t>(i));  // the first row wins, should two ever share a name
    }
    slot = std::move(n);
  }
  return *slot;
}

MARIUS_EXTERN_C marius_status marius_session_names(marius_session* session, int32_t table, const char** out_data,
                                                   uint64_t* out_bytes, int64_t* out_count) {
  static const char* const call = "marius_session_names";
  return guard(call, session, [&] {
    require(session, call, "session");
    require(out_data, call, "out_data");
    require(out_bytes, call, "out_bytes");
    require(out_count, call, "out_count");
    auto lock = session->lock(call);
    const Names& n = session->names(table, call);
    *out_data = n.blob.data();
    *out_bytes = n.blob.size();
    *out_count = static_cast<int64_t>(n.list.size());
  });
}

MARIUS_EXTERN_C marius_status marius_session_lookup(marius_session* session, int32_t table, const char* name,
                                                    int64_t* out_row) {
  static const char* const call = "marius_session_lookup";
  return guard(call, session, [&] {
    require(session, call, "session");
    require(name, call, "name");
    require(out_row, call, "out_row");
    auto lock = session->lock(call);
    const Names& n = session->names(table, call);
    auto it = n.rows.find(name);
    if (it == n.rows.end()) {
      fail(MARIUS_ERR_NOT_FOUND, "{}: unknown {} id '{}'", call, table == MARIUS_TABLE_RELATIONS ? "relation" : "node", name);
    }
    *out_row = it->second;
  });
}

MARIUS_EXTERN_C marius_status marius_session_name(marius_session* session, int32_t table, int64_t row,
                                                  const char** out_name) {
  static const char* const call = "marius_session_name";
  return guard(call, session, [&] {
    require(session, call, "session");
    require(out_name, call, "out_name");
    auto lock = session->lock(call);
    const Names& n = session->names(table, call);
    if (row < 0 || row >= static_cast<int64_t>(n.list.size())) {
      fail(MARIUS_ERR_OUT_OF_RANGE, "{}: row {} is outside [0, {}) of the {} table", call, row, n.list.size(),
           table == MARIUS_TABLE_RELATIONS ? "relation" : "node");
    }
    *out_name = n.list[static_cast<size_t>(row)].c_str();
  });
}
