// Fuzz target: the TSV/CSV edge-list reader (plain and gzip), as preprocess reads
// a user's edge file. The first byte chooses the format options, the rest is the
// file. Beyond not crashing, every edge it accepts must hold to the reader's
// contract: no control character in an id, canonical base-10 integers with
// --ids integer, a relation exactly when the layout has one.
#include <zlib.h>

#include <array>
#include <charconv>

#include "core/data/edge_list_reader.h"
#include "fuzz_support.h"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz: edge_list: accepted an edge that breaks the contract: %s\n", what);
    std::abort();
  }
}

bool canonical_int(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return false;
  return std::to_string(v) == s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace marius;
  static bool init = (fuzz::quiet(), true);
  (void)init;
  if (size == 0) return 0;
  const uint8_t control = data[0];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  static const std::array<char, 4> delimiters = {kAutoDelimiter, '\t', ',', ' '};
  static const std::array<const char*, 8> layouts = {"", "hrt", "htr", "ht", "th", "h_t", "rht", "t_rh"};
  EdgeListFormat format;
  format.delimiter = delimiters[control & 3];
  format.header = (control & 4) != 0;
  format.ids = (control & 8) != 0 ? IdKind::kInteger : IdKind::kString;
  format.columns = ColumnLayout::parse(layouts[(control >> 4) & 7]);
  const bool gzip = (control & 0x80) != 0;

  std::filesystem::path file;
  if (gzip) {  // valid gzip of the bytes; corrupt gzip arrives as plain bytes with the magic
    file = fuzz::scratch_dir() / "edges.tsv.gz";
    gzFile gz = gzopen(file.c_str(), "wb");
    if (!text.empty()) gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
    gzclose(gz);
  } else {
    file = fuzz::write_file("edges.tsv", text);
  }
  fuzz::expect_only_marius_errors([&] {
    EdgeListReader reader(file, format);
    EdgeFields edge;
    while (reader.next(edge)) {
      const bool relations = reader.format().columns.has_relations();
      check(relations == !edge.relation.empty(), "a relation without a relation column, or an empty one");
      for (std::string_view id : {edge.head, edge.relation, edge.tail}) {
        check(find_control_character(id) == std::string_view::npos, "a control character in an id");
        if (format.ids == IdKind::kInteger && !id.empty()) check(canonical_int(id), "a non-canonical integer id");
      }
      check(!edge.head.empty() && !edge.tail.empty(), "an empty head or tail");
    }
  });
  return 0;
}
