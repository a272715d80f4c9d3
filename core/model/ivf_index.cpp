#include "core/model/ivf_index.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include <unistd.h>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "core/error.h"
#include "marius/abi/score.h"

#ifdef MARIUS_WITH_FAISS
#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/FaissException.h>
#include <faiss/index_io.h>
#endif

namespace fs = std::filesystem;

namespace marius {

double recall_at_k(const std::vector<std::vector<NearNode>>& found, const std::vector<std::vector<NearNode>>& exact) {
  int64_t hit = 0, total = 0;
  for (size_t q = 0; q < exact.size() && q < found.size(); ++q) {
    for (const NearNode& e : exact[q]) {
      ++total;
      for (const NearNode& f : found[q]) hit += f.node == e.node ? 1 : 0;
    }
  }
  return total > 0 ? static_cast<double>(hit) / static_cast<double>(total) : 1.0;
}

#ifdef MARIUS_WITH_FAISS

bool have_faiss() { return true; }

struct IvfIndex::State {
  std::unique_ptr<faiss::IndexIVFFlat> index;
  uint32_t comparator = MARIUS_COMPARATOR_DOT;
};

namespace {

// Rows as FAISS sees them: normalised for cosine (inner product of unit rows).
at::Tensor prepared(const at::Tensor& rows, uint32_t comparator) {
  at::Tensor r = rows.to(at::kFloat).contiguous();
  if (comparator == MARIUS_COMPARATOR_COSINE) {
    r = r / r.norm(2, {1}, /*keepdim=*/true).clamp_min(1e-12);
  }
  return r.contiguous();
}

faiss::MetricType metric_of(uint32_t comparator) {
  return comparator == MARIUS_COMPARATOR_L2 ? faiss::METRIC_L2 : faiss::METRIC_INNER_PRODUCT;
}

// Runs a FAISS call, turning its exceptions into marius errors.
template <class Body>
auto faiss_call(const char* what, Body&& body) {
  try {
    return body();
  } catch (const faiss::FaissException& e) {
    fail(MARIUS_ERR_INTERNAL, "{}: FAISS: {}", what, e.what());
  }
}

}  // namespace

IvfIndex::IvfIndex(std::unique_ptr<State> state) : state_(std::move(state)) {}
IvfIndex::IvfIndex(IvfIndex&&) noexcept = default;
IvfIndex& IvfIndex::operator=(IvfIndex&&) noexcept = default;
IvfIndex::~IvfIndex() = default;

IvfIndex IvfIndex::build(const NodeRows& rows, uint32_t comparator, const IvfOptions& options) {
  const int64_t n = rows.num_nodes(), d = rows.dim();
  if (n < 1) fail(MARIUS_ERR_INVALID_ARGUMENT, "similar: an index of an empty table");
  int64_t nlist = options.nlist > 0 ? options.nlist : std::max<int64_t>(1, std::llround(std::sqrt(static_cast<double>(n))));
  if (nlist > n) fail(MARIUS_ERR_INVALID_ARGUMENT, "similar: nlist {} is above the {} rows to index", nlist, n);
  auto state = std::make_unique<State>();
  state->comparator = comparator;
  faiss_call("similar: building the IVF index", [&] {
    faiss::Index* quantizer = comparator == MARIUS_COMPARATOR_L2 ? static_cast<faiss::Index*>(new faiss::IndexFlatL2(d))
                                                                 : new faiss::IndexFlatIP(d);
    state->index = std::make_unique<faiss::IndexIVFFlat>(quantizer, d, static_cast<size_t>(nlist), metric_of(comparator));
    state->index->own_fields = true;
    state->index->cp.seed = static_cast<int>(options.seed & 0x7fffffff);
    state->index->cp.max_points_per_centroid = 128;
    // A seeded sample (every row when the table is small), gathered in one pass.
    const int64_t sample = std::min<int64_t>(n, 128 * nlist);
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(options.seed);
    at::Tensor ids = sample == n ? at::arange(n, at::kLong) : std::get<0>(at::randperm(n, gen, at::kLong).narrow(0, 0, sample).sort());
    at::Tensor train = prepared(rows.gather(ids), comparator);
    state->index->train(sample, train.data_ptr<float>());
    for (int32_t b = 0; b < rows.num_blocks(); ++b) {
      at::Tensor block = prepared(rows.block(b), comparator);
      const int64_t m = block.size(0);
      if (m == 0) continue;
      at::Tensor block_ids = at::arange(rows.begin(b), rows.begin(b) + m, at::kLong);
      state->index->add_with_ids(m, block.data_ptr<float>(), block_ids.data_ptr<int64_t>());
    }
    return 0;
  });
  return IvfIndex(std::move(state));
}

void IvfIndex::save(const fs::path& file) const {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) fail(MARIUS_ERR_IO, "{}: cannot create: {}", file.parent_path().string(), ec.message());
  const fs::path temp = fs::path(file.string() + ".tmp");
  std::FILE* f = std::fopen(temp.c_str(), "wb");
  if (f == nullptr) fail(MARIUS_ERR_IO, "{}: cannot write the index", temp.string());
  try {
    faiss_call("similar: writing the index", [&] {
      faiss::write_index(state_->index.get(), f);
      return 0;
    });
  } catch (...) {
    std::fclose(f);
    fs::remove(temp, ec);
    throw;
  }
  const bool flushed = std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
  const bool closed = std::fclose(f) == 0;
  if (!flushed || !closed) {
    fs::remove(temp, ec);
    fail(MARIUS_ERR_IO, "{}: writing the index failed (is the disk full?)", temp.string());
  }
  fs::rename(temp, file, ec);
  if (ec) fail(MARIUS_ERR_IO, "{}: cannot rename to {}: {}", temp.string(), file.string(), ec.message());
}

