#include "core/data/edge_list_reader.h"

#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "core/error.h"

namespace marius {

// ---- options ---------------------------------------------------------------------------

ColumnLayout ColumnLayout::parse(const std::string& spec) {
  ColumnLayout layout;
  if (spec.empty()) return layout;
  auto bad = [&](const std::string& why) {
    fail(MARIUS_ERR_INVALID_ARGUMENT,
         "--columns \"{}\": {}; write one letter per column: h (head), r (relation), t (tail), _ (ignored), "
         "e.g. hrt, htr, ht",
         spec, why);
  };
  if (spec.size() > 64) bad("too many columns");
  for (size_t i = 0; i < spec.size(); ++i) {
    int* slot = spec[i] == 'h' ? &layout.head : spec[i] == 'r' ? &layout.relation : spec[i] == 't' ? &layout.tail : nullptr;
    if (slot == nullptr && spec[i] != '_') bad(fmt::format("unknown letter '{}'", spec[i]));
    if (slot != nullptr && *slot >= 0) bad(fmt::format("'{}' appears twice", spec[i]));
    if (slot != nullptr) *slot = static_cast<int>(i);
  }
  if (layout.head < 0 || layout.tail < 0) bad("a head (h) and a tail (t) column are required");
  layout.num_columns = static_cast<int>(spec.size());
  return layout;
}

std::string ColumnLayout::str() const {
  if (detect()) return "detect";
  std::string out(static_cast<size_t>(num_columns), '_');
  out[static_cast<size_t>(head)] = 'h';
  out[static_cast<size_t>(tail)] = 't';
  if (relation >= 0) out[static_cast<size_t>(relation)] = 'r';
  return out;
}

IdKind parse_id_kind(const std::string& text) {
  if (text == "string") return IdKind::kString;
  if (text == "integer") return IdKind::kInteger;
  fail(MARIUS_ERR_INVALID_ARGUMENT, "--ids \"{}\": expected string or integer", text);
}

char parse_delimiter(const std::string& text) {
  if (text == "tab" || text == "\\t" || text == "\t") return '\t';
  if (text == "comma") return ',';
  if (text == "space") return ' ';
  if (text == "auto") return kAutoDelimiter;
  if (text.size() == 1 && text[0] != '\n' && text[0] != '\r' && text[0] != '#' && text[0] != '\0') return text[0];
  fail(MARIUS_ERR_INVALID_ARGUMENT,
       "--delimiter \"{}\": expected tab, comma, space, auto or a single character (not a line end or '#')", text);
}

std::string delimiter_name(char delimiter) {
  switch (delimiter) {
    case '\t': return "tab";
    case ',': return "comma";
    case ' ': return "space";
    case kAutoDelimiter: return "auto";
    default: return std::string(1, delimiter);
  }
}

// ---- messages --------------------------------------------------------------------------

std::string quote_line(std::string_view line) {
  constexpr size_t kMax = 200;
  size_t shown = line.size();
  if (shown > kMax) {
    shown = kMax;
    while (shown > 0 && (static_cast<unsigned char>(line[shown]) & 0xC0) == 0x80) --shown;  // UTF-8 boundary
  }
  std::string out = "\"";
  for (size_t i = 0; i < shown; ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  out += "\"";
  if (shown < line.size()) out += fmt::format("... ({} bytes)", line.size());
  return out;
}

// ---- reading ---------------------------------------------------------------------------

EdgeListReader::EdgeListReader(const std::filesystem::path& file, const EdgeListFormat& format)
    : lines_(file), format_(format), header_pending_(format.header) {}

void EdgeListReader::fail_line(const std::string& reason) const {
  fail(MARIUS_ERR_INVALID_ARGUMENT, "{}:{}: {}: {}", path().string(), line_number(), reason, quote_line(line_));
}

void EdgeListReader::detect(std::string_view line) {
  if (format_.delimiter == kAutoDelimiter) {
    format_.delimiter = line.find('\t') != std::string_view::npos   ? '\t'
                        : line.find(',') != std::string_view::npos ? ','
                                                                    : ' ';
  }
  if (format_.columns.detect()) {
    size_t columns = 1;
    for (char c : line) columns += c == format_.delimiter ? 1 : 0;
    if (columns != 2 && columns != 3) {
      fail_line(fmt::format("expected 2 columns (head, tail) or 3 (head, relation, tail) separated by {}, found {}; "
                            "--columns and --delimiter describe other layouts",
                            delimiter_name(format_.delimiter), columns));
    }
    format_.columns = ColumnLayout::parse(columns == 3 ? "hrt" : "ht");
  }
}

size_t find_control_character(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) return i;
  }
  return std::string_view::npos;
}

std::string_view EdgeListReader::id_field(int column, const char* what, size_t slot) {
  std::string_view field = fields_[static_cast<size_t>(column)];
  if (field.empty()) fail_line(fmt::format("empty {} (column {})", what, column + 1));
  if (format_.ids == IdKind::kString) {
    const size_t bad = find_control_character(field);
    if (bad != std::string_view::npos) {
      fail_line(fmt::format("{} {} (column {}) contains control character 0x{:02x}", what, quote_line(field),
                            column + 1, static_cast<unsigned char>(field[bad])));
    }
    return field;
  }
  int64_t value = 0;
  const char* first = field.data();
  const char* last = first + field.size();
  auto [end, error] = std::from_chars(first, last, value);
  if (error == std::errc::result_out_of_range) {
    fail_line(fmt::format("{} \"{}\" (column {}) is out of the 64-bit integer range", what, field, column + 1));
  }
  if (error != std::errc() || end != last) {
    fail_line(fmt::format("{} \"{}\" (column {}) is not an integer (--ids integer)", what, field, column + 1));
  }
  std::array<char, 24>& out = canonical_[slot];
  char* stop = std::to_chars(out.data(), out.data() + out.size(), value).ptr;
  return std::string_view(out.data(), static_cast<size_t>(stop - out.data()));
}

bool EdgeListReader::next(EdgeFields& edge) {
  std::string_view line;
  for (;;) {
    if (!lines_.next(line)) return false;
    line_ = line;
    if (line.empty() || line[0] == '#') continue;
    if (!header_pending_) break;
    header_pending_ = false;  // the header line is skipped unread
  }
  if (format_.delimiter == kAutoDelimiter || format_.columns.detect()) detect(line);

  // Split at every delimiter, counting columns beyond the expected ones too.
  const size_t expected = static_cast<size_t>(format_.columns.num_columns);
  fields_.clear();
  size_t columns = 0;
  const char delimiter = format_.delimiter;
  const char* p = line.data();
  const char* end = p + line.size();
  for (;;) {
    const char* stop = static_cast<const char*>(std::memchr(p, delimiter, static_cast<size_t>(end - p)));
    if (stop == nullptr) stop = end;
    if (++columns <= expected) fields_.emplace_back(p, static_cast<size_t>(stop - p));
    if (stop == end) break;
    p = stop + 1;
  }
  if (columns != expected) {
    fail_line(fmt::format("expected {} columns ({}) separated by {}, found {}", expected, format_.columns.str(),
                          delimiter_name(delimiter), columns));
  }
  edge.head = id_field(format_.columns.head, "head", 0);
  edge.tail = id_field(format_.columns.tail, "tail", 2);
  edge.relation = format_.columns.has_relations() ? id_field(format_.columns.relation, "relation", 1)
                                                  : std::string_view();
  ++edges_;
  return true;
}

}  // namespace marius
