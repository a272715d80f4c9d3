// Fuzz target: the C embedding API's entry points that take strings - a session's
// TOML text and --set overrides, log levels, id lookups and prediction queries -
// as a binding in another language passes them. The input is split at NUL bytes:
//   config text | override | log level | lookup name | predict node | predict relation
// A bad string must come back as a status with a message; MARIUS_ERR_INTERNAL
// (an exception caught at the boundary: a bug) and crashes are findings.
#include <cstring>

#include "fuzz_support.h"
#include "marius/embedding.h"

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz: capi: %s (last error: %s)\n", what, marius_last_error());
    std::abort();
  }
}

void require_not_internal(marius_status s, const char* call) {
  if (s == MARIUS_ERR_INTERNAL) {
    std::fprintf(stderr, "fuzz: capi: %s returned MARIUS_ERR_INTERNAL: %s\n", call, marius_last_error());
    std::abort();
  }
}

// A tiny dataset, preprocessed once, and a session over it.
struct Fixture {
  std::string data_dir;
  std::string dataset_override;
  marius_session* session = nullptr;

  Fixture() {
    marius_set_log_level("off");
    auto tsv = marius::fuzz::write_file("train.tsv", "a\tr1\tb\nb\tr2\tc\nc\tr1\ta\nd\tr2\ta\ne\tr1\td\n");
    data_dir = (marius::fuzz::scratch_dir() / "data").string();
    marius_preprocess_args p{};
    p.struct_size = sizeof p;
    std::string train = tsv.string();
    p.train = train.c_str();
    p.output = data_dir.c_str();
    require(marius_preprocess(&p, nullptr) == MARIUS_OK, "preprocess of the fixture failed");
    dataset_override = "dataset.path=\"" + data_dir + "\"";
    const std::string out = "output.dir=\"" + (marius::fuzz::scratch_dir() / "out").string() + "\"";
    const char* overrides[] = {dataset_override.c_str(), out.c_str(), "evaluation.protocol=\"none\""};
    marius_session_args a{};
    a.struct_size = sizeof a;
    a.overrides = overrides;
    a.num_overrides = 3;
    require(marius_session_open(&a, &session) == MARIUS_OK, "cannot open the fixture's session");
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fixture;
  auto parts = marius::fuzz::split(std::string_view(reinterpret_cast<const char*>(data), size),
                                   std::string_view("\0", 1), 6);
  std::vector<std::string> s(parts.begin(), parts.end());

  // A session from fuzzed TOML text and one fuzzed override, on the fixture's dataset.
  {
    const std::string out = "output.dir=\"" + (marius::fuzz::scratch_dir() / "out-fuzz").string() + "\"";
    const char* overrides[] = {s[1].c_str(), fixture.dataset_override.c_str(), out.c_str()};
    marius_session_args a{};
    a.struct_size = sizeof a;
    a.flags = MARIUS_SESSION_OVERWRITE;
    a.config_text = s[0].c_str();
    a.overrides = overrides;
    a.num_overrides = s[1].empty() ? 0 : 3;
    if (a.num_overrides == 0) {
      a.overrides = overrides + 1;
      a.num_overrides = 2;
    }
    marius_session* session = nullptr;
    marius_status st = marius_session_open(&a, &session);
    require_not_internal(st, "marius_session_open");
    if (st == MARIUS_OK) {
      marius_session_info info{};
      info.struct_size = sizeof info;
      require_not_internal(marius_session_get_info(session, &info), "marius_session_get_info");
      require(marius_session_close(session) == MARIUS_OK, "close failed");
    } else {
      require(session == nullptr, "a failed open wrote *out");
      require(std::strlen(marius_last_error()) > 0, "a failed open left no message");
    }
  }
  require_not_internal(marius_set_log_level(s[2].c_str()), "marius_set_log_level");
  marius_set_log_level("off");

  for (int32_t table : {MARIUS_TABLE_NODES, MARIUS_TABLE_RELATIONS, 0, 7}) {
    int64_t row = -1;
    marius_status st = marius_session_lookup(fixture.session, table, s[3].c_str(), &row);
    require_not_internal(st, "marius_session_lookup");
    if (st == MARIUS_OK) {
      const char* name = nullptr;
      require(marius_session_name(fixture.session, table, row, &name) == MARIUS_OK && s[3] == name,
              "lookup and name disagree");
    }
  }
  int64_t nodes[3];
  double scores[3];
  for (uint32_t direction : {uint32_t{MARIUS_PREDICT_TAILS}, uint32_t{MARIUS_PREDICT_HEADS}, uint32_t{9}}) {
    marius_predict_args q{};
    q.struct_size = sizeof q;
    q.direction = direction;
    q.node = s[4].c_str();
    q.relation = s[5].empty() ? nullptr : s[5].c_str();
    q.k = 3;
    q.out_nodes = nodes;
    q.out_scores = scores;
    require_not_internal(marius_session_predict(fixture.session, &q), "marius_session_predict");
  }
  return 0;
}
