// Copyright (c) the kvstore developers.
//
// The sorted-set layouts (ZSetValue in include/kvstore/types.h), both kept
// in (score, member bytes) order:
//   "listpack"  a sorted vector of (score, member): binary search by score or
//               member bytes, linear search by member alone.
//   "skiplist"  one heap block per member (block_alloc.h) holding its score's
//               8 bytes and then the member as a packed string
//               (packed_string.h), owned by two indexes of pointers to it:
//               a CountedTree (counted_tree.h) of 16-byte (score, block)
//               entries in (score, member bytes) order, and an
//               absl::flat_hash_set of blocks hashed and compared by the
//               member's bytes, so that a member's score is one probe of the
//               table and one read of the block. The member is stored once:
//               a member costs its bytes plus 9 rounded to the allocator's
//               class, an entry at the tree's chunk fill (full for members
//               arriving in order, about 80 % otherwise), and an 8-byte
//               slot (and a control byte) at the table's load. The tree
//               counts entries per chunk, so rank() and
//               for_each_from_rank()'s start are O(log n), as Redis's
//               skiplist spans. A score change erases the entry, rewrites
//               the score in the block, and inserts the entry again. Not a
//               real skiplist (the name is what Redis reports).
// A sorted set converts from the first to the second when it gets more than
// zset_max_listpack_entries members or a member longer than
// zset_max_listpack_value bytes, and never converts back (as Redis 7.0).

#ifndef KVSTORE_SRC_ZSET_OBJECT_H_
#define KVSTORE_SRC_ZSET_OBJECT_H_

#include <absl/container/flat_hash_set.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "block_alloc.h"
#include "block_set.h"
#include "counted_tree.h"
#include "kvstore/types.h"

namespace kvstore {

class ZSetObject final : public ZSetValue {
 public:
  ZSetObject() = default;
  ZSetObject(const ZSetObject& other);
  ZSetObject& operator=(const ZSetObject&) = delete;
  ~ZSetObject() override;

  std::size_t size() const override;
  std::string_view encoding() const override;
  std::unique_ptr<Object> Clone() const override;
  std::optional<double> score(std::string_view member) const override;
  // "listpack": O(n), a scan for the member; "skiplist": O(log n).
  std::optional<std::size_t> rank(std::string_view member) const override;
  void for_each_from_rank(
      std::size_t start, bool reverse,
      const std::function<bool(std::string_view member, double score)>& fn) const override;
  void for_each_from_score(
      double min, bool exclusive, bool reverse,
      const std::function<bool(std::string_view member, double score)>& fn) const override;
  void for_each_from_lex(
      std::optional<std::string_view> min, bool exclusive, bool reverse,
      const std::function<bool(std::string_view member, double score)>& fn) const override;

  // True while the layout is "listpack".
  bool compact() const { return !tree_; }

  // Adds member with score, or moves it to score; false if it was present.
  // REQUIRES: score is not NaN.
  bool Add(double score, std::string_view member, const EncodingLimits& limits);
  // Removes member; false if it was absent.
  bool Rem(std::string_view member);
  // In the "skiplist" layout, makes room in the member index for `more`
  // new members (a big ZADD or a snapshot's load), so that it does not grow
  // by rehashing as they arrive; nothing in "listpack".
  void Reserve(std::size_t more);

  // Approximate heap bytes: the vector and the members' heap buffers; or
  // the tree's chunks at their capacity, the table's slots and control
  // bytes, and each member block's size rounded up as the allocator does
  // (BlockAllocatedBytes).
  std::size_t HeapBytes() const;

  // One member with its score, in (score, member bytes) order ("listpack").
  struct Entry {
    double score;
    std::string member;
  };
  // One member of the "skiplist" layout: its score, and its block (the score
  // again, then the member as a packed string), which the object owns.
  struct TreeEntry {
    double score;
    char* block;
  };
  // A search position: an exact entry, or the boundary before / after every
  // entry with a score (or a member, for lex ranges).
  struct Probe {
    enum Kind { kExact, kScoreBefore, kScoreAfter, kLexBefore, kLexAfter };
    Kind kind;
    double score;
    std::string_view member;
  };
  // Orders entries, and entries against probes (transparent for the tree).
  struct Less {
    using is_transparent = void;
    bool operator()(const Entry& a, const Entry& b) const;
    bool operator()(const Entry& e, const Probe& p) const;
    bool operator()(const Probe& p, const Entry& e) const;
    bool operator()(const TreeEntry& a, const TreeEntry& b) const;
    bool operator()(const TreeEntry& e, const Probe& p) const;
    bool operator()(const Probe& p, const TreeEntry& e) const;
  };

 private:
  using Tree = CountedTree<TreeEntry, Less, BlockAllocator<TreeEntry>>;
  // Member blocks looked up by their member (after the 8-byte score).
  using Index = BlockSet<sizeof(double)>;

  void ConvertToTree();
  // Visits entries from the first one not below probe (ascending), or from
  // the last one below it (descending).
  void Walk(const Probe& probe, bool reverse,
            const std::function<bool(std::string_view member, double score)>& fn) const;

  std::vector<Entry> entries_;  // "listpack"
  // "skiplist" when set, with index_; they hold the same blocks, which the
  // object owns.
  std::unique_ptr<Tree> tree_;
  std::unique_ptr<Index> index_;
};

}  // namespace kvstore

#endif  // KVSTORE_SRC_ZSET_OBJECT_H_
