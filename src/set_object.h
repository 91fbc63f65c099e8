// Copyright (c) the kvstore developers.
//
// The set layouts (SetValue in include/kvstore/types.h):
//   "intset"     a sorted vector of int64, while every member is the canonical
//                decimal form of an int64 (decimal.h) and there are at most
//                set_max_intset_entries of them.
//   "hashtable"  a dense vector of members plus a StringMap (string_map.h) from
//                member to its index in the vector; removal moves the last
//                member into the hole. The vector gives at(i) in O(1) (SPOP
//                and SRANDMEMBER pick random indices); the price is each
//                member's bytes stored twice.
// A set starts as an intset and converts on its first non-integer member or
// when it outgrows set_max_intset_entries; it never converts back. Sets of
// non-integers use the table at every size, as in Redis 7.0
// (set_max_listpack_entries is not used).

#ifndef KVSTORE_SRC_SET_OBJECT_H_
#define KVSTORE_SRC_SET_OBJECT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kvstore/types.h"
#include "string_map.h"

namespace kvstore {

class SetObject final : public SetValue {
 public:
  SetObject() = default;
  SetObject(const SetObject& other);
  SetObject& operator=(const SetObject&) = delete;

  std::size_t size() const override;
  std::string_view encoding() const override;
  std::unique_ptr<Object> Clone() const override;
  bool contains(std::string_view member) const override;
  // "intset": ascending numeric order, each as text in a buffer on the
  // stack; "hashtable": the vector's order.
  void for_each(const std::function<bool(std::string_view member)>& fn) const override;
  // "intset": the i-th smallest as decimal text in a thread-local scratch
  // buffer, valid until this thread's next at() on any intset (so readers on
  // other threads do not race); "hashtable": a view of the stored member.
  std::string_view at(std::size_t i) const override;

  // True while the layout is "intset".
  bool compact() const { return !table_; }

  // Adds member; false if it was present.
  bool Add(std::string_view member, const EncodingLimits& limits);
  // Removes member; false if it was absent.
  bool Rem(std::string_view member);

  // Approximate heap bytes: the int64 array, or the member vector, the
  // table's slots and both copies of each member's heap buffer.
  std::size_t HeapBytes() const;

 private:
  struct Table {
    std::vector<std::string> members;
    StringMap<std::size_t> index;  // member -> position in members
  };

  void ConvertToTable();
  void TableAdd(std::string_view member);

  std::vector<int64_t> ints_;     // "intset", ascending
  std::unique_ptr<Table> table_;  // "hashtable" when set
};

}  // namespace kvstore

#endif  // KVSTORE_SRC_SET_OBJECT_H_
