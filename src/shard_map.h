// Copyright (c) the kvstore developers.
//
// The in-memory map: kShards independent hash tables, each behind its own
// reader/writer lock on its own cache lines, so readers never contend with
// readers of other shards and writers of different shards run in parallel.
//
// Each entry is one malloc'd block: varint key length, varint value length,
// key bytes, value bytes. For 16-byte keys and 100-byte values that is 118
// bytes, which glibc serves from a 128-byte chunk. The table (an absl Swiss
// table) holds only a pointer per slot plus one control byte. Lookups hash the
// key once (XXH3): the high bits pick the shard, the table reuses the hash.
//
// A key with an expiry carries its deadline (Unix ms, int64) in 8 more bytes
// in front of the block, and the table's pointer to it has its low bit set
// (blocks are at least 8-byte aligned). A key without one pays nothing: no
// byte in the block, no extra table space, and a read tests one pointer bit.
// Each shard also indexes its expiring entries by deadline (a B-tree of
// (deadline, entry) pairs), so the active expiry cycle (expirer.h) finds the
// expired ones in deadline order without sampling, and size() subtracts the
// expired-but-unreclaimed ones exactly.
//
// A key holding a hash, list, set or sorted set (types.h) has an entry
// whose value is the 8-byte address of its Object, and the table's pointer
// has its second-lowest bit set: a string read tests that bit and nothing
// else changes for strings. The object is owned by the entry and freed with
// it.
//
// Entries and tables come from mimalloc with transparent huge pages enabled:
// filling memory 4 KiB page fault by page fault costs ~5x more than with 2 MiB
// pages on the virtual machines we run on (docs/DESIGN.md), and mimalloc's
// 128-byte size class fits a 118-byte entry as tightly as glibc does.
//
// Reads of the keyspace live here too: get, scan (the cursor walk) and
// random_key. Writes are applied by the commit path (write_path.cc) and by
// replay (storage_layout.cc), under the shard locks they take.
//
// Locking: Shard::mu is a SharedMutex (shared_mutex.h): a reader/writer
// lock that Get enters as a fast reader, writing only its thread's reader
// slot, while scans, views and writers use it as a std::shared_mutex. It
// carries thread-safety annotations, so the analysis checks every access to
// a shard's table. Get also counts hits and misses per thread (one cache
// line per reader slot), so a get writes no memory another thread uses. Code that runs before the map is shared (snapshot loading,
// replay, Reserve) needs no lock and says so with
// ABSL_NO_THREAD_SAFETY_ANALYSIS.

#ifndef KVSTORE_SRC_SHARD_MAP_H_
#define KVSTORE_SRC_SHARD_MAP_H_

#include <absl/container/btree_set.h>
#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "block_alloc.h"
#include "coding.h"
#include "kvstore/types.h"
#include "shared_mutex.h"
#include "table_alloc.h"

namespace kvstore {

// An entry block; see the file comment for its layout. `e` is the pointer
// the table holds (tagged when the entry has a deadline).
class Entry {
 public:
  // deadline: Unix ms, 0 for none.
  static char* Make(std::string_view key, std::string_view value, int64_t deadline = 0);
  // An entry owning obj (tagged: IsObject).
  static char* MakeObject(std::string_view key, std::unique_ptr<Object> obj, int64_t deadline = 0);
  // Frees the block and, for an object entry, the object.
  static void Free(char* e);
  // Whether the entry holds an Object rather than a string value.
  static bool IsObject(const char* e) { return (reinterpret_cast<uintptr_t>(e) & 2) != 0; }
  // REQUIRES: IsObject(e).
  static Object* GetObject(const char* e) {
    Object* o;
    std::memcpy(&o, Value(e).data(), sizeof(o));
    return o;
  }
  // The type of the entry's value (kString or the object's).
  static Type TypeOf(const char* e) { return IsObject(e) ? GetObject(e)->type() : Type::kString; }
  // Inline: the table's probes compare keys, and a call per probe showed in
  // get's profile.
  static std::string_view Key(const char* e) {
    uint32_t klen, vlen;
    const char* p = Lengths(Body(e), &klen, &vlen);
    return {p, klen};
  }
  static std::string_view Value(const char* e) {
    uint32_t klen, vlen;
    const char* p = Lengths(Body(e), &klen, &vlen);
    return {p + klen, vlen};
  }
  static std::size_t Size(const char* e);  // bytes of the block
  static bool HasDeadline(const char* e) { return (reinterpret_cast<uintptr_t>(e) & 1) != 0; }
  // 0 when the entry has none.
  static int64_t Deadline(const char* e) {
    if (!HasDeadline(e)) return 0;
    int64_t d;
    std::memcpy(&d, Untagged(e) - 1, sizeof(d));
    return d;
  }
  // REQUIRES: HasDeadline(e).
  static void SetDeadline(char* e, int64_t deadline) {
    std::memcpy(const_cast<char*>(Untagged(e)) - 1, &deadline, sizeof(deadline));
  }
  // Whether the entry is visible at time now_ms: no deadline, or one not yet
  // passed. As in Redis, a key is still there at its deadline's millisecond
  // and gone after it.
  static bool Live(const char* e, int64_t now_ms) {
    return !HasDeadline(e) || Deadline(e) >= now_ms;
  }

