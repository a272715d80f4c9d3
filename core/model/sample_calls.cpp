#include "core/model/sample_calls.h"

#include <mutex>
#include <optional>

#include "core/tensor/dl_view.h"

namespace marius {

at::Tensor sample_negatives(const NegativeSampler& sampler, CallContext& ctx, std::mutex* lock,
                            const at::Tensor& node_ranges, const at::Tensor& degrees, int64_t num_nodes,
                            const at::Tensor& batch_nodes, const at::Tensor& out) {
  DLView ranges(node_ranges), degree_view(degrees), out_view(out);
  std::optional<DLView> nodes;
  if (batch_nodes.defined()) nodes.emplace(batch_nodes);
  marius_sample_args args{};
  args.struct_size = sizeof(args);
  args.num_chunks = out.size(0);
  args.negatives_per_chunk = out.size(1);
  args.num_nodes = num_nodes;
  args.node_ranges = ranges.get();
  args.degrees = degree_view.get();
  args.batch_nodes = nodes ? nodes->get() : nullptr;
  args.out = out_view.get();
  if (lock == nullptr || (sampler.plugin().capabilities() & MARIUS_CAP_REENTRANT) != 0) {
    sampler.sample(ctx, args);
  } else {
    std::lock_guard<std::mutex> guard(*lock);
    sampler.sample(ctx, args);
  }
  return out;
}

}  // namespace marius
