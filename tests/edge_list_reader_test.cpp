// EdgeListReader and LineReader: delimiters, headers, comments, column layouts,
// string and integer ids, gzip, and the file:line errors on malformed lines.
#include "core/data/edge_list_reader.h"

#include "core/data/line_reader.h"
#include "data_test_util.h"

namespace marius {
namespace {

using testing::expect_error;
using testing::read_all;
using testing::TempDir;
using Rows = std::vector<std::string>;

EdgeListFormat format(char delimiter = '\t', bool header = false, const std::string& columns = "",
                      IdKind ids = IdKind::kString) {
  EdgeListFormat f;
  f.delimiter = delimiter;
  f.header = header;
  f.columns = ColumnLayout::parse(columns);
  f.ids = ids;
  return f;
}

TEST(EdgeListReader, ReadsTsvSkippingCommentsAndBlankLines) {
  TempDir dir;
  auto file = dir.write("e.tsv", "# a comment\n\na\tr1\tb\n\n# another\nb\tr2\tc");  // no final newline
  EXPECT_EQ(read_all(file), (Rows{"a|r1|b", "b|r2|c"}));
}

TEST(EdgeListReader, DetectsTwoColumnsAsPlainGraph) {
  TempDir dir;
  auto file = dir.write("e.tsv", "1\t2\n2\t3\n");
  EdgeListReader reader(file, format());
  EdgeFields e;
  ASSERT_TRUE(reader.next(e));
  EXPECT_EQ(reader.format().columns.str(), "ht");
  EXPECT_FALSE(reader.format().columns.has_relations());
  EXPECT_EQ(e.head, "1");
  EXPECT_EQ(e.tail, "2");
  EXPECT_TRUE(e.relation.empty());
  ASSERT_TRUE(reader.next(e));
  EXPECT_FALSE(reader.next(e));
  EXPECT_EQ(reader.edges_read(), 2);
}

TEST(EdgeListReader, CsvWithHeaderAndWindowsLineEnds) {
  TempDir dir;
  auto file = dir.write("e.csv", "\xEF\xBB\xBFsource,label,target\r\nx,likes,y\r\ny,likes,z\r\n");
  EXPECT_EQ(read_all(file, format(',', true)), (Rows{"x|likes|y", "y|likes|z"}));
}

TEST(EdgeListReader, HeaderIsTheFirstLineThatIsNotACommentOrBlank) {
  TempDir dir;
  auto file = dir.write("e.tsv", "# generated\n\nhead\trel\ttail\na\tr\tb\n");
  EXPECT_EQ(read_all(file, format('\t', true)), (Rows{"a|r|b"}));
}

TEST(EdgeListReader, ColumnOrderAndIgnoredColumns) {
  TempDir dir;
  auto htr = dir.write("htr.tsv", "a\tb\tr\n");
  EXPECT_EQ(read_all(htr, format('\t', false, "htr")), (Rows{"a|r|b"}));
  auto rht = dir.write("rht.tsv", "r\ta\tb\n");
  EXPECT_EQ(read_all(rht, format('\t', false, "rht")), (Rows{"a|r|b"}));
  auto weighted = dir.write("w.tsv", "a\tb\t0.5\n");
  EXPECT_EQ(read_all(weighted, format('\t', false, "ht_")), (Rows{"a|b"}));
  auto reversed = dir.write("th.tsv", "a\tb\n");
  EXPECT_EQ(read_all(reversed, format('\t', false, "th")), (Rows{"b|a"}));
}

TEST(EdgeListReader, StringIdsAreVerbatimWithSpacesAndUtf8) {
  TempDir dir;
  auto file = dir.write("e.tsv", "New York\tlocated in\tUnited States\nZürich\t位于\tSchweiz \n");
  EXPECT_EQ(read_all(file), (Rows{"New York|located in|United States", "Zürich|位于|Schweiz "}));
}

TEST(EdgeListReader, IntegerIdsAreCanonical) {
  TempDir dir;
  auto file = dir.write("e.tsv", "007\t-3\n10\t0\n");
  EXPECT_EQ(read_all(file, format('\t', false, "", IdKind::kInteger)), (Rows{"7|-3", "10|0"}));
}

TEST(EdgeListReader, AutoDelimiter) {
  TempDir dir;
  EXPECT_EQ(read_all(dir.write("c.csv", "a,b\n"), format(kAutoDelimiter)), (Rows{"a|b"}));
  EXPECT_EQ(read_all(dir.write("t.tsv", "a b\tc d\n"), format(kAutoDelimiter)), (Rows{"a b|c d"}));
  EXPECT_EQ(read_all(dir.write("s.txt", "a r b\n"), format(kAutoDelimiter)), (Rows{"a|r|b"}));
}

TEST(EdgeListReader, OtherSingleCharacterDelimiter) {
  TempDir dir;
  EXPECT_EQ(read_all(dir.write("p.txt", "a|r|b\n"), format('|')), (Rows{"a|r|b"}));
}

TEST(EdgeListReader, GzipIsTransparent) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 50000; ++i) text += "n" + std::to_string(i) + "\trel\tn" + std::to_string(i + 1) + "\n";
  auto file = testing::write_gz(dir, "e.tsv.gz", text);
  Rows rows = read_all(file);
  ASSERT_EQ(rows.size(), 50000u);
  EXPECT_EQ(rows.front(), "n0|rel|n1");
  EXPECT_EQ(rows.back(), "n49999|rel|n50000");
}