  // The lengths and bytes behind the pointer: a tagged pointer's block
  // starts with the 8-byte deadline, one byte before the pointer, so its
  // body starts 7 bytes after it (no branch: the tag is the low bit). The
  // object tag (bit 1) is masked off first.
  static const char* Body(const char* e) {
    const char* u = Untagged(e);
    return u + 7 * (reinterpret_cast<uintptr_t>(u) & 1);
  }
  // e without the object tag (the deadline tag kept).
  static const char* Untagged(const char* e) {
    return reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(e) & ~uintptr_t{2});
  }
  // Reads the two varint lengths at p (well formed: Make wrote them).
  static const char* Lengths(const char* p, uint32_t* klen, uint32_t* vlen) {
    return ReadLength(ReadLength(p, klen), vlen);
  }

 private:
  static const char* ReadLength(const char* p, uint32_t* v) {
    uint32_t result = 0;
    for (int shift = 0;; shift += 7) {
      const uint32_t byte = static_cast<unsigned char>(*p++);
      result |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    *v = result;
    return p;
  }
};

// A key with its precomputed hash, for heterogeneous lookup.
struct HashedKey {
  std::string_view key;
  uint64_t hash;
};

struct EntryHash {
  using is_transparent = void;
  std::size_t operator()(const char* e) const { return Hash64(Entry::Key(e)); }
  std::size_t operator()(const HashedKey& k) const { return k.hash; }
};

struct EntryEq {
  using is_transparent = void;
  bool operator()(const char* a, const char* b) const { return Entry::Key(a) == Entry::Key(b); }
  // A probe's candidate: its second cache line is fetched now, beside the
  // first that the key comparison waits for, not after it. A 100-byte value
  // ends there, and the copy out would otherwise wait for a second miss
  // once the lengths were read (docs/DESIGN.md, "Reading a value"). For a block
  // of one line the fetch is of a neighbour's line and is not waited for.
  bool operator()(const char* a, const HashedKey& b) const {
    __builtin_prefetch(Entry::Body(a) + 64);
    return Entry::Key(a) == b.key;
  }
  bool operator()(const HashedKey& a, const char* b) const { return a.key == Entry::Key(b); }
};

// Small tables come from the entries' allocator, large ones from mmap
// (table_alloc.h), so that a doubling returns the old array at once.
using EntryAllocator = TableAllocator<char*>;
using EntrySet = absl::flat_hash_set<char*, EntryHash, EntryEq, EntryAllocator>;
// A shard's expiring entries by deadline.
using ExpiryIndex = absl::btree_set<std::pair<int64_t, char*>>;

// The store's time: Unix milliseconds from Options::clock, or the system clock.
class Clock {
 public:
  explicit Clock(std::function<int64_t()> fn = {}) : fn_(std::move(fn)) {}
  int64_t NowMs() const { return fn_ ? fn_() : SystemNowMs(); }
  static int64_t SystemNowMs();

