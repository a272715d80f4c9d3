/*
 * tests/capi_test.c - drives the C embedding API (marius/embedding.h) end to end,
 * compiled as C99: preprocess a generated graph, open sessions, train with a
 * progress callback, evaluate, read tensors (zero-copy in memory, a copy out of
 * core), ids, export, predict, resume, errors, threads, and closing: calls after
 * close, double close, close racing with calls on other threads, close from the
 * progress callback. Run it under AddressSanitizer to see that closing never
 * touches freed memory (see docs/abi.md, "Session rule").
 *
 * The graph has planted structure: 300 nodes in 10 clusters; relation r sends
 * cluster c to cluster (c + r + 1) mod 10. Training must beat the untrained
 * model's MRR by a wide margin.
 *
 * Usage: capi_test   (works in a fresh directory under $TMPDIR, removed at the end)
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <marius/embedding.h>

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                         \
  do {                                                                      \
    ++checks;                                                               \
    if (!(cond)) {                                                          \
      ++failures;                                                           \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                       \
  } while (0)

/* A call that must succeed; on failure prints the library's message. */
#define OK(call)                                                                              \
  do {                                                                                        \
    marius_status ok_status_ = (call);                                                        \
    ++checks;                                                                                 \
    if (ok_status_ != MARIUS_OK) {                                                            \
      ++failures;                                                                             \
      fprintf(stderr, "%s:%d: %s returned %s: %s\n", __FILE__, __LINE__, #call,               \
              marius_status_name(ok_status_), marius_last_error());                           \
    }                                                                                         \
  } while (0)

/* A call that must fail with `code` and a message containing `needle`. */
#define FAILS(call, code, needle)                                                                     \
  do {                                                                                                \
    marius_status fails_status_ = (call);                                                             \
    ++checks;                                                                                         \
    if (fails_status_ != (code) || strstr(marius_last_error(), (needle)) == NULL) {                   \
      ++failures;                                                                                     \
      fprintf(stderr, "%s:%d: %s returned %s (%s), expected %s with a message naming '%s'\n", __FILE__, \
              __LINE__, #call, marius_status_name(fails_status_), marius_last_error(),                 \
              marius_status_name(code), (needle));                                                     \
    }                                                                                                 \
  } while (0)

static char work[512];

static void path_in(char* out, size_t size, const char* name) { snprintf(out, size, "%s/%s", work, name); }

/* ---- The generated graph ------------------------------------------------------------ */

