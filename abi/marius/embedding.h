/*
 * marius/embedding.h - the embedding API, version 1.1: marius as a library.
 *
 * Open a training session from a TOML configuration, train it, evaluate it,
 * read its node embeddings and relation parameters as DLPack tensors, map
 * original ids to rows and back, export, predict links, close. Since 1.1 also
 * node classification with a GNN encoder (model.task = "node_classification",
 * docs/gnn.md): accuracy from evaluate, a node's classes from
 * marius_session_classify, the encoder's output as a table. Implemented by
 * libmarius.so (link with -lmarius); the Python package `marius` drives it
 * through ctypes. Pure C99; also compiles as C++.
 *
 * This header is not part of the plugin ABI (<marius/abi.h> does not include
 * it, and plugins must not call it), but follows the same rules, stated in
 * docs/abi.md ("The embedding API"):
 *  - every struct starts with uint32_t struct_size and only grows at its end
 *    within a major version; the frozen 1.0 sizes are the *_SIZE_1_0 macros;
 *  - fixed-width fields only (no bool, no enum-typed fields, no size_t);
 *  - every call that can fail returns a marius_status and leaves a message
 *    (marius_last_error, marius_session_error); no C++ exception crosses it;
 *  - each call states its threading rule. Calls on one session are serialised
 *    by the session's mutex; different sessions may be used concurrently.
 *
 * Structs the caller passes in (…_args) are read up to their struct_size,
 * which must be at least the 1.0 size. Structs the library fills (…_info,
 * …_metrics, …_result) carry the caller's struct_size on entry (at least the
 * 1.0 size); the library writes the members that fit in both its own and the
 * caller's size and sets struct_size to that size, so a caller built against a
 * newer minor can tell which members an older library filled.
 */
#ifndef MARIUS_EMBEDDING_H_
#define MARIUS_EMBEDDING_H_

#include "marius/abi/common.h"

/* The embedding API version this header describes (independent of the plugin
 * ABI's MARIUS_ABI_MAJOR/MINOR). Major: incompatible change. Minor: functions,
 * members or constants added. */
#define MARIUS_EMBEDDING_MAJOR 1
#define MARIUS_EMBEDDING_MINOR 3

#define MARIUS_API MARIUS_EXPORT

MARIUS_EXTERN_C_BEGIN

/* ---- Library ------------------------------------------------------------------ */

/* The version of the loaded library: (major << 16) | minor. A binding checks that
 * the major equals the one it was written for and the minor is at least the one
 * it needs. Thread-safe; cannot fail. */
MARIUS_API uint32_t marius_embedding_version(void);

/* The message of the most recent failed call made by this thread (any function
 * of this header), or "" if none failed yet. Valid until this thread's next call
 * into the library. Thread-safe (the message is thread-local). */
MARIUS_API const char* marius_last_error(void);

/* "OK", "INVALID_ARGUMENT", …, "UNKNOWN" for codes this library does not know.
 * A static string. Thread-safe; cannot fail. */
MARIUS_API const char* marius_status_name(marius_status code);

/* Sets the level of marius's log (stderr): "trace", "debug", "info" (the
 * default), "warn", "error" or "off". Process-wide; thread-safe. */
MARIUS_API marius_status marius_set_log_level(const char* level);

/* ---- Preprocessing --------------------------------------------------------------
 * Edge lists (TSV/CSV, optional gzip) into a dataset directory, exactly like
 * `marius-run preprocess` (docs/formats.md). Give `train` (and optionally `valid`
 * and `test`), or `input` with split fractions. Not tied to a session: preprocess
 * first, then open a session whose dataset.path names `output`.
 * Thread-safe (calls writing different outputs may run concurrently). */
#define MARIUS_PREPROCESS_HEADER (1u << 0) /* skip the first line of every file */
#define MARIUS_PREPROCESS_FEATURES_FLOAT16 (1u << 1) /* since 1.1: store the features as float16 */

