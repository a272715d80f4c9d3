// core/datasets/pickle.h: the restricted unpickler on hand-assembled pickles
// (the Python 2 opcodes Planetoid's files use), and its refusals.
#include <gtest/gtest.h>

#include <string>

#include "core/datasets/pickle.h"
#include "core/error.h"

namespace marius {
namespace {

using namespace std::string_literals;

// A Python 2 protocol 2 pickle of numpy.array([3, -1], dtype='<i8'):
// _reconstruct(ndarray, (0,), 'b') then BUILD (1, (2,), dtype('i8'), False, '<16 raw bytes>'),
// the raw data as a BINSTRING (a Python 2 str), as numpy pickled it under Python 2.
std::string py2_int64_array() {
  std::string raw = "\x03\0\0\0\0\0\0\0"s + "\xff\xff\xff\xff\xff\xff\xff\xff"s;
  return "\x80\x02"s + "cnumpy.core.multiarray\n_reconstruct\nq\x01"s + "cnumpy\nndarray\nq\x02"s +
         "K\x00\x85"s + "U\x01"s + "b\x87R"s +                                   // _reconstruct(ndarray, (0,), 'b')
         "(K\x01K\x02\x85"s + "cnumpy\ndtype\n"s + "U\x02i8K\x00K\x01\x87R"s +  // (1, (2,), dtype('i8', 0, 1)
         "(K\x03U\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"s +        //   BUILD (3, '<', ...)
         "\x89T\x10\0\0\0"s + raw + "tb."s;                                       //   False, raw) BUILD
}

TEST(Pickle, ReadsAPython2NumpyArray) {
  PyRef v = unpickle(py2_int64_array(), "array");
  ASSERT_EQ(v->kind, PyValue::Kind::kArray);
  EXPECT_EQ(v->array.descr, "<i8");
  ASSERT_EQ(v->array.shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(v->array.int_at(0, "a"), 3);
  EXPECT_EQ(v->array.int_at(1, "a"), -1);
}

TEST(Pickle, ReadsDictsListsAndMemo) {
  // {'a': [1, 2], 'b': <the same list>} with the list memoized and fetched again.
  std::string p = "\x80\x02}q\x00(U\x01"s + "a]q\x01(K\x01K\x02"s + "eU\x01"s + "bh\x01u."s;
  PyRef v = unpickle(p, "dict");
  ASSERT_EQ(v->kind, PyValue::Kind::kDict);
  EXPECT_EQ(v->at("a", "d").items.size(), 2u);
  EXPECT_EQ(v->find("b"), v->find("a"));
  NdArray a = as_array(v->at("a", "d"), "d");
  EXPECT_EQ(a.int_at(1, "d"), 2);
  EXPECT_EQ(v->find("c"), nullptr);
  try {
    v->at("c", "split.pt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("split.pt: no key 'c' (keys: a, b)"), std::string::npos) << e.what();
  }
}

TEST(Pickle, RefusesGlobalsThatCouldRunCode) {
  std::string p = "\x80\x02" "cos\nsystem\nU\x02lsR."s;
  try {
    unpickle(p, "evil.pkl");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), MARIUS_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("evil.pkl: byte 2: refers to os.system"), std::string::npos) << e.what();
  }
}

TEST(Pickle, TruncatedAndUnknownInstructionsAreErrors) {
  EXPECT_THROW(unpickle("\x80\x02T\x10\0\0\0ab"s, "short"), Error);
  EXPECT_THROW(unpickle("\x80\x02\xff"s, "odd"), Error);
  EXPECT_THROW(unpickle("\x80\x02K"s, "end"), Error);
}

}  // namespace
}  // namespace marius
