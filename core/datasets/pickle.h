// core/datasets/pickle.h - the Python pickles that datasets are published in.
//
// OGB's link splits (torch.save'd dicts of numpy arrays or tensors) and
// Planetoid's files (Python 2 pickles of numpy arrays, scipy CSR matrices and a
// defaultdict) are pickles. This is a restricted unpickler: it runs the
// pickle machine (protocols 0-5, binary and the common text opcodes) but builds
// only plain values, numpy arrays and dtypes, torch tensors from a torch zip
// file, and records of other classes (their class name and state): it never
// imports or calls anything, so a pickle cannot run code through it. A global
// outside the short list in pickle.cpp is refused, naming it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/datasets/ndarray.h"

namespace marius {

// A pickle's values live in one arena, owned by every PyRef to its result:
// values refer to each other by plain pointers (a pickle may hold cycles, which
// shared ownership would leak), valid as long as a PyRef to the result lives.
struct PyValue;
using PyRef = std::shared_ptr<const PyValue>;

struct PyValue {
  enum class Kind { kNone, kBool, kInt, kFloat, kStr, kBytes, kList, kTuple, kDict, kGlobal, kObject, kArray, kDtype };
  Kind kind = Kind::kNone;
  int64_t integer = 0;     // kBool, kInt
  double number = 0;       // kFloat
  std::string text;        // kStr (UTF-8, or a Python 2 str's bytes), kBytes, kGlobal ("module.name"),
                           // kObject (its class), kDtype (its descr)
  std::vector<const PyValue*> items;                            // kList, kTuple
  std::vector<std::pair<const PyValue*, const PyValue*>> entries;  // kDict; kObject: its state when that is a dict
  const PyValue* state = nullptr;                               // kObject: its state when it is not a dict
  NdArray array;                                  // kArray

  const char* kind_name() const;
  // The value under string key `key` of a dict (or an object's state dict);
  // nullptr when absent.
  const PyValue* find(const std::string& key) const;
  // The same, or Error(INVALID_ARGUMENT) "WHERE: no key 'KEY' (keys: ...)".
  const PyValue& at(const std::string& key, const std::string& where) const;
};

// Reads the pickle at the start of `bytes`; `where` names it in errors
// (Error(INVALID_ARGUMENT) "WHERE: byte N: REASON").
PyRef unpickle(std::string_view bytes, const std::string& where);

// Reads a Python pickle file (Planetoid's ind.* files).
PyRef load_pickle_file(const std::filesystem::path& file);

// Reads a file written by torch.save: the zip format (torch >= 1.6; tensors
// read from its data/ records) or the legacy format (a sequence of pickles;
// numpy arrays only, tensors are refused).
PyRef load_torch_file(const std::filesystem::path& file);

// The array a value holds: an ndarray or tensor, or a list of numbers (read as
// a 1-D "<i8" or "<f8" array). Error(INVALID_ARGUMENT) naming `where` otherwise.
NdArray as_array(const PyValue& value, const std::string& where);

}  // namespace marius