typedef struct marius_preprocess_args {
  uint32_t struct_size;
  uint32_t flags;          /* MARIUS_PREPROCESS_* */
  const char* train;       /* edge files, or NULL */
  const char* valid;
  const char* test;
  const char* input;       /* one file split at random, or NULL (then train is required) */
  double split_train;      /* with input: the three fractions, summing to 1 */
  double split_valid;
  double split_test;
  uint64_t seed;           /* the split and the partition permutation (the CLI defaults to 1) */
  const char* output;      /* the dataset directory to write (required) */
  const char* delimiter;   /* "tab" (NULL), "comma", "space", "auto" or one character */
  const char* columns;     /* "hrt", "htr", "ht", … ; NULL: hrt for 3 columns, ht for 2 */
  const char* ids;         /* "string" (NULL) or "integer" */
  int64_t partitions;      /* node partitions; <= 1: unpartitioned */
  /* Since 1.1: node data for GNNs and node classification (docs/formats.md, "Node
   * data"), keyed by the original node ids; each NULL or "" when absent. */
  const char* features;    /* node<TAB>v1 v2 … vD (.tsv or .tsv.gz), or a 2-D float .npy (row i: node "i") */
  const char* labels;      /* node<TAB>class (-1: unlabelled) */
  const char* train_nodes; /* one node id per line */
  const char* valid_nodes;
  const char* test_nodes;
  /* Since 1.3: negatives published for the valid and test splits, for
   * evaluation.protocol "given" and "classification" (docs/formats.md, "Given
   * negatives"); each NULL or "" when absent. */
  const char* valid_negatives;
  const char* test_negatives;
  const char* negatives_layout; /* "shared" (NULL), "tails", "heads" or "both" */
} marius_preprocess_args;

#define MARIUS_PREPROCESS_ARGS_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_preprocess_args, partitions)
#define MARIUS_PREPROCESS_ARGS_SIZE_1_1 MARIUS_STRUCT_SIZE(marius_preprocess_args, test_nodes)
#define MARIUS_PREPROCESS_ARGS_SIZE_1_3 MARIUS_STRUCT_SIZE(marius_preprocess_args, negatives_layout)

typedef struct marius_dataset_summary {
  uint32_t struct_size;
  uint32_t has_relations;  /* 0: a plain graph (two columns) */
  int64_t num_nodes;
  int64_t num_relations;
  int64_t train_edges;
  int64_t valid_edges;
  int64_t test_edges;
  int64_t num_partitions;
  double seconds;
  /* Since 1.1: the node data written (0 when none). */
  int64_t feature_dim;     /* D of the feature table */
  int64_t num_classes;
  int64_t labelled_nodes;
  int64_t train_nodes;     /* nodes in each split file */
  int64_t valid_nodes;
  int64_t test_nodes;
  /* Since 1.3: the given negatives written (shared: edges; per edge: M per side; 0: none). */
  int64_t valid_negatives;
  int64_t test_negatives;
} marius_dataset_summary;

#define MARIUS_DATASET_SUMMARY_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_dataset_summary, seconds)
#define MARIUS_DATASET_SUMMARY_SIZE_1_1 MARIUS_STRUCT_SIZE(marius_dataset_summary, test_nodes)
#define MARIUS_DATASET_SUMMARY_SIZE_1_3 MARIUS_STRUCT_SIZE(marius_dataset_summary, test_negatives)

/* `out` may be NULL. Flags this library does not know are refused (since 1.1). */
MARIUS_API marius_status marius_preprocess(const marius_preprocess_args* args, marius_dataset_summary* out);

/* ---- Sessions ---------------------------------------------------------------------
 * A session is one configuration, its dataset, its plugins and one model (fresh,
 * or the last checkpoint in output.dir). */
typedef struct marius_session marius_session;

#define MARIUS_SESSION_RESUME (1u << 0) /* load output.dir/checkpoint.bin instead of a fresh model */
#define MARIUS_SESSION_OVERWRITE (1u << 1) /* a fresh model even when output.dir holds a checkpoint (which the
                                               session's first save replaces); without it, and without RESUME,
                                               opening over a checkpoint fails with INVALID_ARGUMENT (since 1.0:
                                               a flag an older library does not know is refused, never ignored) */

typedef struct marius_session_args {
  uint32_t struct_size;
  uint32_t flags;                   /* MARIUS_SESSION_* */
  const char* config_path;          /* a TOML file, or NULL */
  const char* config_text;          /* TOML text, or NULL; not both. Neither: every key at its default */
  const char* const* overrides;     /* "section.key=value" (values in TOML syntax), like marius-run --set */
  int64_t num_overrides;
  const char* const* plugin_paths;  /* manifests or directories of them, like marius-run --plugin */
  int64_t num_plugin_paths;
} marius_session_args;

#define MARIUS_SESSION_ARGS_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_session_args, num_plugin_paths)

/* Reads and validates the configuration, opens the dataset, loads the plugins
 * (model.score, negatives.sampler, … may name a manifest file directly), and
 * makes the model. Relative paths in the configuration are relative to the
 * working directory. On failure *out is untouched and nothing stays open; the
 * message names the key, file or plugin at fault. Thread-safe. */
