#include "core/model/node_rows.h"

#include <ATen/ATen.h>

#include "core/storage/partition_store.h"

namespace marius {

NodeRows::NodeRows(at::Tensor embeddings)
    : table_(embeddings.contiguous()), offsets_{0, embeddings.size(0)}, dim_(embeddings.size(1)) {}

NodeRows::NodeRows(PartitionStore& store) : store_(&store), offsets_(store.offsets()), dim_(store.dim()) {}

at::Tensor NodeRows::block(int32_t k) const {
  if (store_ == nullptr) return table_;
  at::Tensor embeddings = at::empty({store_->rows(k), dim_}, at::kFloat);
  store_->read(k, embeddings.data_ptr<float>(), /*state=*/nullptr);
  return embeddings;
}

at::Tensor NodeRows::gather(const at::Tensor& ids) const {
  if (store_ == nullptr) return table_.index_select(0, ids);
  at::Tensor flat = ids.reshape({-1}).contiguous();
  at::Tensor out = at::empty({flat.size(0), dim_}, at::kFloat);
  at::Tensor bounds = at::tensor(std::vector<int64_t>(offsets_.begin() + 1, offsets_.end()), at::kLong);
  at::Tensor part = at::bucketize(flat, bounds, /*out_int32=*/false, /*right=*/true);
  for (int32_t k = 0; k < num_blocks(); ++k) {
    at::Tensor where = (part == k).nonzero().squeeze(1);
    if (where.numel() == 0) continue;
    at::Tensor rows = block(k).index_select(0, flat.index_select(0, where) - offsets_[k]);
    out.index_copy_(0, where, rows);
  }
  return out;
}

}  // namespace marius
