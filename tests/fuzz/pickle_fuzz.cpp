// Fuzz target: the restricted unpickler (core/datasets/pickle.h) that reads OGB's
// torch.save'd split files and Planetoid's Python 2 pickles from downloads. The
// input is the file: a plain pickle, a legacy torch file or a torch zip file.
// Every array the result holds is read element by element, as the converters do.
#include "core/datasets/pickle.h"
#include "fuzz_support.h"

#include <unordered_set>

namespace {

// Visits each value once: a pickle may share one value many times (DUP, the
// memo), which a plain walk would visit exponentially often.
void read_everything(const marius::PyValue& v, int depth, std::unordered_set<const marius::PyValue*>& seen) {
  using marius::PyValue;
  if (depth > 64 || !seen.insert(&v).second) return;
  if (v.kind == PyValue::Kind::kArray || v.kind == PyValue::Kind::kList || v.kind == PyValue::Kind::kTuple) {
    marius::NdArray a = marius::as_array(v, "fuzz");
    for (int64_t i = 0; i < a.elements(); ++i) (void)a.float_at(i, "fuzz");
  }
  for (const auto* item : v.items) read_everything(*item, depth + 1, seen);
  for (const auto& [key, value] : v.entries) {
    read_everything(*key, depth + 1, seen);
    read_everything(*value, depth + 1, seen);
  }
  if (v.state != nullptr) read_everything(*v.state, depth + 1, seen);
}

void read_everything(const marius::PyValue& v) {
  std::unordered_set<const marius::PyValue*> seen;
  read_everything(v, 0, seen);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace marius;
  static bool init = (fuzz::quiet(), true);
  (void)init;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  fuzz::expect_only_marius_errors([&] { read_everything(*unpickle(bytes, "fuzz.pkl")); });
  auto file = fuzz::write_file("split.pt", bytes);
  fuzz::expect_only_marius_errors([&] { read_everything(*load_torch_file(file)); });
  return 0;
}