MARIUS_API marius_status marius_session_open(const marius_session_args* args, marius_session** out);

/* Closes the session and frees everything it holds except tensors still
 * exported (see marius_session_tensor). NULL is a no-op. May run concurrently
 * with other calls on the session: it waits for the call in progress (a train
 * call: until it returns). From the session's own progress callback it fails
 * with INVALID_ARGUMENT and changes nothing. Afterwards the handle stays a valid
 * pointer to a small closed handle that is never freed: every later call on it,
 * a second close included, fails with INVALID_ARGUMENT "<call>: the session is
 * closed". */
MARIUS_API marius_status marius_session_close(marius_session* session);

/* The message of the most recent failed call on this session, or "". Valid until
 * the session's next call. Same threading rule as the other session calls. */
MARIUS_API const char* marius_session_error(marius_session* session);

#define MARIUS_INFO_OUT_OF_CORE (1u << 0)       /* node tables live in partition files */
#define MARIUS_INFO_HAS_RELATIONS (1u << 1)     /* the dataset has relation types */
#define MARIUS_INFO_INVERSE_RELATIONS (1u << 2) /* relation_rows = 2 x num_relations */
#define MARIUS_INFO_NODE_CLASSIFICATION (1u << 3) /* since 1.1: model.task = "node_classification" */
#define MARIUS_INFO_ENCODER (1u << 4) /* since 1.1: a GNN encoder (model.encoder): MARIUS_TABLE_REPRESENTATIONS */

/* A node-classification session (MARIUS_INFO_NODE_CLASSIFICATION) has no score
 * function and no relation table: its 1.0 members read relation_rows = 0,
 * relation_width = 0, relation_table = NULL, score = "" ; dim and node_table
 * describe its learnable input embeddings (model.node_input = "embeddings" or
 * "both"), else 0 and NULL. */

typedef struct marius_session_info {
  uint32_t struct_size;
  uint32_t flags;              /* MARIUS_INFO_* */
  int64_t num_nodes;
  int64_t num_relations;       /* relation types of the dataset (1 for a plain graph) */
  int64_t relation_rows;       /* rows of the relation table */
  int64_t dim;                 /* D: width of a node embedding */
  int64_t relation_width;      /* R: width of a relation's parameters */
  int64_t epochs_done;         /* counting epochs of the checkpoint resumed from */
  int64_t epochs_configured;   /* training.epochs */
  int64_t train_edges;
  int64_t valid_edges;
  int64_t test_edges;
  int64_t num_partitions;      /* of the dataset (1: unpartitioned) */
  int64_t buffer_capacity;     /* partitions in memory out of core; 0 in memory */
  const void* node_table;      /* address of the in-memory node table (float32 [num_nodes, dim], C order); NULL out of core */
  const void* relation_table;  /* address of the relation table (float32 [relation_rows, relation_width]) */
  const char* dataset_dir;     /* dataset.path; valid until close */
  const char* output_dir;      /* output.dir (checkpoint.bin, export/); valid until close */
  const char* score;           /* model.score (a name or a manifest path); valid until close */
  /* Since 1.1. */
  const char* task;            /* model.task: "link_prediction" or "node_classification"; valid until close */
  int64_t representation_dim;  /* width of MARIUS_TABLE_REPRESENTATIONS (the encoder's output); 0 without an encoder */
  int64_t num_classes;         /* node classification: classes of the labels; else 0 */
  int64_t train_nodes;         /* node classification: nodes of each split; else 0 */
  int64_t valid_nodes;
  int64_t test_nodes;
} marius_session_info;

#define MARIUS_SESSION_INFO_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_session_info, score)
#define MARIUS_SESSION_INFO_SIZE_1_1 MARIUS_STRUCT_SIZE(marius_session_info, test_nodes)

MARIUS_API marius_status marius_session_get_info(marius_session* session, marius_session_info* out);

/* ---- Training ------------------------------------------------------------------ */

typedef struct marius_progress {
  uint32_t struct_size;
  uint32_t finished;        /* 1 on the one call after the epoch ended, else 0 */
  int64_t epoch;            /* 1-based, counting every epoch the model has had */
  int64_t epoch_in_call;    /* 1..epochs_in_call */
  int64_t epochs_in_call;
  int64_t edges_done;       /* training edges of this epoch done so far (node classification: training nodes) */
  int64_t edges_total;
  double loss;              /* mean loss per edge so far in this epoch */
  double seconds;           /* since this epoch started */
} marius_progress;