static uint64_t rng_state = 88172645463325252ull;
static uint64_t next_random(void) { /* xorshift64 */
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

#define NODES 300
#define CLUSTERS 10
#define RELATIONS 3

static int write_edges(const char* name, int count) {
  char file[600];
  path_in(file, sizeof file, name);
  FILE* f = fopen(file, "w");
  if (f == NULL) return 0;
  for (int i = 0; i < count; ++i) {
    int head = (int)(next_random() % NODES);
    int relation = (int)(next_random() % RELATIONS);
    int cluster = (head % CLUSTERS + relation + 1) % CLUSTERS;
    int tail = cluster + CLUSTERS * (int)(next_random() % (NODES / CLUSTERS));
    fprintf(f, "n%d\tr%d\tn%d\n", head, relation, tail);
  }
  return fclose(f) == 0;
}

/* Preprocesses train/valid/test.tsv of the work directory into `output`, with
 * `test_negatives` (a work-directory file, or NULL) in `layout`. */
static marius_status preprocess_into(const char* output, int64_t partitions, const char* test_negatives,
                                     const char* layout, marius_dataset_summary* summary) {
  char train[600], valid[600], test[600], out[600], negatives[600];
  path_in(train, sizeof train, "train.tsv");
  path_in(valid, sizeof valid, "valid.tsv");
  path_in(test, sizeof test, "test.tsv");
  path_in(out, sizeof out, output);
  marius_preprocess_args args;
  memset(&args, 0, sizeof args);
  args.struct_size = sizeof args;
  args.train = train;
  args.valid = valid;
  args.test = test;
  args.output = out;
  args.seed = 1;
  args.partitions = partitions;
  if (test_negatives != NULL) {
    path_in(negatives, sizeof negatives, test_negatives);
    args.test_negatives = negatives;
    args.negatives_layout = layout;
  }
  if (summary != NULL) {
    memset(summary, 0, sizeof *summary);
    summary->struct_size = sizeof *summary;
  }
  return marius_preprocess(&args, summary);
}

static void preprocess(const char* output, int64_t partitions) {
  marius_dataset_summary summary;
  OK(preprocess_into(output, partitions, NULL, NULL, &summary));
  CHECK(summary.struct_size == sizeof summary);
  CHECK(summary.num_nodes == NODES);
  CHECK(summary.num_relations == RELATIONS);
  CHECK(summary.has_relations == 1);
  CHECK(summary.train_edges == 6000 && summary.valid_edges == 300 && summary.test_edges == 300);
  CHECK(summary.num_partitions == (partitions > 1 ? partitions : 1));
}

/* ---- Sessions --------------------------------------------------------------------------- */

static const char* config_text =
    "[model]\n"
    "dim = 16\n"
    "init_scale = 0.1\n"
    "[optimizer]\n"
    "learning_rate = 0.3\n"
    "[negatives]\n"
    "chunks = 2\n"
    "per_chunk = 50\n"
    "[training]\n"
    "epochs = 4\n"
    "batch_size = 200\n"
    "threads = 2\n"
    "[evaluation]\n"
    "protocol = \"filtered\"\n";

/* Opens a session on dataset `data` writing to `out`, with extra overrides. */
static marius_status open_session(const char* data, const char* out, const char* extra, uint32_t flags,
                                  marius_session** session) {
  char data_set[700], out_set[700];
  snprintf(data_set, sizeof data_set, "dataset.path=\"%s/%s\"", work, data);
  snprintf(out_set, sizeof out_set, "output.dir=\"%s/%s\"", work, out);
  const char* overrides[3] = {data_set, out_set, extra};
  marius_session_args args;
  memset(&args, 0, sizeof args);
  args.struct_size = sizeof args;
  args.flags = flags;
  args.config_text = config_text;
  args.overrides = overrides;
  args.num_overrides = extra != NULL ? 3 : 2;
  return marius_session_open(&args, session);
}

static marius_session_info info_of(marius_session* session) {
  marius_session_info info;
  memset(&info, 0, sizeof info);
  info.struct_size = sizeof info;
  OK(marius_session_get_info(session, &info));
  return info;
}

static double mrr_of(marius_session* session, int32_t split) {
  marius_metrics m;
  memset(&m, 0, sizeof m);
  m.struct_size = sizeof m;
  OK(marius_session_evaluate(session, split, &m));
  CHECK(m.protocol == MARIUS_PROTOCOL_FILTERED);
  CHECK(m.rankings == 600);
  return m.mrr;
}

/* Progress bookkeeping, checked after training. */
struct progress_log {
  marius_session* session;
  int calls;
  int finished;
  int out_of_order;
  int64_t last_done;
  int64_t last_epoch;
  marius_status reentry;  /* what a call into the session from the callback returned */
  int stop_after;         /* return nonzero on this call (0: never) */
};

static int32_t on_progress(const marius_progress* p, void* user) {
  struct progress_log* log = (struct progress_log*)user;
  ++log->calls;
  if (p->struct_size < MARIUS_PROGRESS_SIZE_1_0) ++log->out_of_order;
  if (p->epoch != log->last_epoch) {
    log->last_epoch = p->epoch;
    log->last_done = 0;
  }
  if (p->edges_done < log->last_done || p->edges_done > p->edges_total) ++log->out_of_order;
  log->last_done = p->edges_done;
  if (p->finished) {
    ++log->finished;
    if (p->edges_done != p->edges_total || p->edges_total != 6000 || !(p->loss > 0)) ++log->out_of_order;
  }
  if (log->calls == 1) log->reentry = marius_session_save(log->session);
  return log->stop_after != 0 && log->calls >= log->stop_after;
}

static marius_train_result train(marius_session* session, int64_t epochs, struct progress_log* log) {
  marius_train_args args;
  memset(&args, 0, sizeof args);
  args.struct_size = sizeof args;
  args.epochs = epochs;
  if (log != NULL) {
    args.progress = on_progress;
    args.user_data = log;
    args.progress_interval = 0;
  }
  marius_train_result result;
  memset(&result, 0, sizeof result);
  result.struct_size = sizeof result;
  OK(marius_session_train(session, &args, &result));
  return result;
}

static DLManagedTensor* tensor_of(marius_session* session, int32_t table, uint32_t flags, uint32_t* out_flags) {
  DLManagedTensor* t = NULL;
  OK(marius_session_tensor(session, table, flags, &t, out_flags));
  return t;
}

/* Compares nodes.npy of an export with `t` (float32 [rows, cols], C order). */
static int npy_equals(const char* dir, const DLManagedTensor* t) {
  char file[700];
  snprintf(file, sizeof file, "%s/nodes.npy", dir);
  FILE* f = fopen(file, "rb");
  if (f == NULL) return 0;
  unsigned char head[10];
  if (fread(head, 1, 10, f) != 10 || memcmp(head, "\x93NUMPY", 6) != 0) {
    fclose(f);
    return 0;
  }
  long header = head[8] | (head[9] << 8);
  fseek(f, 10 + header, SEEK_SET);
  size_t count = (size_t)(t->dl_tensor.shape[0] * t->dl_tensor.shape[1]);
  float* data = (float*)malloc(count * sizeof(float));
  int same = data != NULL && fread(data, sizeof(float), count, f) == count && fgetc(f) == EOF &&
             memcmp(data, t->dl_tensor.data, count * sizeof(float)) == 0;
  free(data);
  fclose(f);
  return same;
}

struct eval_job {
  marius_session* session;
  double mrr;
  marius_status status;
};

static void* evaluate_job(void* arg) {
  struct eval_job* job = (struct eval_job*)arg;
  marius_metrics m;
  memset(&m, 0, sizeof m);
  m.struct_size = sizeof m;
  job->status = marius_session_evaluate(job->session, MARIUS_SPLIT_VALID, &m);
  job->mrr = m.mrr;
  return NULL;
}

/* ---- The tests ------------------------------------------------------------------------ */

static void test_errors(void) {
  marius_session* s = (marius_session*)0x1;
  char missing[700];
  path_in(missing, sizeof missing, "no-such.toml");
  marius_session_args args;
  memset(&args, 0, sizeof args);
  args.struct_size = sizeof args;
  args.config_path = missing;
  FAILS(marius_session_open(&args, &s), MARIUS_ERR_NOT_FOUND, "no-such.toml");
  CHECK(s == (marius_session*)0x1); /* untouched on failure */
  FAILS(open_session("data", "out", "training.epoch=1", 0, &s), MARIUS_ERR_INVALID_ARGUMENT, "training.epoch");
  FAILS(open_session("no-data", "out", NULL, 0, &s), MARIUS_ERR_NOT_FOUND, "no-data");
  FAILS(open_session("data", "never-trained", NULL, MARIUS_SESSION_RESUME, &s), MARIUS_ERR_NOT_FOUND,
        "never-trained");
  args.struct_size = 8;
  FAILS(marius_session_open(&args, &s), MARIUS_ERR_INVALID_ARGUMENT, "struct_size");
  args.struct_size = sizeof args;
  args.config_text = "[model]\n";
  FAILS(marius_session_open(&args, &s), MARIUS_ERR_INVALID_ARGUMENT, "not both");
  FAILS(marius_session_open(NULL, &s), MARIUS_ERR_INVALID_ARGUMENT, "args is NULL");
  marius_preprocess_args pre;
  memset(&pre, 0, sizeof pre);
  pre.struct_size = sizeof pre;
  pre.train = "/nonexistent/edges.tsv";
  pre.output = missing;
  FAILS(marius_preprocess(&pre, NULL), MARIUS_ERR_NOT_FOUND, "/nonexistent/edges.tsv");
  CHECK(marius_session_close(NULL) == MARIUS_OK);
  FAILS(marius_set_log_level("loud"), MARIUS_ERR_INVALID_ARGUMENT, "loud");
}

static void test_in_memory(void) {
  marius_session* s = NULL;
  OK(open_session("data", "out", NULL, 0, &s));
  if (s == NULL) return;
  marius_session_info info = info_of(s);
  CHECK(info.struct_size == sizeof info);
  CHECK(info.num_nodes == NODES && info.num_relations == RELATIONS && info.dim == 16);
  CHECK((info.flags & MARIUS_INFO_OUT_OF_CORE) == 0 && (info.flags & MARIUS_INFO_HAS_RELATIONS) != 0);
  CHECK((info.flags & MARIUS_INFO_INVERSE_RELATIONS) != 0 && info.relation_rows == 2 * RELATIONS);
  CHECK(info.node_table != NULL && info.relation_table != NULL && info.epochs_done == 0);
  CHECK(info.epochs_configured == 4 && info.train_edges == 6000 && info.buffer_capacity == 0);
  CHECK(strstr(info.output_dir, "/out") != NULL && strcmp(info.score, "distmult") == 0);

  const double untrained = mrr_of(s, MARIUS_SPLIT_TEST);

  /* Train 3 epochs, watching progress; the callback's call into the session is refused. */
  struct progress_log log;
  memset(&log, 0, sizeof log);
  log.session = s;
  log.reentry = -1;
  marius_train_result r = train(s, 3, &log);
  CHECK(r.epochs_trained == 3 && r.epochs_done == 3 && r.stopped == 0 && r.edges == 6000);
  CHECK(r.loss > 0 && r.edges_per_sec > 0 && r.seconds > 0);
  CHECK(log.finished == 3 && log.calls > 3 && log.out_of_order == 0);
  CHECK(log.reentry == MARIUS_ERR_INVALID_ARGUMENT);
  const double trained = mrr_of(s, MARIUS_SPLIT_TEST);
  printf("test MRR: untrained %.4f, after 3 epochs %.4f\n", untrained, trained);
  CHECK(trained > untrained + 0.05);

  /* Zero copy: the tensor's data is the table. */
  uint32_t flags = 99;
  DLManagedTensor* nodes = tensor_of(s, MARIUS_TABLE_NODES, 0, &flags);
  if (nodes == NULL) return;
  CHECK(flags == 0);
  CHECK(nodes->dl_tensor.data == info.node_table);
  CHECK(nodes->dl_tensor.ndim == 2 && nodes->dl_tensor.shape[0] == NODES && nodes->dl_tensor.shape[1] == 16);
  CHECK(nodes->dl_tensor.strides[0] == 16 && nodes->dl_tensor.strides[1] == 1 && nodes->dl_tensor.byte_offset == 0);
  CHECK(nodes->dl_tensor.dtype.code == kDLFloat && nodes->dl_tensor.dtype.bits == 32 &&
        nodes->dl_tensor.device.device_type == kDLCPU);
  printf("node table %p, tensor data %p\n", info.node_table, nodes->dl_tensor.data);
  DLManagedTensor* relations = tensor_of(s, MARIUS_TABLE_RELATIONS, MARIUS_TENSOR_NO_COPY, NULL);
  CHECK(relations != NULL && relations->dl_tensor.data == info.relation_table);
  CHECK(relations != NULL && relations->dl_tensor.shape[0] == 2 * RELATIONS && relations->dl_tensor.shape[1] == 16);
  DLManagedTensor* copy = tensor_of(s, MARIUS_TABLE_NODES, MARIUS_TENSOR_COPY, &flags);
  CHECK(flags == MARIUS_TENSOR_COPIED && copy->dl_tensor.data != nodes->dl_tensor.data);
  CHECK(memcmp(copy->dl_tensor.data, nodes->dl_tensor.data, sizeof(float) * NODES * 16) == 0);
  DLManagedTensor* shared = NULL;
  OK(marius_tensor_share(nodes, &shared));
  CHECK(shared != NULL && shared->dl_tensor.data == nodes->dl_tensor.data && shared != nodes);
  DLManagedTensor foreign;
  memset(&foreign, 0, sizeof foreign);
  FAILS(marius_tensor_share(&foreign, &shared), MARIUS_ERR_INVALID_ARGUMENT, "does not come from libmarius");
  FAILS(marius_session_tensor(s, 7, 0, &shared, NULL), MARIUS_ERR_INVALID_ARGUMENT, "table 7");

  /* The tensor aliases the table: another epoch changes what it shows (and not the copy). */
  train(s, 1, NULL);
  CHECK(memcmp(copy->dl_tensor.data, nodes->dl_tensor.data, sizeof(float) * NODES * 16) != 0);
  CHECK(info_of(s).node_table == nodes->dl_tensor.data);

  /* Ids. */
  const char* blob = NULL;
  uint64_t bytes = 0;
  int64_t count = 0;
  OK(marius_session_names(s, MARIUS_TABLE_NODES, &blob, &bytes, &count));
  CHECK(count == NODES && bytes > (uint64_t)NODES && blob[bytes - 1] == '\0');
  const char* name = NULL;
  int64_t row = -1;
  OK(marius_session_name(s, MARIUS_TABLE_NODES, 7, &name));
  CHECK(name != NULL && name[0] == 'n');
  OK(marius_session_lookup(s, MARIUS_TABLE_NODES, name, &row));
  CHECK(row == 7);
  FAILS(marius_session_lookup(s, MARIUS_TABLE_NODES, "nobody", &row), MARIUS_ERR_NOT_FOUND, "nobody");
  FAILS(marius_session_name(s, MARIUS_TABLE_NODES, NODES, &name), MARIUS_ERR_OUT_OF_RANGE, "300");
  CHECK(strstr(marius_session_error(s), "300") != NULL);
  OK(marius_session_names(s, MARIUS_TABLE_RELATIONS, &blob, &bytes, &count));
  CHECK(count == 2 * RELATIONS);
  OK(marius_session_name(s, MARIUS_TABLE_RELATIONS, RELATIONS, &name));
  CHECK(strstr(name, "@inverse") != NULL);

  /* Export: nodes.npy holds exactly the table. */
  char dir[700];
  path_in(dir, sizeof dir, "export");
  OK(marius_session_export(s, dir));
  CHECK(npy_equals(dir, nodes));

  /* Predict the tails of (n0, r1, ?): k best, best first; they land in cluster (0 + 1 + 1). */
  int64_t best[5];
  double scores[5];
  marius_predict_args p;
  memset(&p, 0, sizeof p);
  p.struct_size = sizeof p;
  p.direction = MARIUS_PREDICT_TAILS;
  p.node = "n0";
  p.relation = "r1";
  p.k = 5;
  p.out_nodes = best;
  p.out_scores = scores;
  OK(marius_session_predict(s, &p));
  CHECK(p.out_count == 5 && scores[0] >= scores[1] && scores[1] >= scores[4]);
  /* DistMult is symmetric, so (n, r, ?) ranks both planted partners of n's cluster c
   * first: c + r + 1 (tails) and c - r - 1 (heads). Chance: 20% of the top 5. */
  int hits = 0, total = 0;
  for (int h = 0; h < NODES; h += 7) {
    for (int rel = 0; rel < RELATIONS; ++rel) {
      char head[16], relation[16];
      snprintf(head, sizeof head, "n%d", h);
      snprintf(relation, sizeof relation, "r%d", rel);
      p.node = head;
      p.relation = relation;
      OK(marius_session_predict(s, &p));
      for (int i = 0; i < (int)p.out_count; ++i) {
        OK(marius_session_name(s, MARIUS_TABLE_NODES, best[i], &name));
        int cluster = atoi(name + 1) % CLUSTERS, c = h % CLUSTERS;
        if (cluster == (c + rel + 1) % CLUSTERS || cluster == (c + 2 * CLUSTERS - rel - 1) % CLUSTERS) ++hits;
        ++total;
      }
    }
  }
  printf("predict: %d of %d top-5 tails in a planted cluster\n", hits, total);
  CHECK(total == 43 * RELATIONS * 5 && hits * 2 > total);
  p.node = "n0";
  p.relation = "r9";
  FAILS(marius_session_predict(s, &p), MARIUS_ERR_NOT_FOUND, "r9");
  p.relation = "r1@inverse";
  FAILS(marius_session_predict(s, &p), MARIUS_ERR_NOT_FOUND, "r1@inverse");

  /* Output structs smaller than their 1.0 size are refused. */
  marius_metrics small;
  memset(&small, 0, sizeof small);
  small.struct_size = MARIUS_METRICS_SIZE_1_0 - 8;
  FAILS(marius_session_evaluate(s, MARIUS_SPLIT_TEST, &small), MARIUS_ERR_INVALID_ARGUMENT, "marius_metrics");
  small.struct_size = sizeof small;
  FAILS(marius_session_evaluate(s, 5, &small), MARIUS_ERR_INVALID_ARGUMENT, "split 5");

  /* A caller built against 1.0 passes the 1.0 size: the library fills only those members. */
  marius_metrics old;
  memset(&old, 0xab, sizeof old);
  old.struct_size = MARIUS_METRICS_SIZE_1_0;
  OK(marius_session_evaluate(s, MARIUS_SPLIT_TEST, &old));
  CHECK(old.struct_size == MARIUS_METRICS_SIZE_1_0 && old.protocol == MARIUS_PROTOCOL_FILTERED && old.rankings == 600);
  CHECK(((const unsigned char*)&old)[MARIUS_METRICS_SIZE_1_0] == 0xab);

  /* 1.1: a link-prediction session without an encoder classifies nothing and has no representations. */
  marius_classify_args classify;
  memset(&classify, 0, sizeof classify);
  classify.struct_size = sizeof classify;
  int64_t classes[2];
  classify.node = "n0";
  classify.k = 2;
  classify.out_classes = classes;
  FAILS(marius_session_classify(s, &classify), MARIUS_ERR_INVALID_ARGUMENT, "no classes");
  DLManagedTensor* representations = NULL;
  FAILS(marius_session_tensor(s, MARIUS_TABLE_REPRESENTATIONS, 0, &representations, NULL), MARIUS_ERR_NOT_FOUND,
        "model.encoder");
  FAILS(marius_session_tensor(s, 4, 0, &representations, NULL), MARIUS_ERR_INVALID_ARGUMENT, "table 4");
  CHECK(info_of(s).num_classes == 0 && strcmp(info_of(s).task, "link_prediction") == 0);

  /* One session, two threads: calls are serialised and agree. */
  struct eval_job jobs[2] = {{s, 0, -1}, {s, 0, -1}};
  pthread_t threads[2];
  for (int i = 0; i < 2; ++i) pthread_create(&threads[i], NULL, evaluate_job, &jobs[i]);
  for (int i = 0; i < 2; ++i) pthread_join(threads[i], NULL);
  CHECK(jobs[0].status == MARIUS_OK && jobs[1].status == MARIUS_OK && jobs[0].mrr == jobs[1].mrr);

  /* A callback asking to stop ends training after the current epoch. */
  memset(&log, 0, sizeof log);
  log.session = s;
  log.stop_after = 1;
  r = train(s, 3, &log);
  CHECK(r.stopped == 1 && r.epochs_trained == 1 && r.epochs_done == 5);

  /* Tensors outlive the session; a resumed session has the same table. */
  OK(marius_session_close(s));
  CHECK(nodes->dl_tensor.shape[0] == NODES);
  s = NULL;
  /* A fresh session does not replace the trained checkpoint unless told to. */
  FAILS(open_session("data", "out", NULL, 0, &s), MARIUS_ERR_INVALID_ARGUMENT, "already holds a checkpoint");
  FAILS(open_session("data", "out", NULL, MARIUS_SESSION_RESUME | MARIUS_SESSION_OVERWRITE, &s),
        MARIUS_ERR_INVALID_ARGUMENT, "not both");
  OK(open_session("data", "out", NULL, MARIUS_SESSION_OVERWRITE, &s));
  if (s != NULL) CHECK(info_of(s).epochs_done == 0);
  OK(marius_session_close(s));
  s = NULL;
  OK(open_session("data", "out", NULL, MARIUS_SESSION_RESUME, &s));
  if (s != NULL) {
    CHECK(info_of(s).epochs_done == 5);
    DLManagedTensor* resumed = tensor_of(s, MARIUS_TABLE_NODES, 0, NULL);
    CHECK(resumed != NULL && memcmp(resumed->dl_tensor.data, nodes->dl_tensor.data, sizeof(float) * NODES * 16) == 0);
    if (resumed != NULL) resumed->deleter(resumed);
    r = train(s, MARIUS_TRAIN_TO_CONFIG, NULL); /* training.epochs = 4 are done already */
    CHECK(r.epochs_trained == 0);
    OK(marius_session_close(s));
  }
  nodes->deleter(nodes);
  shared->deleter(shared);
  copy->deleter(copy);
  relations->deleter(relations);
}

/* ---- Closing ---------------------------------------------------------------------------- */

/* Every session call on a closed handle fails INVALID_ARGUMENT "<call>: the session is closed". */
#define CLOSED(call) FAILS(call, MARIUS_ERR_INVALID_ARGUMENT, "the session is closed")

static void test_calls_after_close(void) {
  marius_session* s = NULL;
  OK(open_session("data", "out-closed", NULL, 0, &s));
  if (s == NULL) return;
  DLManagedTensor* nodes = tensor_of(s, MARIUS_TABLE_NODES, 0, NULL);
  DLManagedTensor* copy = tensor_of(s, MARIUS_TABLE_NODES, MARIUS_TENSOR_COPY, NULL);
  OK(marius_session_close(s));
  /* The handle is a tombstone now: every call fails cleanly, a second close too. */
  marius_session_info info;
  memset(&info, 0, sizeof info);
  info.struct_size = sizeof info;
  CLOSED(marius_session_get_info(s, &info));
  CHECK(strcmp(marius_last_error(), "marius_session_get_info: the session is closed") == 0);
  CHECK(strstr(marius_session_error(s), "the session is closed") != NULL);
  CHECK(info.num_nodes == 0); /* nothing written */
  marius_train_args args;
  memset(&args, 0, sizeof args);
  args.struct_size = sizeof args;
  args.epochs = 1;
  CLOSED(marius_session_train(s, &args, NULL));
  CLOSED(marius_session_save(s));
  marius_metrics m;
  memset(&m, 0, sizeof m);
  m.struct_size = sizeof m;
  CLOSED(marius_session_evaluate(s, MARIUS_SPLIT_TEST, &m));
  DLManagedTensor* t = NULL;
  CLOSED(marius_session_tensor(s, MARIUS_TABLE_NODES, 0, &t, NULL));
  CHECK(t == NULL);
  const char* blob = NULL;
  uint64_t bytes = 0;
  int64_t count = 0, row = -1;
  CLOSED(marius_session_names(s, MARIUS_TABLE_NODES, &blob, &bytes, &count));
  CLOSED(marius_session_lookup(s, MARIUS_TABLE_NODES, "n0", &row));
  CLOSED(marius_session_name(s, MARIUS_TABLE_NODES, 0, &blob));
  CLOSED(marius_session_export(s, NULL));
  int64_t best[1];
  marius_predict_args p;
  memset(&p, 0, sizeof p);
  p.struct_size = sizeof p;
  p.node = "n0";
  p.relation = "r0";
  p.k = 1;
  p.out_nodes = best;
  CLOSED(marius_session_predict(s, &p));
  CLOSED(marius_session_close(s));
  CHECK(strcmp(marius_last_error(), "marius_session_close: the session is closed") == 0);
  CLOSED(marius_session_close(s));
  /* A view handed out before close still holds the table. */
  if (nodes != NULL && copy != NULL) {
    CHECK(nodes->dl_tensor.shape[0] == NODES &&
          memcmp(nodes->dl_tensor.data, copy->dl_tensor.data, sizeof(float) * NODES * 16) == 0);
  }
  if (nodes != NULL) nodes->deleter(nodes);
  if (copy != NULL) copy->deleter(copy);
}

/* A thread calling into a session until the session is closed under it. */
struct racer {
  marius_session* session;
  int evaluate;              /* 0: get_info, 1: evaluate */
  pthread_mutex_t* mutex;
  pthread_cond_t* cond;
  int* started;              /* racers that made their first call */
  long ok;                   /* calls that succeeded */
  marius_status last;        /* the status that ended the loop */
  int closed_message;        /* the last error said "the session is closed" */
};

static void* race(void* arg) {
  struct racer* r = (struct racer*)arg;
  for (;;) {
    marius_status status;
    if (r->evaluate) {
      marius_metrics m;
      memset(&m, 0, sizeof m);
      m.struct_size = sizeof m;
      status = marius_session_evaluate(r->session, MARIUS_SPLIT_VALID, &m);
    } else {
      marius_session_info info;
      memset(&info, 0, sizeof info);
      info.struct_size = sizeof info;
      status = marius_session_get_info(r->session, &info);
    }
    if (r->ok == 0) { /* announce the first call, whatever its outcome */
      pthread_mutex_lock(r->mutex);
      ++*r->started;
      pthread_cond_broadcast(r->cond);
      pthread_mutex_unlock(r->mutex);
    }
    if (status != MARIUS_OK) {
      r->last = status;
      r->closed_message = strstr(marius_last_error(), "the session is closed") != NULL;
      return NULL;
    }
    ++r->ok;
  }
}

/* close() while two threads call get_info and evaluate on the session: close
 * waits for the call in flight, the racers' next calls fail cleanly. */
static void test_close_races_with_calls(void) {
  enum { kIterations = 40, kRacers = 3 };
  int clean = 0;
  for (int i = 0; i < kIterations; ++i) {
    marius_session* s = NULL;
    OK(open_session("data", "out-race", NULL, 0, &s));
    if (s == NULL) return;
    pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
    int started = 0;
    struct racer racers[kRacers];
    pthread_t threads[kRacers];
    for (int k = 0; k < kRacers; ++k) {
      memset(&racers[k], 0, sizeof racers[k]);
      racers[k].session = s;
      racers[k].evaluate = k == 0;
      racers[k].mutex = &mutex;
      racers[k].cond = &cond;
      racers[k].started = &started;
      racers[k].last = MARIUS_OK;
      pthread_create(&threads[k], NULL, race, &racers[k]);
    }
    pthread_mutex_lock(&mutex);
    while (started < kRacers) pthread_cond_wait(&cond, &mutex);
    pthread_mutex_unlock(&mutex);
    OK(marius_session_close(s));
    for (int k = 0; k < kRacers; ++k) pthread_join(threads[k], NULL);
    int all_clean = 1;
    for (int k = 0; k < kRacers; ++k) {
      all_clean &= racers[k].last == MARIUS_ERR_INVALID_ARGUMENT && racers[k].closed_message;
    }
    clean += all_clean;
    pthread_mutex_destroy(&mutex);
    pthread_cond_destroy(&cond);
  }
  printf("close racing with calls: %d of %d rounds ended cleanly\n", clean, kIterations);
  CHECK(clean == kIterations);
}

/* Close from the session's own progress callback: refused, and nothing changes. */
struct close_log {
  marius_session* session;
  int calls;
  marius_status status;  /* what close returned */
  int message;           /* its message named the callback */
};

static int32_t close_from_callback(const marius_progress* p, void* user) {
  struct close_log* log = (struct close_log*)user;
  (void)p;
  if (log->calls++ == 0) {
    log->status = marius_session_close(log->session);
    log->message = strstr(marius_last_error(), "progress callback") != NULL;
  }
  return 0;
}

static void test_close_from_progress_callback(void) {
  marius_session* s = NULL;
  OK(open_session("data", "out-callback-close", NULL, 0, &s));
  if (s == NULL) return;
  struct close_log log;
  memset(&log, 0, sizeof log);
  log.session = s;
  log.status = MARIUS_OK;
  marius_train_args args;
  memset(&args, 0, sizeof args);
  args.struct_size = sizeof args;
  args.epochs = 2;
  args.progress = close_from_callback;
  args.user_data = &log;
  marius_train_result r;
  memset(&r, 0, sizeof r);
  r.struct_size = sizeof r;
  OK(marius_session_train(s, &args, &r));
  CHECK(log.status == MARIUS_ERR_INVALID_ARGUMENT && log.message);
  CHECK(r.epochs_trained == 2 && r.epochs_done == 2 && r.stopped == 0 && log.calls >= 2);
  /* The session is open and whole: it answers, trains on and closes. */
  CHECK(info_of(s).epochs_done == 2);
  r = train(s, 1, NULL);
  CHECK(r.epochs_done == 3);
  OK(marius_session_close(s));
}

static void test_out_of_core(void) {
  marius_session* s = NULL;
  OK(open_session("data-p4", "out-p4", "storage.buffer_capacity=2", 0, &s));
  if (s == NULL) return;
  marius_session_info info = info_of(s);
  CHECK((info.flags & MARIUS_INFO_OUT_OF_CORE) != 0 && info.node_table == NULL);
  CHECK(info.num_partitions == 4 && info.buffer_capacity == 2);
  marius_train_result r = train(s, 2, NULL);
  CHECK(r.epochs_done == 2);
  DLManagedTensor* t = NULL;
  FAILS(marius_session_tensor(s, MARIUS_TABLE_NODES, MARIUS_TENSOR_NO_COPY, &t, NULL), MARIUS_ERR_UNSUPPORTED,
        "partition files");
  uint32_t flags = 0;
  t = tensor_of(s, MARIUS_TABLE_NODES, 0, &flags);
  CHECK(t != NULL && flags == MARIUS_TENSOR_COPIED);
  if (t != NULL) {
    CHECK(t->dl_tensor.shape[0] == NODES && t->dl_tensor.shape[1] == 16);
    char dir[700];
    path_in(dir, sizeof dir, "export-p4");
    OK(marius_session_export(s, dir));
    CHECK(npy_equals(dir, t));
    t->deleter(t);
  }
  printf("out of core: test MRR %.4f\n", mrr_of(s, MARIUS_SPLIT_TEST));
  OK(marius_session_close(s));
}

static int remove_entry(const char* path, const struct stat* st, int flag, struct FTW* ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

/* 1.3: given negatives through marius_preprocess, and the given protocol's
 * members of marius_metrics; a caller whose struct ends before them is refused. */
static void test_given_protocol(void) {
  /* Any edge list of the graph's nodes serves as shared negatives: the test edges here. */
  marius_dataset_summary summary;
  OK(preprocess_into("data-given", 1, "test.tsv", "shared", &summary));
  CHECK(summary.test_negatives == 300 && summary.valid_negatives == 0);
  FAILS(preprocess_into("data-given", 1, "test.tsv", "diagonal", NULL), MARIUS_ERR_INVALID_ARGUMENT, "diagonal");

  marius_session* s = NULL;
  OK(open_session("data-given", "out-given", "evaluation.protocol=\"given\"", 0, &s));
  marius_metrics m;
  memset(&m, 0, sizeof m);
  m.struct_size = sizeof m;
  OK(marius_session_evaluate(s, MARIUS_SPLIT_TEST, &m));
  CHECK(m.protocol == MARIUS_PROTOCOL_GIVEN && m.ranked == 0 && m.negatives == 300 && m.rankings == 300);
  CHECK(m.hits_at_count == 4 && m.hits_at_k[0] == 10 && m.hits_at_k[3] == 100);
  CHECK(m.hits_at[0] >= 0 && m.hits_at[0] <= m.hits_at[3] && m.hits_at[3] <= 1);
  FAILS(marius_session_evaluate(s, MARIUS_SPLIT_VALID, &m), MARIUS_ERR_NOT_FOUND, "--valid-negatives");
  m.struct_size = MARIUS_METRICS_SIZE_1_1;
  FAILS(marius_session_evaluate(s, MARIUS_SPLIT_TEST, &m), MARIUS_ERR_UNSUPPORTED, "1.3");
  OK(marius_session_close(s));
}

int main(void) {
  uint32_t version = marius_embedding_version();
  CHECK(version >> 16 == MARIUS_EMBEDDING_MAJOR && (int)(version & 0xffff) >= MARIUS_EMBEDDING_MINOR);
  CHECK(strcmp(marius_status_name(MARIUS_ERR_NOT_FOUND), "NOT_FOUND") == 0);
  OK(marius_set_log_level("warn"));

  const char* tmp = getenv("TMPDIR");
  snprintf(work, sizeof work, "%s/marius-capi-XXXXXX", tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
  if (mkdtemp(work) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  if (!write_edges("train.tsv", 6000) || !write_edges("valid.tsv", 300) || !write_edges("test.tsv", 300)) {
    perror("writing the edge files");
    return 1;
  }
  preprocess("data", 1);
  preprocess("data-p4", 4);
  {
    /* A 1.0-sized preprocess struct: whatever lies past its end (the 1.1 node data paths) is never read. */
    char train[600], out[600];
    path_in(train, sizeof train, "train.tsv");
    path_in(out, sizeof out, "data-1.0");
    marius_preprocess_args args;
    memset(&args, 0, sizeof args);
    args.struct_size = MARIUS_PREPROCESS_ARGS_SIZE_1_0;
    args.train = train;
    args.output = out;
    args.features = "/no/such/features.tsv";
    OK(marius_preprocess(&args, NULL));
    args.struct_size = sizeof args; /* read now: the missing file is named */
    FAILS(marius_preprocess(&args, NULL), MARIUS_ERR_NOT_FOUND, "/no/such/features.tsv");
    args.flags = 1u << 7;
    FAILS(marius_preprocess(&args, NULL), MARIUS_ERR_INVALID_ARGUMENT, "unknown flags");
  }
  test_errors();
  test_given_protocol();
  test_in_memory();
  test_out_of_core();
  test_calls_after_close();
  test_close_from_progress_callback();
  test_close_races_with_calls();

  nftw(work, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  printf("capi: %d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