TEST(EdgeListReader, LinesLongerThanTheBuffer) {
  TempDir dir;
  std::string long_id(3 << 20, 'x');
  auto file = dir.write("e.tsv", "a\tb\n" + long_id + "\tc\nd\te\n");
  Rows rows = read_all(file);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1], long_id + "|c");
  EXPECT_EQ(rows[2], "d|e");
}

// ---- errors ----------------------------------------------------------------------------

TEST(EdgeListReaderErrors, WrongColumnCountNamesFileLineAndText) {
  TempDir dir;
  auto file = dir.write("e.tsv", "# comment\na\tr\tb\nc\td\n");
  expect_error([&] { read_all(file); }, MARIUS_ERR_INVALID_ARGUMENT,
               {file.string() + ":3: expected 3 columns (hrt) separated by tab, found 2: \"c\\td\""});
}

TEST(EdgeListReaderErrors, TooManyColumnsOnTheFirstLine) {
  TempDir dir;
  auto file = dir.write("e.tsv", "a\tb\tc\td\n");
  expect_error([&] { read_all(file); }, MARIUS_ERR_INVALID_ARGUMENT,
               {file.string() + ":1: expected 2 columns (head, tail) or 3", "found 4", "--columns"});
}

TEST(EdgeListReaderErrors, MissingColumnWithExplicitLayout) {
  TempDir dir;
  auto file = dir.write("e.csv", "a,r,b\na,b\n");
  expect_error([&] { read_all(file, format(',', false, "hrt")); }, MARIUS_ERR_INVALID_ARGUMENT,
               {file.string() + ":2: expected 3 columns (hrt) separated by comma, found 2: \"a,b\""});
}

TEST(EdgeListReaderErrors, EmptyField) {
  TempDir dir;
  auto file = dir.write("e.tsv", "a\t\tb\n");
  expect_error([&] { read_all(file); }, MARIUS_ERR_INVALID_ARGUMENT,
               {file.string() + ":1: empty relation (column 2): \"a\\t\\tb\""});
}

TEST(EdgeListReaderErrors, BadInteger) {
  TempDir dir;
  auto file = dir.write("e.tsv", "1\t2\n3\tx4\n");
  expect_error([&] { read_all(file, format('\t', false, "", IdKind::kInteger)); }, MARIUS_ERR_INVALID_ARGUMENT,
               {file.string() + ":2: tail \"x4\" (column 2) is not an integer (--ids integer): \"3\\tx4\""});
  auto big = dir.write("big.tsv", "1\t99999999999999999999\n");
  expect_error([&] { read_all(big, format('\t', false, "", IdKind::kInteger)); }, MARIUS_ERR_INVALID_ARGUMENT,
               {big.string() + ":1: tail \"99999999999999999999\" (column 2) is out of the 64-bit integer range"});
}

// A control character in an id (NUL would cut the id short in the C API's names,
// a tab would split the TSV exports) names file:line, the field and the byte.
TEST(EdgeListReaderErrors, ControlCharactersInIds) {
  TempDir dir;
  auto nul = dir.write("nul.tsv", "a\tr\tb\nc\tr\ta" + std::string(1, '\0') + "b\n");
  expect_error([&] { read_all(nul); }, MARIUS_ERR_INVALID_ARGUMENT,
               {nul.string() + ":2: tail \"a\\x00b\" (column 3) contains control character 0x00: \"c\\tr\\ta\\x00b\""});
  auto tab = dir.write("tab.csv", "a,r,b\na\tx,r,b\n");  // a tab is a control character unless it is the delimiter
  expect_error([&] { read_all(tab, format(',')); }, MARIUS_ERR_INVALID_ARGUMENT,
               {tab.string() + ":2: head \"a\\tx\" (column 1) contains control character 0x09"});
  auto del = dir.write("del.tsv", "a\tr\x7f\tb\n");
  expect_error([&] { read_all(del); }, MARIUS_ERR_INVALID_ARGUMENT,
               {del.string() + ":1: relation \"r\\x7f\" (column 2) contains control character 0x7f"});
  auto cr = dir.write("cr.tsv", "a\rb\tr\tc\r\n");  // a \r ending the line is dropped, one inside an id is not
  expect_error([&] { read_all(cr); }, MARIUS_ERR_INVALID_ARGUMENT,
               {cr.string() + ":1: head \"a\\x0db\" (column 1) contains control character 0x0d"});
  auto esc = dir.write("esc.tsv", "a\x1b[0m\tb\n");
  expect_error([&] { read_all(esc); }, MARIUS_ERR_INVALID_ARGUMENT, {"contains control character 0x1b"});
}

