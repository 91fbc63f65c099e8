// Copyright (c) the kvstore developers.
//
// The sorted-set layouts (ZSetValue in include/kvstore/types.h), both kept
// in (score, member bytes) order:
//   "listpack"  a sorted vector of (score, member): binary search by score or
//               member bytes, linear search by member alone.
//   "skiplist"  an absl::btree_set of (score, member) for the order plus a
//               StringMap (string_map.h) from member to score. Not a real
//               skiplist (the name is what Redis reports): a B-tree keeps no
//               subtree counts, so rank() and for_each_from_rank()'s start
//               walk the tree, O(n) where Redis's spans give O(log n).
// A sorted set converts from the first to the second when it gets more than
// zset_max_listpack_entries members or a member longer than
// zset_max_listpack_value bytes, and never converts back (as Redis 7.0).

#ifndef KVSTORE_SRC_ZSET_OBJECT_H_
#define KVSTORE_SRC_ZSET_OBJECT_H_

#include <absl/container/btree_set.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvstore/types.h"
#include "string_map.h"

namespace kvstore {

class ZSetObject final : public ZSetValue {
 public:
  ZSetObject() = default;
  ZSetObject(const ZSetObject& other);
  ZSetObject& operator=(const ZSetObject&) = delete;

  std::size_t size() const override;
  std::string_view encoding() const override;
  std::unique_ptr<Object> Clone() const override;
  std::optional<double> score(std::string_view member) const override;
  // O(n) in both layouts: "listpack" scans for the member; "skiplist" finds
  // it in O(log n), then counts the entries before it (see above).
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

  // Approximate heap bytes: the vector, or the B-tree's nodes (estimated at
  // 1.5x the entries' size, absl nodes being between half and fully filled)
  // and the hash table's slots, plus the members' heap buffers (twice for
  // "skiplist", which stores each member in both).
  std::size_t HeapBytes() const;

  // One member with its score, in (score, member bytes) order.
  struct Entry {
    double score;
    std::string member;
  };
  // A search position: an exact entry, or the boundary before / after every
  // entry with a score (or a member, for lex ranges).
  struct Probe {
    enum Kind { kExact, kScoreBefore, kScoreAfter, kLexBefore, kLexAfter };
    Kind kind;
    double score;
    std::string_view member;
  };
  // Orders entries, and entries against probes (transparent for the B-tree).
  struct Less {
    using is_transparent = void;
    bool operator()(const Entry& a, const Entry& b) const;
    bool operator()(const Entry& e, const Probe& p) const;
    bool operator()(const Probe& p, const Entry& e) const;
  };

 private:
  using Tree = absl::btree_set<Entry, Less>;

  void ConvertToTree();
  // Visits entries from the first one not below probe (ascending), or from
  // the last one below it (descending).
  void Walk(const Probe& probe, bool reverse,
            const std::function<bool(std::string_view member, double score)>& fn) const;

  std::vector<Entry> entries_;  // "listpack"
  std::unique_ptr<Tree> tree_;  // "skiplist" when set, with scores_
  std::unique_ptr<StringMap<double>> scores_;
};

}  // namespace kvstore

#endif  // KVSTORE_SRC_ZSET_OBJECT_H_
