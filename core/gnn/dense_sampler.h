// core/gnn/dense_sampler.h - DENSE: a batch's multi-hop neighbourhood,
// sampled once (MariusGNN, EuroSys'23).
//
// The roots (a batch's nodes, deduplicated in order of first appearance) are
// hop 0. Expanding hop h samples the neighbours of hop h's nodes only, with
// fanouts[h]; a neighbour not seen before joins hop h + 1. A node keeps the
// one sample it got when it joined, however many layers read it. The nodes
// are laid out hop after hop, so for an L-layer model:
//
//   layer k (0 = the input layer) reads rows [0, hop_end[L-k]) and writes rows
//   [0, hop_end[L-k-1]); its neighbourhood is the prefix offsets[0 ..
//   hop_end[L-k-1]] of one CSR, whose neighbour entries are rows.
//
// No layer re-samples or re-indexes: each one reads a prefix of the arrays the
// sampler built and a prefix of the previous layer's output. With every fanout
// `all`, each node's sample is its whole adjacency row, so sampled and
// full-graph inference agree. Randomness comes only from `seed`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "core/gnn/adjacency.h"
#include "core/gnn/layer_autograd.h"

namespace marius {

// How many neighbours one hop keeps of a node's row.
struct Fanout {
  enum class Kind { kAll, kUniform, kDropout };
  Kind kind = Kind::kAll;
  int64_t count = 0;   // kUniform: at most this many, uniformly without replacement
  double rate = 0;     // kDropout: each neighbour is dropped with this probability
  std::string str() const;
};

// Parses "15,10,5", "all,all", "dropout:0.5,10": one entry per hop, hop 1
// (the roots' neighbours) first. Throws Error(INVALID_ARGUMENT) naming `key`.
std::vector<Fanout> parse_fanouts(const std::string& text, const std::string& key);
// parse_fanouts for an encoder of `layers` layers: one entry per layer, or one
// for all (repeated). Throws Error(INVALID_ARGUMENT) naming `key` otherwise.
std::vector<Fanout> layer_fanouts(const std::string& text, const std::string& key, int64_t layers);

struct DenseSample {
  at::Tensor nodes;              // int64 [hop_end.back()]: node ids, hop after hop
  std::vector<int64_t> hop_end;  // L + 1 entries: rows of hops 0..h
  at::Tensor offsets;            // int64 [hop_end[L-1] + 1]
  at::Tensor neighbors;          // int64 [E]: rows of `nodes`
  at::Tensor relations;          // int64 [E]
  at::Tensor degrees;            // float32 [hop_end.back()]: adjacency row length of each node
  at::Tensor root_rows;          // int64 [roots]: the row of each requested root

  int64_t num_layers() const { return static_cast<int64_t>(hop_end.size()) - 1; }
  // The neighbourhood layer k (0: input layer) of num_layers() reads.
  LayerGraph layer(int64_t k) const;
};

// Samples the neighbourhood of `roots` (int64 node ids, may repeat) with one
// fanout per hop. Safe to call from several threads at once.
DenseSample sample_dense(const Adjacency& adjacency, const at::Tensor& roots, const std::vector<Fanout>& fanouts,
                         uint64_t seed);

// The whole graph as layer k's neighbourhood: every node is a destination
// and reads its whole row (full-neighbourhood inference).
LayerGraph full_graph(const Adjacency& adjacency);

}  // namespace marius
