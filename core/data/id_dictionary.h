// core/data/id_dictionary.h - original ids (strings) <-> dense ids 0..n-1.
//
// Dense ids are handed out in order of first insertion. Names live in one
// character arena and the lookup table is open addressing over dense ids, so
// memory is about the names' bytes plus 32 bytes per id, and lookups take a
// string_view without allocating.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace marius {

class IdDictionary {
 public:
  IdDictionary();

  // The dense id of `name`, giving it the next id if it is new.
  int64_t insert(std::string_view name);
  // The dense id of `name`, or -1.
  int64_t find(std::string_view name) const;

  int64_t size() const { return static_cast<int64_t>(hashes_.size()); }
  // The name of dense id `id` (0 <= id < size()); valid until the next insert.
  std::string_view name(int64_t id) const;

  // Renumbers the ids so they follow the numeric order of the names, which must
  // all be base-10 integers in canonical form (as EdgeListReader hands them on
  // with integer ids). Returns the new id of each old id. Throws
  // Error(INVALID_ARGUMENT) naming the first name that is not an integer.
  std::vector<int64_t> sort_numerically();

  // Renumbers the ids: old id i becomes new_id[i]. `new_id` must be a
  // permutation of 0..size()-1 (not checked).
  void renumber(const std::vector<int64_t>& new_id);

 private:
  size_t slot_of(std::string_view name, uint64_t hash) const;  // the slot holding name, or an empty one
  void rehash(size_t slot_count);  // rebuilds slots_ from hashes_

  std::vector<char> arena_;          // names, back to back
  std::vector<uint64_t> offsets_;    // name i is arena_[offsets_[i], offsets_[i + 1])
  std::vector<uint64_t> hashes_;     // hash of name i
  std::vector<int64_t> slots_;       // dense id or -1; size a power of two, at most half full
};

}  // namespace marius