IvfIndex IvfIndex::load(const fs::path& file, uint32_t comparator) {
  std::unique_ptr<faiss::Index> read;
  try {
    read.reset(faiss::read_index(file.c_str()));
  } catch (const faiss::FaissException& e) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: not a FAISS index marius wrote: {}", file.string(), e.what());
  }
  auto* ivf = dynamic_cast<faiss::IndexIVFFlat*>(read.get());
  if (ivf == nullptr) fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: not an IVF-flat index", file.string());
  if (ivf->metric_type != metric_of(comparator)) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "{}: an index for another metric", file.string());
  }
  read.release();
  auto state = std::make_unique<State>();
  state->index.reset(ivf);
  state->comparator = comparator;
  return IvfIndex(std::move(state));
}

int64_t IvfIndex::nlist() const { return static_cast<int64_t>(state_->index->nlist); }
int64_t IvfIndex::size() const { return state_->index->ntotal; }

std::vector<std::vector<NearNode>> IvfIndex::search(const at::Tensor& queries, const std::vector<int64_t>& exclude,
                                                     int64_t k, int64_t nprobe) const {
  const int64_t q = queries.size(0);
  if (k < 1) fail(MARIUS_ERR_INVALID_ARGUMENT, "similar: k must be at least 1, got {}", k);
  if (queries.size(1) != state_->index->d) {
    fail(MARIUS_ERR_INVALID_ARGUMENT, "similar: queries of width {}, the index holds width {}", queries.size(1),
         state_->index->d);
  }
  at::Tensor x = prepared(queries, state_->comparator);
  const int64_t want = k + 1;  // one more: the query's own node may come back
  std::vector<float> distances(static_cast<size_t>(q * want));
  std::vector<faiss::Index::idx_t> labels(static_cast<size_t>(q * want));
  faiss::SearchParametersIVF params;
  params.nprobe = static_cast<size_t>(std::clamp<int64_t>(nprobe, 1, nlist()));
  faiss_call("similar: searching the IVF index", [&] {
    state_->index->search(q, x.data_ptr<float>(), want, distances.data(), labels.data(), &params);
    return 0;
  });
  std::vector<std::vector<NearNode>> out(static_cast<size_t>(q));
  for (int64_t i = 0; i < q; ++i) {
    for (int64_t j = 0; j < want && static_cast<int64_t>(out[i].size()) < k; ++j) {
      const faiss::Index::idx_t id = labels[static_cast<size_t>(i * want + j)];
      if (id < 0 || id == exclude[static_cast<size_t>(i)]) continue;  // -1: fewer rows in the probed lists
      const float dist = distances[static_cast<size_t>(i * want + j)];
      // FAISS's L2 is squared; inner products are the similarity itself.
      const double sim = state_->comparator == MARIUS_COMPARATOR_L2 ? -std::sqrt(std::max(0.0f, dist)) : dist;
      out[i].push_back({id, sim});
    }
  }
  return out;
}

