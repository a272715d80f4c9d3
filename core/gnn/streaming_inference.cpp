#include "core/gnn/streaming_inference.h"

#include <stdlib.h>

#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "core/data/binary_file.h"
#include "core/error.h"

namespace fs = std::filesystem;

namespace marius {

fs::path make_scratch_directory(const fs::path& under) {
  std::error_code ec;
  fs::create_directories(under, ec);
  if (ec) fail(MARIUS_ERR_IO, "{}: cannot create: {}", under.string(), ec.message());
  std::string pattern = (under / "inference.XXXXXX").string();
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  if (::mkdtemp(name.data()) == nullptr) fail_system(pattern, "cannot create a scratch directory", errno);
  return fs::path(name.data());
}

FeatureFile infer_streaming(const GnnEncoder& encoder, const Adjacency& adjacency, const InputRows& input_rows,
                            const fs::path& dir, int64_t block_rows) {
  at::NoGradGuard no_grad;
  const int64_t n = adjacency.num_nodes();
  const int64_t block = std::max<int64_t>(1, block_rows);
  const int64_t* offsets = adjacency.offsets.data_ptr<int64_t>();
  std::optional<FeatureFile> in;  // the previous layer's output; none for the first layer
  fs::path previous, file;
  try {
    for (int64_t k = 0; k < encoder.num_layers(); ++k) {
      const int64_t out_dim = k + 1 == encoder.num_layers() ? encoder.spec().out_dim : encoder.spec().hidden_dim;
      file = dir / fmt::format("layer-{}.bin", k + 1);
      FeatureFileWriter out(file, n, out_dim, /*float16=*/false);
      for (int64_t a = 0; a < n; a += block) {
        const int64_t b = std::min(n, a + block);
        const int64_t e0 = offsets[a], e1 = offsets[b];
        at::Tensor neighbors = adjacency.neighbors.slice(0, e0, e1);
        // Input rows: the block's own (destinations first, as a layer reads
        // them), then the other neighbours in id order.
        at::Tensor outside = neighbors.masked_select(neighbors.lt(a).logical_or(neighbors.ge(b)));
        at::Tensor others = std::get<0>(at::_unique2(outside, /*sorted=*/true, false, false));
        at::Tensor ids = at::cat({at::arange(a, b, at::kLong), others});
        at::Tensor rows = at::where(neighbors.ge(a).logical_and(neighbors.lt(b)), neighbors - a,
                                    (b - a) + at::searchsorted(others, neighbors));
        LayerGraph graph{adjacency.offsets.slice(0, a, b + 1) - e0, rows, adjacency.relations.slice(0, e0, e1),
                         at::Tensor(), adjacency.degrees.index_select(0, ids)};
        at::Tensor x;
        if (in) {
          x = in->gather(ids);
        } else {  // ids sorted and distinct for the caller: the block, then the others after it
          at::Tensor order = ids.argsort();
          x = at::empty({ids.size(0), encoder.spec().in_dim}, at::kFloat).index_copy_(0, order, input_rows(ids.index_select(0, order)));
        }
        at::Tensor y = encoder.infer_layer(k, graph, x).contiguous();
        out.append(y.data_ptr<float>(), b - a);
      }
      out.close(/*sync=*/false);
      in = FeatureFile::open(file, n);
      std::error_code ec;
      if (!previous.empty()) fs::remove(previous, ec);
      previous = file;
    }
  } catch (...) {
    std::error_code ec;
    if (!previous.empty()) fs::remove(previous, ec);
    if (!file.empty()) fs::remove(file, ec);
    throw;
  }
  return *in;
}

}  // namespace marius