 private:
  std::function<int64_t()> fn_;
};

struct alignas(64) Shard {
  mutable SharedMutex mu;
  EntrySet set ABSL_GUARDED_BY(mu);
  std::atomic<std::size_t> count{0};     // == set.size(), readable without mu
  std::atomic<uint64_t> entry_bytes{0};  // sum of Entry::Size; written under mu
  // Write counters for stats() (Options::count_operations), updated under
  // the exclusive lock (a plain load+store). Gets count per thread instead
  // (ShardMap::GetCounts).
  std::atomic<uint64_t> sets{0};
  std::atomic<uint64_t> removes{0};
  void Bump(std::atomic<uint64_t>& c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  ExpiryIndex expiring ABSL_GUARDED_BY(mu);
  std::atomic<std::size_t> expiring_count{0};  // == expiring.size(), readable without mu

  // Inserts or replaces; deadline as Entry::Make.
  void Put(const HashedKey& k, std::string_view value, int64_t deadline = 0)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // As Put, with an object value.
  void PutObject(const HashedKey& k, std::unique_ptr<Object> obj, int64_t deadline = 0)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Applies an op to the key's object (creating it when the key is absent;
  // removing the key when the object ends empty). The entry's deadline is
  // not consulted: an op on an expired key is logged after a remove
  // (Transaction::apply), so live writes and replay, which runs at a later
  // time, decide alike. False, with *why set and nothing changed, when the
  // key holds a string or another type or the op's arguments are malformed.
  bool ApplyOp(const HashedKey& k, OpCode code, std::span<const std::string_view> args,
               const EncodingLimits& limits, std::string* why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Returns the removed entry's value ("" for an object).
  std::optional<std::string> Erase(const HashedKey& k) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Sets (deadline > 0) or clears (0) the deadline of a present key; false
  // if absent.
  bool SetDeadline(const HashedKey& k, int64_t deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void Clear() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // The entry, expired or not.
  const char* Find(const HashedKey& k) const ABSL_SHARED_LOCKS_REQUIRED(mu) {
    auto it = set.find(k);
    return it == set.end() ? nullptr : *it;
  }
  // The entry if it is visible now; the clock is read only for an entry
  // with a deadline.
  const char* FindLive(const HashedKey& k, const Clock& clock) const
      ABSL_SHARED_LOCKS_REQUIRED(mu) {
    const char* e = Find(k);
    if (e != nullptr && Entry::HasDeadline(e) && Entry::Deadline(e) < clock.NowMs()) return nullptr;
    return e;
  }
  // Entries whose deadline is before now_ms, not yet reclaimed.
  std::size_t Stale(int64_t now_ms) const ABSL_SHARED_LOCKS_REQUIRED(mu);

 private:
  // Put's body: inserts e, replacing (and freeing) the key's old entry.
  void Insert(const HashedKey& k, char* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void Index(char* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void Unindex(char* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
};

class ShardMap {
 public:
  // Not a power of two on purpose: with 2^k shards, 1M keys put every table
  // just past a doubling (load 0.48); see docs/DESIGN.md.
  static constexpr std::size_t kShards = 96;

  ShardMap();
  ShardMap(const ShardMap&) = delete;
  ShardMap& operator=(const ShardMap&) = delete;
  ~ShardMap();

  static HashedKey HashKey(std::string_view key) { return {key, Hash64(key)}; }
  // The store's clock (Options::clock); set before the map is shared.
  void set_clock(Clock clock) { clock_ = std::move(clock); }
  const Clock& clock() const { return clock_; }
  Shard& ShardFor(const HashedKey& k) { return shards_[Index(k.hash)]; }
  const Shard& ShardFor(const HashedKey& k) const { return shards_[Index(k.hash)]; }
  Shard& shard(std::size_t i) { return shards_[i]; }
  const Shard& shard(std::size_t i) const { return shards_[i]; }

  // Copies key's value into *value (reusing its capacity; value may be null
  // to ask only whether key holds a string) and returns true, or returns
  // false and leaves *value alone (also for an expired key or
  // one holding an object; *type, when given, tells them apart). With count,
  // bumps the calling thread's hit or miss counter (Options::count_operations).
  bool Get(std::string_view key, std::string* value, bool count = false,
           Type* type = nullptr) const;
  // The same, returning a new string: one allocation per hit.
  std::optional<std::string> Get(std::string_view key, bool count = false,
                                 Type* type = nullptr) const {
    std::string value;
    if (!Get(key, &value, count, type)) return std::nullopt;
    return value;
  }
  // The type of key's value (kNone: absent or expired).
  Type TypeOf(std::string_view key) const;
  // KvStore::view: fn(object) under the key's shard read lock if key holds
  // one; returns key's type.
  Type View(std::string_view key, const std::function<void(const Object&)>& fn) const;
  // When compact encodings convert (Options::encoding_limits, CONFIG SET).
  EncodingLimits encoding_limits() const {
    std::lock_guard<std::mutex> l(limits_mu_);
    return limits_;
  }
  void set_encoding_limits(const EncodingLimits& limits) {
    std::lock_guard<std::mutex> l(limits_mu_);
    limits_ = limits;
  }
  // The deadline of key in Unix ms, kNoExpiry or kKeyAbsent (kvstore.h).
  int64_t ExpireTime(std::string_view key) const;
  // Keys with a deadline, expired or not (the index sizes).
  std::size_t Expiring() const;
  // KvStore::scan: calls fn for about `count` entries from cursor on and
  // returns the next cursor (0: done). See shard_map.cc for the cursor.
  uint64_t Scan(uint64_t cursor, std::size_t count,
                const std::function<void(std::string_view, std::string_view)>& fn) const;
  // KvStore::random_key.
  std::optional<std::string> RandomKey() const;
  // Writes made before the map is shared with other threads (snapshot
  // loading, WAL replay): no locks taken.
  void PutObjectUnshared(const HashedKey& k, std::unique_ptr<Object> obj,
                         int64_t deadline = 0) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    ShardFor(k).PutObject(k, std::move(obj), deadline);
  }
  bool ApplyOpUnshared(const HashedKey& k, OpCode code, std::span<const std::string_view> args,
                       std::string* why) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return ShardFor(k).ApplyOp(k, code, args, limits_, why);
  }
  void PutUnshared(const HashedKey& k, std::string_view value,
                   int64_t deadline = 0) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    ShardFor(k).Put(k, value, deadline);
  }
  bool ContainsUnshared(const HashedKey& k) const ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return ShardFor(k).Find(k) != nullptr;
  }
  void SetDeadlineUnshared(const HashedKey& k, int64_t deadline) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    (void)ShardFor(k).SetDeadline(k, deadline);
  }
  void EraseUnshared(const HashedKey& k) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    (void)ShardFor(k).Erase(k);
  }
  void ClearUnshared() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    for (auto& s : shards_) s.Clear();
  }

