// IdDictionary: dense ids in insertion order, lookups, growth, numeric order.
#include "core/data/id_dictionary.h"

#include <string>

#include "test_util.h"

namespace marius {
namespace {

TEST(IdDictionary, DenseIdsInInsertionOrder) {
  IdDictionary d;
  EXPECT_EQ(d.insert("b"), 0);
  EXPECT_EQ(d.insert("a"), 1);
  EXPECT_EQ(d.insert("b"), 0);
  EXPECT_EQ(d.insert(""), 2);
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.find("a"), 1);
  EXPECT_EQ(d.find("c"), -1);
  EXPECT_EQ(d.name(0), "b");
  EXPECT_EQ(d.name(2), "");
}

TEST(IdDictionary, GrowsPastItsInitialTable) {
  IdDictionary d;
  for (int i = 0; i < 100000; ++i) ASSERT_EQ(d.insert("node " + std::to_string(i)), i);
  for (int i = 0; i < 100000; i += 997) {
    EXPECT_EQ(d.find("node " + std::to_string(i)), i);
    EXPECT_EQ(d.name(i), "node " + std::to_string(i));
  }
  EXPECT_EQ(d.size(), 100000);
}

TEST(IdDictionary, SortNumerically) {
  IdDictionary d;
  for (const char* name : {"10", "-2", "3", "100"}) d.insert(name);
  std::vector<int64_t> new_id = d.sort_numerically();
  EXPECT_EQ(new_id, (std::vector<int64_t>{2, 0, 1, 3}));
  EXPECT_EQ(d.name(0), "-2");
  EXPECT_EQ(d.name(3), "100");
  EXPECT_EQ(d.find("10"), 2);
  EXPECT_EQ(d.insert("4"), 4);

  IdDictionary words;
  words.insert("1");
  words.insert("one");
  testing::expect_error([&] { words.sort_numerically(); }, MARIUS_ERR_INVALID_ARGUMENT,
                        {"id \"one\" is not an integer"});
}

TEST(IdDictionary, RenumberMovesNamesAndLookups) {
  IdDictionary d;
  for (const char* name : {"a", "b", "c", "d"}) d.insert(name);
  d.renumber({2, 0, 3, 1});  // a -> 2, b -> 0, c -> 3, d -> 1
  EXPECT_EQ(d.name(0), "b");
  EXPECT_EQ(d.name(1), "d");
  EXPECT_EQ(d.name(2), "a");
  EXPECT_EQ(d.name(3), "c");
  EXPECT_EQ(d.find("a"), 2);
  EXPECT_EQ(d.find("c"), 3);
  EXPECT_EQ(d.insert("d"), 1);
  EXPECT_EQ(d.insert("e"), 4);
}

}  // namespace
}  // namespace marius
