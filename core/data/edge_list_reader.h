// core/data/edge_list_reader.h - streaming reader of TSV/CSV edge lists.
//
// One edge per line: two columns (head, tail: a plain graph) or three (head,
// relation, tail), in a column order given by a ColumnLayout. Blank lines and
// lines whose first character is '#' are skipped, and so is the first other
// line when the format says the file has a header. Fields are split at every
// delimiter (no quoting: a '"' is an ordinary character) and kept verbatim,
// spaces and any UTF-8 included, but no control character (a byte below 0x20,
// tab included, or 0x7f: find_control_character), so an id never holds the NUL
// that ends it in the C API or a tab of the TSV exports. With integer ids every
// id field must be a base-10 int64 ("-12", "007"); it is handed on in canonical
// form ("-12", "7").
//
// Every malformed line fails with Error(INVALID_ARGUMENT)
//   FILE:LINE: REASON: "LINE TEXT"
// (tabs shown as \t, long lines cut). The file is read through LineReader, so
// gzip is transparent and progress is logged for big files.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/data/line_reader.h"

namespace marius {

// What each column of a line holds. Written as one letter per column: 'h'
// head, 'r' relation, 't' tail, '_' a column to ignore; e.g. "hrt", "htr",
// "ht", "th", "h_t". The empty layout means: decide from the first data line
// (three columns: "hrt", two: "ht").
struct ColumnLayout {
  int num_columns = 0;  // 0: detect
  int head = -1;
  int relation = -1;    // -1: a plain graph
  int tail = -1;

  // Throws Error(INVALID_ARGUMENT) naming --columns for anything but the form above.
  static ColumnLayout parse(const std::string& spec);
  bool detect() const { return num_columns == 0; }
  bool has_relations() const { return relation >= 0; }
  std::string str() const;  // "hrt", "ht", ... ("detect" for the empty layout)
};

enum class IdKind { kString, kInteger };

// Throws Error(INVALID_ARGUMENT) naming --ids unless "string" or "integer".
IdKind parse_id_kind(const std::string& text);

// The delimiter value meaning "sniff from the first line": tab if it holds a
// tab, else comma if it holds a comma, else space.
inline constexpr char kAutoDelimiter = '\0';

// "tab", "comma", "space", "auto", or any single character other than a line
// end or '#'. Throws Error(INVALID_ARGUMENT) naming --delimiter otherwise.
char parse_delimiter(const std::string& text);
// "tab", "comma", "space", "auto" or the character itself.
std::string delimiter_name(char delimiter);

struct EdgeListFormat {
  char delimiter = '\t';
  bool header = false;
  ColumnLayout columns;
  IdKind ids = IdKind::kString;
};

// One edge's id fields; `relation` is empty for a plain graph. Valid until the
// reader's next call.
struct EdgeFields {
  std::string_view head;
  std::string_view relation;
  std::string_view tail;
};

class EdgeListReader {
 public:
  // Opens the file (see LineReader for its errors).
  EdgeListReader(const std::filesystem::path& file, const EdgeListFormat& format);

  // Reads the next edge; false at the end of the file. Throws on a malformed line.
  bool next(EdgeFields& edge);

  // The format in use: once the first edge is read, the delimiter and layout
  // are the detected ones, so later files can be held to the same.
  const EdgeListFormat& format() const { return format_; }
  int64_t line_number() const { return lines_.line_number(); }
  int64_t edges_read() const { return edges_; }
  const std::filesystem::path& path() const { return lines_.path(); }

  // Throws Error(INVALID_ARGUMENT) "FILE:LINE: REASON: "TEXT"" for the current line.
  [[noreturn]] void fail_line(const std::string& reason) const;

 private:
  void detect(std::string_view line);
  std::string_view id_field(int column, const char* what, size_t slot);

  LineReader lines_;
  EdgeListFormat format_;
  bool header_pending_;
  int64_t edges_ = 0;
  std::string_view line_;
  std::vector<std::string_view> fields_;
  std::array<std::array<char, 24>, 3> canonical_{};  // integer ids in canonical form
};

// `line` quoted for an error message: tabs and control characters escaped,
// cut after about 200 bytes (on a UTF-8 character boundary).
std::string quote_line(std::string_view line);

// The index of the first control character of `text` (a byte below 0x20 or
// 0x7f), or npos. String ids may not contain one.
size_t find_control_character(std::string_view text);

}  // namespace marius