#define MARIUS_PROGRESS_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_progress, seconds)

/* Return 0 to go on; anything else stops training after the current epoch
 * (which completes and is saved as usual). `progress` is valid for the call. */
typedef int32_t (*marius_progress_fn)(const marius_progress* progress, void* user_data);

#define MARIUS_TRAIN_TO_CONFIG (-1) /* epochs: train until training.epochs are done */

typedef struct marius_train_args {
  uint32_t struct_size;
  uint32_t reserved;
  int64_t epochs;                /* >= 0 more epochs, or MARIUS_TRAIN_TO_CONFIG */
  marius_progress_fn progress;   /* NULL: no callback */
  void* user_data;               /* handed to progress */
  double progress_interval;      /* seconds between calls within an epoch; <= 0: after every batch */
} marius_train_args;

#define MARIUS_TRAIN_ARGS_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_train_args, progress_interval)

typedef struct marius_train_result {
  uint32_t struct_size;
  uint32_t stopped;         /* 1 when the callback asked to stop */
  int64_t epochs_trained;   /* by this call */
  int64_t epochs_done;      /* in all */
  int64_t edges;            /* training edges of the last epoch (node classification: training nodes) */
  double loss;              /* mean loss per edge (node) of the last epoch */
  double edges_per_sec;     /* of the last epoch (node classification: nodes per second) */
  double seconds;           /* training time of this call (without checkpoints) */
} marius_train_result;

#define MARIUS_TRAIN_RESULT_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_train_result, seconds)

/* Trains epochs one after another. After each epoch the checkpoint
 * output.dir/checkpoint.bin is written when output.checkpoint_every_epoch is true
 * (out of core: always); otherwise once at the end of the call. No validation
 * runs (call marius_session_evaluate). The callback is called on training worker
 * threads, never twice at once, at most every progress_interval seconds within
 * an epoch and once with finished = 1 after each epoch (on the calling thread);
 * it must not call this session (such calls fail with INVALID_ARGUMENT). `out`
 * may be NULL. A failure mid-epoch leaves the model with the updates made so far
 * and epochs_done unchanged. Holds the session's mutex throughout. */
MARIUS_API marius_status marius_session_train(marius_session* session, const marius_train_args* args,
                                              marius_train_result* out);

/* Writes output.dir/checkpoint.bin now. */
MARIUS_API marius_status marius_session_save(marius_session* session);

/* ---- Evaluation ---------------------------------------------------------------- */

#define MARIUS_SPLIT_TRAIN 0
#define MARIUS_SPLIT_VALID 1
#define MARIUS_SPLIT_TEST 2

#define MARIUS_PROTOCOL_FILTERED 1
#define MARIUS_PROTOCOL_SAMPLED 2
#define MARIUS_PROTOCOL_ACCURACY 3 /* since 1.1: node classification; the 1.0 ranking members are 0 */
#define MARIUS_PROTOCOL_GIVEN 4    /* since 1.3: against the dataset's negatives (the 1.3 members) */
#define MARIUS_PROTOCOL_CLASSIFICATION 5 /* since 1.3: triple classification: accuracy and f1 */
#define MARIUS_MAX_HITS_AT 8       /* evaluation.hits_at holds at most this many K */

typedef struct marius_metrics {
  uint32_t struct_size;
  int32_t protocol;   /* MARIUS_PROTOCOL_* (evaluation.protocol "none" evaluates filtered) */
  int64_t negatives;  /* sampled: n uniform + n degree-weighted */
  int64_t rankings;   /* 2 x edges of the split */
  double mrr;
  double mr;
  double hits1;
  double hits3;
  double hits10;
  double seconds;
  /* Since 1.1: node classification (MARIUS_PROTOCOL_ACCURACY); 0 for link prediction. */
  double accuracy;    /* fraction of the split's nodes whose most probable class is their label */
  double macro_f1;    /* F1 per class, averaged over the classes present in labels or predictions */
  int64_t nodes;      /* nodes of the split */
  /* Since 1.3: the given and classification protocols (evaluation.protocol). A
   * caller whose struct ends before these gets UNSUPPORTED from those protocols. */
  int32_t ranked;           /* 1: mrr ... hits10 are rank metrics; 0: the protocol has none (given with a
                             * shared set reports only Hits@K, as OGB; classification) */
  int32_t hits_at_count;    /* entries of hits_at_k and hits_at in use (given) */
  int64_t hits_at_k[MARIUS_MAX_HITS_AT];  /* the K of evaluation.hits_at */
  double hits_at[MARIUS_MAX_HITS_AT];     /* Hits@K for each */
  double f1;                /* classification (accuracy above holds its accuracy) */
} marius_metrics;

