// core/model/model.h - the parameters of a link-prediction model and their
// optimizer state.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace marius {

struct Config;
class ScoreFunction;

struct Model {
  int64_t num_nodes = 0;
  int64_t dim = 0;
  int64_t num_relations = 0;   // relation types of the dataset
  int64_t relation_width = 0;  // R, declared by the score plugin for dim
  // When true, relations has 2 x num_relations rows: row r + num_relations is the
  // inverse of relation r, used to score (tail, r, ?) when predicting heads.
  bool inverse_relations = false;

  at::Tensor embeddings;       // float32 [num_nodes, dim]
  at::Tensor embedding_state;  // Adagrad's sum of squared gradients, like embeddings
  at::Tensor relations;        // float32 [num_relations (x2 with inverses), relation_width]
  at::Tensor relation_state;   // Adagrad: sum of squares; Adam: first moment
  at::Tensor relation_state2;  // Adam: second moment (undefined for Adagrad)
  at::Tensor relation_steps;   // Adam: int64 [num_relations] update counts (undefined for Adagrad)

  // A fresh model: embeddings from config.init / init_scale drawn with
  // config.seed, relations from the plugin's init_relations, optimizer state zero.
  // With node_tables = false (out of core) embeddings and embedding_state stay
  // undefined: the partition files hold them.
  static Model create(const Config& config, int64_t num_nodes, int64_t num_relations, const ScoreFunction& score,
                      bool node_tables = true);

  // Initial embeddings of `rows` nodes, drawn like create()'s from a stream
  // named by (config.seed, stream): out of core, partition k uses stream k.
  static at::Tensor initial_embeddings(const Config& config, int64_t rows, uint64_t stream);
};

}  // namespace marius