IvfIndex::Calibration IvfIndex::calibrate(const NodeRows& rows, uint32_t comparator, int64_t k, double target,
                                          int64_t sample, uint64_t seed) const {
  const int64_t n = rows.num_nodes();
  sample = std::min(sample, n);
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed ^ 0x5eedULL);
  at::Tensor ids = at::randperm(n, gen, at::kLong).narrow(0, 0, sample).contiguous();
  const std::vector<int64_t> queries(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + sample);
  const std::vector<std::vector<NearNode>> exact = nearest_nodes(rows, queries, k, comparator);
  const at::Tensor x = rows.gather(ids);
  auto recall_with = [&](int64_t nprobe) { return recall_at_k(search(x, queries, k, nprobe), exact); };
  // Doubling until the target holds (nlist always does: every list probed is exact search) ...
  int64_t lo = 0, hi = 1;
  double at_hi = recall_with(hi);
  while (at_hi < target && hi < nlist()) {
    lo = hi;
    hi = std::min(2 * hi, nlist());
    at_hi = recall_with(hi);
  }
  // ... then bisection between the last miss and the first hit, to within 1/16
  // of the count (each step searches the sample once more).
  while (hi - lo > std::max<int64_t>(1, hi / 16)) {
    const int64_t mid = lo + (hi - lo) / 2;
    const double r = recall_with(mid);
    if (r >= target) {
      hi = mid;
      at_hi = r;
    } else {
      lo = mid;
    }
  }
  return {hi, at_hi};
}

#else  // built without FAISS

bool have_faiss() { return false; }

struct IvfIndex::State {};
IvfIndex::IvfIndex(std::unique_ptr<State> state) : state_(std::move(state)) {}
IvfIndex::IvfIndex(IvfIndex&&) noexcept = default;
IvfIndex& IvfIndex::operator=(IvfIndex&&) noexcept = default;
IvfIndex::~IvfIndex() = default;

namespace {
[[noreturn]] void no_faiss() {
  fail(MARIUS_ERR_UNSUPPORTED, "similar: this marius was built without FAISS (libfaiss-dev), so only exact search "
       "(--index exact) is available");
}
}  // namespace

IvfIndex IvfIndex::build(const NodeRows&, uint32_t, const IvfOptions&) { no_faiss(); }
void IvfIndex::save(const fs::path&) const { no_faiss(); }
IvfIndex IvfIndex::load(const fs::path&, uint32_t) { no_faiss(); }
int64_t IvfIndex::nlist() const { no_faiss(); }
int64_t IvfIndex::size() const { no_faiss(); }
std::vector<std::vector<NearNode>> IvfIndex::search(const at::Tensor&, const std::vector<int64_t>&, int64_t, int64_t) const {
  no_faiss();
}
IvfIndex::Calibration IvfIndex::calibrate(const NodeRows&, uint32_t, int64_t, double, int64_t, uint64_t) const { no_faiss(); }

#endif

}  // namespace marius