#define MARIUS_METRICS_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_metrics, seconds)
#define MARIUS_METRICS_SIZE_1_1 MARIUS_STRUCT_SIZE(marius_metrics, nodes)
#define MARIUS_METRICS_SIZE_1_3 MARIUS_STRUCT_SIZE(marius_metrics, f1)

/* Link prediction: ranks a split with the configured protocol
 * (core/tasks/link_prediction/evaluator.h). Node classification: accuracy and
 * macro-F1 of the split's nodes, with the configured inference
 * (evaluation.inference: full neighbourhoods or sampled). */
MARIUS_API marius_status marius_session_evaluate(marius_session* session, int32_t split, marius_metrics* out);

/* ---- Tensors --------------------------------------------------------------------
 * Tables come out as DLPack 0.6 DLManagedTensors (<dlpack/dlpack.h>): float32,
 * on the CPU (kDLCPU, device 0), shape [rows, width], strides filled (in
 * elements), byte_offset 0.
 *
 * In memory the tensor aliases the session's table: no copy, and training
 * writes into the same memory (a reader racing with marius_session_train sees
 * torn rows; nothing synchronises them). Writing through it changes the model.
 * Out of core the node embeddings live in partition files, so they come back as
 * a copy read partition by partition (num_nodes x dim x 4 bytes of memory), a
 * snapshot that training does not change; MARIUS_TENSOR_NO_COPY turns that into
 * UNSUPPORTED instead. The relation table is always in memory.
 *
 * Lifetime: the caller owns the DLManagedTensor and calls its deleter exactly
 * once. The tensor holds a reference to the table's memory, so it stays valid
 * after marius_session_close (it just stops changing). The deleter may be
 * called from any thread; it lives in libmarius, which must stay loaded. */
#define MARIUS_TABLE_NODES 1     /* node embeddings, [num_nodes, dim], rows by dense node id */
#define MARIUS_TABLE_RELATIONS 2 /* relation parameters, [relation_rows, relation_width] */
#define MARIUS_TABLE_REPRESENTATIONS 3 /* since 1.1, with a GNN encoder: its output for every node
                                          (full neighbourhoods), [num_nodes, representation_dim], rows by
                                          dense node id; always computed, so always a copy (MARIUS_TENSOR_NO_COPY:
                                          UNSUPPORTED). Node classification: the class logits. */

/* A node-classification session: MARIUS_TABLE_NODES is its learnable input
 * embeddings (NOT_FOUND when it reads features only); MARIUS_TABLE_RELATIONS is
 * NOT_FOUND. Names: MARIUS_TABLE_REPRESENTATIONS rows are node rows. */

#define MARIUS_TENSOR_COPY (1u << 0)    /* in: always return a copy (a snapshot) */
#define MARIUS_TENSOR_NO_COPY (1u << 1) /* in: fail with UNSUPPORTED rather than copy */
#define MARIUS_TENSOR_COPIED (1u << 0)  /* out: the tensor is a copy */

/* `out_flags` may be NULL. */
MARIUS_API marius_status marius_session_tensor(marius_session* session, int32_t table, uint32_t flags,
                                               DLManagedTensor** out, uint32_t* out_flags);

/* A second DLManagedTensor viewing the same memory as `tensor`, which must come
 * from this library (marius_session_tensor or marius_tensor_share); each has its
 * own deleter call. For producers that hand out one DLManagedTensor per consumer
 * (Python's __dlpack__). Thread-safe. */
MARIUS_API marius_status marius_tensor_share(const DLManagedTensor* tensor, DLManagedTensor** out);

/* ---- Ids ------------------------------------------------------------------------
 * Rows are dense ids; the dataset keeps the original ids. Node names are
 * indexed by node row. Relation names are indexed by relation-table row: with
 * inverse relations, row num_relations + r is named "<name of r>@inverse" (as
 * `marius-run export` writes relation_ids.txt). Strings stay valid until the
 * session is closed. */

/* All names of a table in one buffer: each name followed by a NUL byte, in row
 * order; *out_bytes counts every byte including the NULs, *out_count the names. */
