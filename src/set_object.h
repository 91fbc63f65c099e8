// Copyright (c) the kvstore developers.
//
// The set layouts (SetValue in include/kvstore/types.h):
//   "intset"     a sorted vector of int64, while every member is the canonical
//                decimal form of an int64 (decimal.h) and there are at most
//                set_max_intset_entries of them.
//   "hashtable"  a dense vector of pointers to packed member blocks
//                (packed_string.h), and an index: an absl::flat_hash_set of
//                32-bit positions in that vector, hashed and compared through
//                the vector by the member's bytes, so a lookup by
//                std::string_view finds a position and the member is stored
//                once. Removal moves the last member into the hole and
//                re-files its position. The vector gives at(i) in O(1) (SPOP
//                and SRANDMEMBER pick random indices). A member costs its
//                bytes plus a length byte rounded to the allocator's class,
//                8 bytes in the vector and a 4-byte slot (and a control byte)
//                at the index's load. The 32-bit positions limit this layout
//                to kMaxTableMembers members; adding one more throws
//                std::length_error, as a std::vector past max_size() does.
// A set starts as an intset and converts on its first non-integer member or
// when it outgrows set_max_intset_entries; it never converts back. Sets of
// non-integers use the table at every size, as in Redis 7.0
// (set_max_listpack_entries is not used).

#ifndef KVSTORE_SRC_SET_OBJECT_H_
#define KVSTORE_SRC_SET_OBJECT_H_

#include <absl/container/flat_hash_set.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "block_alloc.h"
#include "kvstore/types.h"

namespace kvstore {

class SetObject final : public SetValue {
 public:
  // The most members the "hashtable" layout holds (its positions are 32-bit).
  static constexpr std::size_t kMaxTableMembers = std::numeric_limits<uint32_t>::max();

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

  // Adds member; false if it was present. Throws std::length_error if the
  // set already holds kMaxTableMembers members.
  bool Add(std::string_view member, const EncodingLimits& limits);
  // Removes member; false if it was absent.
  bool Rem(std::string_view member);

  // Approximate heap bytes: the int64 array; or the member vector, the
  // index's slots and control bytes, and each member block's size rounded up
  // as the allocator does (BlockAllocatedBytes).
  std::size_t HeapBytes() const;

 private:
  using Members = std::vector<char*, BlockAllocator<char*>>;
  // Hashes a position by the member it holds, or a member itself.
  struct PositionHash {
    using is_transparent = void;
    std::size_t operator()(uint32_t pos) const;
    std::size_t operator()(std::string_view member) const;
    const Members* members = nullptr;
  };
  // Positions are equal when they are the same; a position equals a member
  // when it holds that member.
  struct PositionEq {
    using is_transparent = void;
    bool operator()(uint32_t a, uint32_t b) const { return a == b; }
    bool operator()(uint32_t pos, std::string_view member) const;
    bool operator()(std::string_view member, uint32_t pos) const;
    const Members* members = nullptr;
  };
  // The "hashtable" layout. It owns the blocks; the index's functors point
  // at members, so a Table is neither copied nor moved.
  struct Table {
    Table();
    Table(const Table&) = delete;
    Table& operator=(const Table&) = delete;
    ~Table();

    Members members;
    absl::flat_hash_set<uint32_t, PositionHash, PositionEq, BlockAllocator<uint32_t>> index;
  };

  void ConvertToTable();
  void TableAdd(std::string_view member);

  std::vector<int64_t> ints_;     // "intset", ascending
  std::unique_ptr<Table> table_;  // "hashtable" when set
};

}  // namespace kvstore

#endif  // KVSTORE_SRC_SET_OBJECT_H_