  // Replay floors (recovery only). A snapshot captures each shard at its own
  // moment, so it may already hold the effect of WAL records after its
  // sequence number. Replaying a string's set or remove again is harmless; a
  // list push is not. So a snapshot records, for each object, the last
  // sequence number its capture included, and replay skips a record's change
  // to that key when the record is not newer (ReplayApplies).
  void SetReplayFloor(std::string_view key, uint64_t seq) {
    replay_floors_[std::string(key)] = seq;
  }
  // Whether replay applies record `seq`'s change to key.
  bool ReplayApplies(std::string_view key, uint64_t seq) const {
    if (replay_floors_.empty()) return true;
    auto it = replay_floors_.find(absl::string_view(key.data(), key.size()));
    return it == replay_floors_.end() || seq > it->second;
  }
  // A clear logged at seq, in replay: removes every key but those whose
  // snapshot capture came after it.
  void ReplayClear(uint64_t seq);
  void ClearReplayFloors() { absl::flat_hash_map<std::string, uint64_t>().swap(replay_floors_); }
  // Sizes the tables for about `keys` entries in total. REQUIRES: not shared.
  void Reserve(uint64_t keys);
  // Gives back table space that a Reserve over-estimated. REQUIRES: not shared.
  void ShrinkToFit();
  // Gets that found their key and gets that did not, since the map was
  // made (counted when Get's count is true).
  struct GetCounts {
    uint64_t hits = 0;
    uint64_t misses = 0;
  };
  GetCounts Gets() const;
  // Visible keys: every entry but the expired ones not yet reclaimed.
  std::size_t Size() const;
  // Approximate bytes: entry blocks plus table slots (takes each shard's lock
  // shared in turn).
  uint64_t MemoryBytes() const;

  // clear(): under every shard's lock (taken in index order, the order
  // update() uses too), runs fn and, if it returns true, empties every
  // shard. Returns fn's result.
  bool ClearIf(const std::function<bool()>& fn);

 private:
  static std::size_t Index(uint64_t hash) {
    return static_cast<std::size_t>(((hash >> 32) * kShards) >> 32);
  }
  // Get's hit and miss counters, one line per reader slot (written by the
  // slot's thread alone: a plain load and store) and a last one for threads
  // without a slot (fetch_add).
  struct alignas(64) GetCounters {
    std::atomic<uint64_t> hits{0};
    std::atomic<uint64_t> misses{0};
  };
  void CountGet(std::size_t slot, bool hit) const {
    std::atomic<uint64_t>& c = hit ? get_counters_[slot].hits : get_counters_[slot].misses;
    if (slot < reader_slots::kReaderSlots) {
      c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    } else {
      c.fetch_add(1, std::memory_order_relaxed);
    }
  }

  Clock clock_;
  mutable GetCounters get_counters_[reader_slots::kReaderSlots + 1];
  mutable std::mutex limits_mu_;
  EncodingLimits limits_;
  absl::flat_hash_map<std::string, uint64_t> replay_floors_;  // recovery only
  Shard shards_[kShards];
};

}  // namespace kvstore

#endif  // KVSTORE_SRC_SHARD_MAP_H_