MARIUS_API marius_status marius_session_names(marius_session* session, int32_t table, const char** out_data,
                                              uint64_t* out_bytes, int64_t* out_count);

/* The row of an original id; NOT_FOUND (naming it) when the table has no such id. */
MARIUS_API marius_status marius_session_lookup(marius_session* session, int32_t table, const char* name,
                                               int64_t* out_row);

/* The original id of a row; OUT_OF_RANGE outside the table. */
MARIUS_API marius_status marius_session_name(marius_session* session, int32_t table, int64_t row,
                                             const char** out_name);

/* ---- Export and prediction ---------------------------------------------------------- */

/* Writes nodes.{tsv,npy}, node_ids.txt, relations.{tsv,npy}, relation_ids.txt into
 * `dir` (NULL: output.dir/export), as `marius-run export` does. */
MARIUS_API marius_status marius_session_export(marius_session* session, const char* dir);

#define MARIUS_PREDICT_TAILS 0 /* best tails of (node, relation, ?) */
#define MARIUS_PREDICT_HEADS 1 /* best heads of (?, relation, node) */

typedef struct marius_predict_args {
  uint32_t struct_size;
  uint32_t direction;    /* MARIUS_PREDICT_* */
  const char* node;      /* original id of the known node */
  const char* relation;  /* original id of the relation (not an "@inverse" name); NULL for a plain graph */
  int64_t k;             /* >= 1: how many, and the capacity of the outputs */
  int64_t* out_nodes;    /* k entries: node rows, best first (names: marius_session_name) */
  double* out_scores;    /* k entries, or NULL */
  int64_t out_count;     /* written: min(k, num_nodes) */
} marius_predict_args;

#define MARIUS_PREDICT_ARGS_SIZE_1_0 MARIUS_STRUCT_SIZE(marius_predict_args, out_count)

/* Scores every node as the missing side (no filtering of known edges). A GNN
 * encoder's session scores its representations. A node-classification session
 * refuses it (INVALID_ARGUMENT: use marius_session_classify). */
MARIUS_API marius_status marius_session_predict(marius_session* session, marius_predict_args* args);

/* Since 1.1: the most probable classes of one node (node classification). */
typedef struct marius_classify_args {
  uint32_t struct_size;
  uint32_t reserved;         /* 0 */
  const char* node;          /* original id of the node */
  int64_t k;                 /* >= 1: how many classes, and the capacity of the outputs */
  int64_t* out_classes;      /* k entries: class indices (as in labels), most probable first */
  double* out_probabilities; /* k entries (softmax of the logits), or NULL */
  int64_t out_count;         /* written: min(k, num_classes) */
} marius_classify_args;

#define MARIUS_CLASSIFY_ARGS_SIZE_1_1 MARIUS_STRUCT_SIZE(marius_classify_args, out_count)

/* With the configured inference (evaluation.inference). A link-prediction
 * session refuses it (INVALID_ARGUMENT); NOT_FOUND names an unknown node. */
MARIUS_API marius_status marius_session_classify(marius_session* session, marius_classify_args* args);

/* Since 1.2: the nodes nearest to one node in embedding space (exact search,
 * block by block; out of core one partition at a time). */
#define MARIUS_SIMILAR_COSINE 0 /* cos(a, b), larger is nearer */
#define MARIUS_SIMILAR_DOT 1    /* <a, b>, larger is nearer */
#define MARIUS_SIMILAR_L2 2     /* |a - b|, smaller is nearer */

typedef struct marius_similar_args {
  uint32_t struct_size;
  uint32_t metric;       /* MARIUS_SIMILAR_* */
  const char* node;      /* original id of the node */
  int64_t k;             /* >= 1: how many, and the capacity of the outputs */
  int64_t* out_nodes;    /* k entries: node rows, nearest first, the node itself left out */
  double* out_values;    /* k entries (the metric's value: similarity, or distance for L2), or NULL */
  int64_t out_count;     /* written: min(k, num_nodes - 1) */
} marius_similar_args;

#define MARIUS_SIMILAR_ARGS_SIZE_1_2 MARIUS_STRUCT_SIZE(marius_similar_args, out_count)

/* Searches the node embeddings (a GNN encoder's session: its representations),
 * as `marius-run similar` does. A node-classification session refuses it
 * (INVALID_ARGUMENT); NOT_FOUND names an unknown node. */
MARIUS_API marius_status marius_session_similar(marius_session* session, marius_similar_args* args);

MARIUS_EXTERN_C_END

#endif /* MARIUS_EMBEDDING_H_ */
