// Fuzz target: a preprocessed dataset directory as training, eval and export open
// it - header.bin, the three edge files, degrees.bin, train.buckets and the two
// id dictionaries. The input holds the files in dataset_file_names() order,
// separated by kSeparator (tests/fuzz/corpus/dataset was packed from real
// datasets by tests/fuzz/make_seeds.sh). Opening must refuse a corrupt
// directory with an error; what it accepts must read back in full.
#include "core/data/dataset.h"
#include "core/data/dataset_fingerprint.h"
#include "core/data/dataset_format.h"
#include "fuzz_support.h"

namespace {
constexpr std::string_view kSeparator = "\n==> marius fuzz file <==\n";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace marius;
  static bool init = (fuzz::quiet(), true);
  (void)init;
  const auto& names = dataset_file_names();
  auto parts = fuzz::split(std::string_view(reinterpret_cast<const char*>(data), size), kSeparator, names.size());
  const auto dir = fuzz::scratch_dir() / "dataset";
  std::filesystem::create_directories(dir);
  for (size_t i = 0; i < names.size(); ++i) fuzz::write_file("dataset/" + names[i], parts[i]);
  fuzz::expect_only_marius_errors([&] {
    Dataset dataset = Dataset::open(dir);
    for (Split split : {Split::kTrain, Split::kValid, Split::kTest}) (void)dataset.edges(split);
    (void)dataset.degrees();
    (void)dataset.node_names();
    (void)dataset.relation_names();
    (void)fingerprint_of(dataset);
  });
  return 0;
}