TEST(EdgeListReader, ControlCharactersOutsideIds) {
  TempDir dir;
  // A control character may be the delimiter, and may sit in an ignored column.
  EXPECT_EQ(read_all(dir.write("us.txt", "a\x1fr\x1f" "b\n"), format('\x1f')), (Rows{"a|r|b"}));
  EXPECT_EQ(read_all(dir.write("w.tsv", "a\t\x01\x02\tb\r\n"), format('\t', false, "h_t")), (Rows{"a|b"}));
  // Bytes from 0x80 up (UTF-8) are not control characters.
  EXPECT_EQ(read_all(dir.write("u.tsv", "\xc3\xa9\tr\t\xe2\x82\xac\n")), (Rows{"\xc3\xa9|r|\xe2\x82\xac"}));
}

TEST(EdgeListReaderErrors, LongLinesAreCutInMessages) {
  TempDir dir;
  auto file = dir.write("e.tsv", "a\tb\tc\t" + std::string(5000, 'z') + "\n");
  try {
    read_all(file);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_LT(message.size(), 600u) << message;
    EXPECT_NE(message.find("... (5006 bytes)"), std::string::npos) << message;
  }
}

TEST(EdgeListReaderErrors, MissingFileAndDirectory) {
  TempDir dir;
  expect_error([&] { read_all(dir.path() / "nope.tsv"); }, MARIUS_ERR_NOT_FOUND, {"nope.tsv: no such file"});
  expect_error([&] { read_all(dir.path()); }, MARIUS_ERR_INVALID_ARGUMENT, {"is a directory"});
}

TEST(EdgeListReaderErrors, CorruptGzip) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "n" + std::to_string(i) + "\tr\tm" + std::to_string(i) + "\n";
  auto file = testing::write_gz(dir, "e.tsv.gz", text);
  std::filesystem::resize_file(file, std::filesystem::file_size(file) / 2);
  expect_error([&] { read_all(file); }, MARIUS_ERR_IO, {file.string(), "cannot read after line"});
}

TEST(EdgeListOptions, Delimiters) {
  EXPECT_EQ(parse_delimiter("tab"), '\t');
  EXPECT_EQ(parse_delimiter("comma"), ',');
  EXPECT_EQ(parse_delimiter("space"), ' ');
  EXPECT_EQ(parse_delimiter(";"), ';');
  EXPECT_EQ(parse_delimiter("auto"), kAutoDelimiter);
  expect_error([] { parse_delimiter("semicolon"); }, MARIUS_ERR_INVALID_ARGUMENT,
               {"--delimiter \"semicolon\": expected tab, comma, space, auto or a single character"});
  expect_error([] { parse_delimiter("#"); }, MARIUS_ERR_INVALID_ARGUMENT, {"--delimiter \"#\""});
}

TEST(EdgeListOptions, Columns) {
  ColumnLayout layout = ColumnLayout::parse("t_hr");
  EXPECT_EQ(layout.num_columns, 4);
  EXPECT_EQ(layout.tail, 0);
  EXPECT_EQ(layout.head, 2);
  EXPECT_EQ(layout.relation, 3);
  EXPECT_EQ(layout.str(), "t_hr");
  EXPECT_TRUE(ColumnLayout::parse("").detect());
  expect_error([] { ColumnLayout::parse("hrx"); }, MARIUS_ERR_INVALID_ARGUMENT, {"--columns \"hrx\": unknown letter 'x'"});
  expect_error([] { ColumnLayout::parse("hh"); }, MARIUS_ERR_INVALID_ARGUMENT, {"'h' appears twice"});
  expect_error([] { ColumnLayout::parse("hr"); }, MARIUS_ERR_INVALID_ARGUMENT, {"a head (h) and a tail (t)"});
  expect_error([] { parse_id_kind("numbers"); }, MARIUS_ERR_INVALID_ARGUMENT, {"--ids \"numbers\": expected string or integer"});
}

TEST(LineReader, CountsEveryLine) {
  TempDir dir;
  auto file = dir.write("l.txt", "one\n\n# three\nfour\r\n");
  LineReader lines(file);
  std::string_view line;
  std::vector<std::string> seen;
  while (lines.next(line)) seen.emplace_back(line);
  EXPECT_EQ(seen, (std::vector<std::string>{"one", "", "# three", "four"}));
  EXPECT_EQ(lines.line_number(), 4);
}

}  // namespace
}  // namespace marius
