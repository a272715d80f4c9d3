// core/run/node_assignment.cpp - see node_assignment.h.
#include "core/run/node_assignment.h"

#include "core/data/dataset.h"
#include "core/error.h"
#include "core/run/seed_mix.h"

namespace marius {
namespace {

// The states a greedy cover of the p partitions keeps.
std::vector<bool> greedy_cover(const std::vector<const BufferState*>& states, int32_t p, uint64_t draw) {
  std::vector<bool> covered(static_cast<size_t>(p), false), kept(states.size(), false);
  for (int32_t left = p; left > 0;) {
    size_t best = states.size();
    int32_t best_gain = 0;
    uint64_t best_tie = 0;
    for (size_t s = 0; s < states.size(); ++s) {
      int32_t gain = 0;
      for (int32_t k : states[s]->partitions) gain += covered[k] ? 0 : 1;
      const uint64_t tie = mix(mix(draw ^ 0x636f766572ULL) ^ (s + 1));  // its own salt: not the nodes' draws
      if (gain > best_gain || (gain == best_gain && gain > 0 && tie < best_tie)) best = s, best_gain = gain, best_tie = tie;
    }
    if (best == states.size()) fail(MARIUS_ERR_INTERNAL, "the plan never holds {} of the {} partitions", left, p);
    kept[best] = true;
    for (int32_t k : states[best]->partitions) left -= covered[k] ? 0 : 1, covered[k] = true;
  }
  return kept;
}

}  // namespace

std::vector<std::vector<int64_t>> assign_training_nodes(const std::vector<const BufferState*>& states,
                                                        const at::Tensor& nodes, const Dataset& dataset, uint64_t draw) {
  const int32_t p = static_cast<int32_t>(dataset.partition_offsets().size()) - 1;
  const std::vector<bool> kept = greedy_cover(states, p, draw);
  std::vector<std::vector<uint32_t>> holding(static_cast<size_t>(p));  // the covering states holding partition k
  for (size_t s = 0; s < states.size(); ++s) {
    if (!kept[s]) continue;
    for (int32_t k : states[s]->partitions) holding[k].push_back(static_cast<uint32_t>(s));
  }
  const at::Tensor ids = nodes.contiguous();
  const int64_t* id = ids.data_ptr<int64_t>();
  std::vector<std::vector<int64_t>> out(states.size());
  for (int64_t i = 0; i < ids.numel(); ++i) {
    const std::vector<uint32_t>& h = holding[dataset.partition_of(id[i])];
    out[h[mix(draw ^ static_cast<uint64_t>(id[i])) % h.size()]].push_back(id[i]);
  }
  return out;
}

}  // namespace marius
