// Copyright (c) the kvstore developers.
//
// The value types besides strings: hashes, lists, sets and sorted sets, as
// Redis has them. A key holds one value of one type. These are the read
// interfaces an embedding program (and the server) sees; every change goes
// through a Transaction (kvstore.h) as an Op, which is what the WAL records:
// an HSET of one field logs that field, never the whole hash.
//
// Objects are owned by the store. A pointer a Transaction or KvStore::view()
// hands out is valid only inside that call (and, in a transaction, until its
// next write).

#ifndef KVSTORE_TYPES_H_
#define KVSTORE_TYPES_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace kvstore {

// The type of a key's value. kNone: no such key (or expired).
enum class Type : uint8_t { kNone = 0, kString = 1, kList = 2, kSet = 3, kZSet = 4, kHash = 5 };

// Redis's TYPE reply: "none", "string", "list", "set", "zset", "hash".
std::string_view TypeName(Type type);

// When a small value leaves its compact encoding (Redis 7's parameters of the
// same names). A value never goes back to the compact one, as in Redis.
struct EncodingLimits {
  /// Fields a "listpack" hash may hold (hash-max-listpack-entries).
  std::size_t hash_max_listpack_entries = 128;
  /// Bytes of a field or a value of a "listpack" hash (hash-max-listpack-value).
  std::size_t hash_max_listpack_value = 64;
  /// Members an "intset" may hold (set-max-intset-entries).
  std::size_t set_max_intset_entries = 512;
  // Redis 7.2's name; accepted and kept. Sets of non-integers use the hash
  // table at every size, as Redis 7.0 does (its tests assert that).
  std::size_t set_max_listpack_entries = 128;
  /// Members a "listpack" sorted set may hold (zset-max-listpack-entries).
  std::size_t zset_max_listpack_entries = 128;
  /// Bytes of a member of a "listpack" sorted set (zset-max-listpack-value).
  std::size_t zset_max_listpack_value = 64;
  // Redis's chunk size of a "quicklist" (positive: elements per chunk;
  // -1..-5: 4, 8, 16, 32, 64 KiB per chunk). Accepted and kept; lists are
  // chunked deques at every size, as in Redis 7.0, with chunks of 8 KiB
  // (the default, -2) whatever it says.
  int64_t list_max_listpack_size = -2;
};

// A value other than a string. Every object is one of the four classes below.
class Object {
 public:
  virtual ~Object() = default;
  /// Which of the four kinds this is (kHash, kList, kSet or kZSet).
  virtual Type type() const = 0;
  // Elements: fields of a hash, members of a set or sorted set, elements of
  // a list. The store never keeps an object of size 0 (the key is removed).
  virtual std::size_t size() const = 0;
  // Redis's OBJECT ENCODING name for the layout in use: "listpack",
  // "hashtable", "intset", "skiplist" or "quicklist".
  virtual std::string_view encoding() const = 0;
  // An independent deep copy with the same encoding.
  virtual std::unique_ptr<Object> Clone() const = 0;
};

/// A hash: fields and their values.
class HashValue : public Object {
 public:
  /// Type::kHash.
  Type type() const override { return Type::kHash; }
  /// The value of field, or nullopt if the hash has no such field.
  virtual std::optional<std::string_view> get(std::string_view field) const = 0;
  // Every field and value, in the encoding's order (insertion order for
  // "listpack"); fn returns false to stop.
  virtual void for_each(
      const std::function<bool(std::string_view field, std::string_view value)>& fn) const = 0;
  // The i-th pair in for_each's order (REQUIRES: i < size()). O(1) for
  // "listpack"; may walk the table for "hashtable".
  virtual std::pair<std::string_view, std::string_view> at(std::size_t i) const = 0;
};

/// A set of distinct members.
class SetValue : public Object {
 public:
  /// Type::kSet.
  Type type() const override { return Type::kSet; }
  /// Whether member is in the set.
  virtual bool contains(std::string_view member) const = 0;
  /// Every member ("intset": ascending); fn returns false to stop.
  virtual void for_each(const std::function<bool(std::string_view member)>& fn) const = 0;
  // The i-th member in for_each's order (REQUIRES: i < size()), in O(1):
  // SPOP and SRANDMEMBER pick members by a random index. The view may point
  // into a scratch buffer (intset): copy it before the next call.
  virtual std::string_view at(std::size_t i) const = 0;
};

/// A sorted set: distinct members ordered by (score, member bytes).
class ZSetValue : public Object {
 public:
  /// Type::kZSet.
  Type type() const override { return Type::kZSet; }
  /// The score of member, or nullopt if it is not in the set.
  virtual std::optional<double> score(std::string_view member) const = 0;
  // The 0-based rank of member in (score, member) order, ascending.
  virtual std::optional<std::size_t> rank(std::string_view member) const = 0;
  // Members in (score, member) order from rank `start` on (ascending), or
  // from rank `start` counted from the highest downwards (reverse); fn
  // returns false to stop.
  virtual void for_each_from_rank(
      std::size_t start, bool reverse,
      const std::function<bool(std::string_view member, double score)>& fn) const = 0;
  // Members from the first whose score is >= min (> min when exclusive),
  // ascending; reverse: from the last whose score is <= min (< min when
  // exclusive), descending. fn returns false to stop.
  virtual void for_each_from_score(
      double min, bool exclusive, bool reverse,
      const std::function<bool(std::string_view member, double score)>& fn) const = 0;
  // As for_each_from_score by member bytes (for ZRANGEBYLEX, which assumes
  // equal scores): from the first member >= min (> min when exclusive);
  // reverse: from the last member <= min (< min), descending. An empty
  // optional starts at the lowest (reverse: highest) member.
  virtual void for_each_from_lex(
      std::optional<std::string_view> min, bool exclusive, bool reverse,
      const std::function<bool(std::string_view member, double score)>& fn) const = 0;
};

/// A list of elements, head first.
class ListValue : public Object {
 public:
  /// Type::kList.
  Type type() const override { return Type::kList; }
  // REQUIRES: index < size(). O(1) for index near either end, at most
  // O(size / chunk) otherwise.
  virtual std::string_view at(std::size_t index) const = 0;
  // Elements from index `start` on, towards the tail (reverse: towards the
  // head); fn returns false to stop. REQUIRES: start < size().
  virtual void for_each_from(std::size_t start, bool reverse,
                             const std::function<bool(std::string_view element)>& fn) const = 0;
};

// A change to one key's object, as Transaction::apply() takes it and the WAL
// records it (docs/FORMATS.md). Each is deterministic: applied to the same
// object it gives the same object, so replay reproduces it. An op on an
// absent key first creates an empty object of its type (removals of an
// absent key do nothing); an object left empty is removed with its key.
// Commands whose effect is random (SPOP) or relative (HINCRBY) log the
// resulting op (SREM of the members chosen, HSET of the new value).
enum class OpCode : uint8_t {
  kHashSet = 1,   // field, value, [field, value ...]: set each
  kHashDel = 2,   // field ...: remove each present
  kSetAdd = 3,    // member ...
  kSetRem = 4,    // member ...
  kZSetAdd = 5,   // score, member, [score, member ...]: score as EncodeScore
  kZSetRem = 6,   // member ...
  kListPush = 7,  // side ("L" or "R"), element ...: each pushed in turn (LPUSH a b: b first)
  kListPop = 8,   // side, count (decimal): remove up to count from that end
  kListSet = 9,   // index (decimal, 0-based from the head), element. REQUIRES index < size
  kListInsert = 10,  // index (decimal, 0..size), element: insert so it lands at index
  kListRem = 11,     // count (decimal, signed), element: as LREM (from the head for count > 0,
                     // the tail for < 0, every match for 0)
  kListTrim = 12,    // start, stop (decimal, 0-based, inclusive): keep that range (empty: none)
};

// The highest OpCode this build knows.
inline constexpr uint8_t kMaxOpCode = 12;

// The type an op works on.
Type OpType(OpCode code);

// A score as an op argument: its 8 bytes, little-endian IEEE 754 (exact;
// no text rounding).
std::string EncodeScore(double score);
// REQUIRES: bytes.size() == 8.
double DecodeScore(std::string_view bytes);

}  // namespace kvstore

#endif  // KVSTORE_TYPES_H_
