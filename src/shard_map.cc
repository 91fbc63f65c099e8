// Copyright (c) the kvstore developers.

#include "shard_map.h"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <new>
#include <random>
#include <utility>
#include <vector>

#include "kvstore/kvstore.h"
#include "object.h"

namespace kvstore {

namespace {
#ifdef KVSTORE_SYSTEM_MALLOC
void ConfigureAllocator() {}
#else
// Must run before mimalloc maps its first segment for us.
void ConfigureAllocator() {
  static std::once_flag once;
  std::call_once(once, [] { mi_option_enable(mi_option_large_os_pages); });
}
#endif
void* AllocateEntry(std::size_t n) { return AllocateBlockBytes(n); }
void FreeEntry(void* p) { FreeBlockBytes(p); }

// The block behind a table pointer: a tagged pointer's block starts with the
// 8-byte deadline, one byte before the pointer; the lengths follow it.
inline char* BlockStart(char* e) {
  char* u = const_cast<char*>(Entry::Untagged(e));
  return Entry::HasDeadline(u) ? u - 1 : u;
}
char* Tag(char* e) { return reinterpret_cast<char*>(reinterpret_cast<uintptr_t>(e) | 2); }
// The 8 bytes an object entry's value holds.
std::string_view PointerBytes(const Object* const& obj) {
  return {reinterpret_cast<const char*>(&obj), sizeof(obj)};
}
// Frees the block only (the object moves to a new block).
void FreeBlock(char* e) { FreeEntry(BlockStart(e)); }
}  // namespace

int64_t Clock::SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Entry::Free(char* e) {
  if (IsObject(e)) delete GetObject(e);
  FreeBlock(e);
}

char* Entry::MakeObject(std::string_view key, std::unique_ptr<Object> obj, int64_t deadline) {
  const Object* p = obj.get();
  char* e = Make(key, PointerBytes(p), deadline);
  (void)obj.release();  // owned by the entry now
  return Tag(e);
}

ShardMap::ShardMap() { ConfigureAllocator(); }

char* Entry::Make(std::string_view key, std::string_view value, int64_t deadline) {
  const auto klen = static_cast<uint32_t>(key.size());
  const auto vlen = static_cast<uint32_t>(value.size());
  const std::size_t prefix = deadline != 0 ? sizeof(int64_t) : 0;
  const std::size_t n =
      prefix + VarintLength(klen) + VarintLength(vlen) + key.size() + value.size();
  char* block = static_cast<char*>(AllocateEntry(n));
  if (block == nullptr) throw std::bad_alloc();
  static_assert(alignof(std::max_align_t) >= 2, "the tag bit needs aligned blocks");
  if (prefix != 0) std::memcpy(block, &deadline, sizeof(deadline));
  char* p = PutVarint32(PutVarint32(block + prefix, klen), vlen);
  std::memcpy(p, key.data(), key.size());
  std::memcpy(p + key.size(), value.data(), value.size());
  return prefix != 0 ? block + 1 : block;
}

std::size_t Entry::Size(const char* e) {
  uint32_t klen, vlen;
  const char* body = Entry::Body(e);
  const char* p = Entry::Lengths(body, &klen, &vlen);
  return static_cast<std::size_t>(p - body) + klen + vlen + (HasDeadline(e) ? sizeof(int64_t) : 0);
}

void Shard::Index(char* e) {
  if (!Entry::HasDeadline(e)) return;
  expiring.insert({Entry::Deadline(e), e});
  expiring_count.store(expiring.size(), std::memory_order_relaxed);
}

void Shard::Unindex(char* e) {
  if (!Entry::HasDeadline(e)) return;
  expiring.erase({Entry::Deadline(e), e});
  expiring_count.store(expiring.size(), std::memory_order_relaxed);
}

std::size_t Shard::Stale(int64_t now_ms) const {
  std::size_t n = 0;
  for (auto it = expiring.begin(); it != expiring.end() && it->first < now_ms; ++it) ++n;
  return n;
}

void Shard::PutObject(const HashedKey& k, std::unique_ptr<Object> obj, int64_t deadline) {
  Insert(k, Entry::MakeObject(k.key, std::move(obj), deadline));
}

void Shard::Put(const HashedKey& k, std::string_view value, int64_t deadline) {
  Insert(k, Entry::Make(k.key, value, deadline));
}

void Shard::Insert(const HashedKey& k, char* e) {
  entry_bytes.store(entry_bytes.load(std::memory_order_relaxed) + Entry::Size(e),
                    std::memory_order_relaxed);
  bool inserted = false;
  // One probe with the precomputed hash: lazy_emplace finds the key or the
  // slot to construct into.
  auto it = set.lazy_emplace(k, [&](const EntrySet::constructor& ctor) {
    ctor(e);
    inserted = true;
  });
  Index(e);
  if (inserted) {
    count.store(set.size(), std::memory_order_relaxed);
    return;
  }
  // Same key, so the same hash and slot: swap the entry in place.
  char*& slot = const_cast<char*&>(*it);
  entry_bytes.store(entry_bytes.load(std::memory_order_relaxed) - Entry::Size(slot),
                    std::memory_order_relaxed);
  Unindex(slot);
  Entry::Free(slot);
  slot = e;
}

bool Shard::SetDeadline(const HashedKey& k, int64_t deadline) {
  auto it = set.find(k);
  if (it == set.end()) return false;
  char*& slot = const_cast<char*&>(*it);
  if (Entry::HasDeadline(slot) && deadline != 0) {  // same layout: rewrite in place
    Unindex(slot);
    Entry::SetDeadline(slot, deadline);
    Index(slot);
    return true;
  }
  if (Entry::Deadline(slot) == deadline) return true;  // none before, none after
  // The layout changes (8 bytes more or less): a new block (an object moves
  // to it).
  char* e = Entry::Make(Entry::Key(slot), Entry::Value(slot), deadline);
  if (Entry::IsObject(slot)) e = Tag(e);
  entry_bytes.store(
      entry_bytes.load(std::memory_order_relaxed) + Entry::Size(e) - Entry::Size(slot),
      std::memory_order_relaxed);
  Unindex(slot);
  FreeBlock(slot);
  slot = e;  // same key, same hash, same slot
  Index(e);
  return true;
}

std::optional<std::string> Shard::Erase(const HashedKey& k) {
  auto it = set.find(k);
  if (it == set.end()) return std::nullopt;
  char* e = *it;
  std::string old(Entry::IsObject(e) ? std::string_view() : Entry::Value(e));
  entry_bytes.store(entry_bytes.load(std::memory_order_relaxed) - Entry::Size(e),
                    std::memory_order_relaxed);
  Unindex(e);
  set.erase(it);
  Entry::Free(e);
  count.store(set.size(), std::memory_order_relaxed);
  return old;
}

void Shard::Clear() {
  for (char* e : set) Entry::Free(e);
  set.clear();
  expiring.clear();
  expiring_count.store(0, std::memory_order_relaxed);
  count.store(0, std::memory_order_relaxed);
  entry_bytes.store(0, std::memory_order_relaxed);
}

// No other thread can hold a reference any more.
ShardMap::~ShardMap() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  for (auto& s : shards_) s.Clear();
}

bool ShardMap::Get(std::string_view key, std::string* value, bool count, Type* type) const {
  const std::size_t slot = reader_slots::This();
  const HashedKey k = HashKey(key);
  const Shard& s = ShardFor(k);
  FastReaderLock lock(&s.mu, slot);
  // The probe's control bytes and first slots, fetched together rather than
  // one after the other.
  s.set.prefetch(k);
  const char* e = s.FindLive(k, clock_);
  if (count) CountGet(slot, e != nullptr);
  if (type != nullptr) *type = e == nullptr ? Type::kNone : Entry::TypeOf(e);
  if (e == nullptr || Entry::IsObject(e)) return false;
  if (value != nullptr) value->assign(Entry::Value(e));
  return true;
}

ShardMap::GetCounts ShardMap::Gets() const {
  GetCounts n;
  for (const GetCounters& c : get_counters_) {
    n.hits += c.hits.load(std::memory_order_relaxed);
    n.misses += c.misses.load(std::memory_order_relaxed);
  }
  return n;
}

Type ShardMap::TypeOf(std::string_view key) const {
  const HashedKey k = HashKey(key);
  const Shard& s = ShardFor(k);
  ReaderLock lock(&s.mu);
  const char* e = s.FindLive(k, clock_);
  return e == nullptr ? Type::kNone : Entry::TypeOf(e);
}

Type ShardMap::View(std::string_view key, const std::function<void(const Object&)>& fn) const {
  const HashedKey k = HashKey(key);
  const Shard& s = ShardFor(k);
  ReaderLock lock(&s.mu);
  const char* e = s.FindLive(k, clock_);
  if (e == nullptr) return Type::kNone;
  if (!Entry::IsObject(e)) return Type::kString;
  const Object& obj = *Entry::GetObject(e);
  fn(obj);
  return obj.type();
}

bool Shard::ApplyOp(const HashedKey& k, OpCode code, std::span<const std::string_view> args,
                    const EncodingLimits& limits, std::string* why) {
  const Type type = OpType(code);
  auto it = set.find(k);
  if (it == set.end()) {
    std::unique_ptr<Object> obj = NewObject(type);
    if (!kvstore::ApplyOp(obj.get(), code, args, limits, why)) return false;
    if (obj->size() != 0) PutObject(k, std::move(obj));
    return true;
  }
  const char* e = *it;
  if (Entry::TypeOf(e) != type) {
    *why = "op on a key holding a " + std::string(TypeName(Entry::TypeOf(e)));
    return false;
  }
  Object* obj = Entry::GetObject(e);
  if (!kvstore::ApplyOp(obj, code, args, limits, why)) return false;
  if (obj->size() == 0) (void)Erase(k);
  return true;
}

int64_t ShardMap::ExpireTime(std::string_view key) const {
  const HashedKey k = HashKey(key);
  const Shard& s = ShardFor(k);
  ReaderLock lock(&s.mu);
  const char* e = s.FindLive(k, clock_);
  if (e == nullptr) return kKeyAbsent;
  return Entry::HasDeadline(e) ? Entry::Deadline(e) : kNoExpiry;
}

std::size_t ShardMap::Expiring() const {
  std::size_t n = 0;
  for (const auto& s : shards_) n += s.expiring_count.load(std::memory_order_relaxed);
  return n;
}

// ---- scan() and random_key() ----
//
// A cursor is (shard index << 56) | h, where h is a lower bound on the top 56
// bits of the key hashes still to visit in that shard. A page takes the keys
// of the shard with the smallest hashes >= h, never splitting a group of
// equal 56-bit hashes, so a key present throughout is visited exactly once
// whatever the table does meanwhile (rehashing reorders slots, not hashes).
// Finding a page costs a pass over the shard, so a page is at least 1/16 of
// the shard: a full iteration costs at most ~16 passes over the data.

namespace {
constexpr int kCursorShift = 56;
constexpr uint64_t kHashMask = (uint64_t{1} << kCursorShift) - 1;
uint64_t Hash56(const char* e) { return Hash64(Entry::Key(e)) >> 8; }
// What scan() reports as a value: a string's bytes, "" for an object.
std::string_view ScanValue(const char* e) {
  return Entry::IsObject(e) ? std::string_view() : Entry::Value(e);
}
}  // namespace

uint64_t ShardMap::Scan(uint64_t cursor, std::size_t count,
                        const std::function<void(std::string_view, std::string_view)>& fn) const {
  std::size_t shard = static_cast<std::size_t>(cursor >> kCursorShift);
  uint64_t from = cursor & kHashMask;
  std::size_t emitted = 0;
  count = std::max<std::size_t>(count, 1);
  std::vector<std::pair<uint64_t, const char*>> page;
  const int64_t now = clock_.NowMs();
  while (shard < kShards && emitted < count) {
    const Shard& s = shards_[shard];
    ReaderLock lock(&s.mu);
    page.clear();
    for (const char* e : s.set) {
      const uint64_t h = Hash56(e);
      if (h >= from && Entry::Live(e, now)) page.emplace_back(h, e);
    }
    const std::size_t want = std::max(count - emitted, s.set.size() / 16);
    if (page.size() > want) {
      std::nth_element(page.begin(), page.begin() + static_cast<std::ptrdiff_t>(want - 1),
                       page.end());
      const uint64_t cut = page[want - 1].first;  // include every key hashing to cut
      for (const auto& [h, e] : page) {
        if (h <= cut) {
          fn(Entry::Key(e), ScanValue(e));
          ++emitted;
        }
      }
      if (cut < kHashMask) return (uint64_t{shard} << kCursorShift) | (cut + 1);
    } else {
      for (const auto& [h, e] : page) fn(Entry::Key(e), ScanValue(e));
      emitted += page.size();
    }
    ++shard;
    from = 0;
  }
  return shard < kShards ? uint64_t{shard} << kCursorShift : 0;
}

std::optional<std::string> ShardMap::RandomKey() const {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  // Retry if keys vanish meanwhile or the draw hits an expired one; with
  // many expired keys, fall back to the first live key found by a scan.
  for (int attempt = 0; attempt < 8; ++attempt) {
    const std::size_t total = Size();
    if (total == 0) return std::nullopt;
    uint64_t r = rng() % total;
    for (std::size_t i = 0; i < kShards; ++i) {
      const Shard& s = shards_[i];
      const std::size_t n = s.count.load(std::memory_order_relaxed);
      if (r >= n) {
        r -= n;
        continue;
      }
      ReaderLock lock(&s.mu);
      if (r >= s.set.size()) break;
      auto it = s.set.begin();
      std::advance(it, static_cast<std::ptrdiff_t>(r));
      if (!Entry::Live(*it, clock_.NowMs())) break;  // expired: draw again
      return std::string(Entry::Key(*it));
    }
  }
  std::optional<std::string> found;
  uint64_t cursor = 0;
  do {
    cursor = Scan(cursor, 1, [&](std::string_view k, std::string_view) {
      if (!found) found.emplace(k);
    });
  } while (!found && cursor != 0);
  return found;
}

void ShardMap::ReplayClear(uint64_t seq) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (replay_floors_.empty()) return ClearUnshared();
  for (auto& s : shards_) {
    std::vector<std::string> doomed;
    for (const char* e : s.set) {
      if (ReplayApplies(Entry::Key(e), seq)) doomed.emplace_back(Entry::Key(e));
    }
    for (const auto& k : doomed) (void)s.Erase(HashKey(k));
  }
}

// ---- sizing (before the map is shared) ----

void ShardMap::Reserve(uint64_t keys) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  const uint64_t per_shard = keys / kShards + keys / kShards / 16 + 8;  // +6% for imbalance
  for (auto& s : shards_) {
    if (s.set.capacity() < per_shard) s.set.reserve(static_cast<std::size_t>(per_shard));
  }
}

void ShardMap::ShrinkToFit() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  for (auto& s : shards_) {
    if (s.set.capacity() > 4 * (s.set.size() + 8)) s.set.rehash(0);
  }
}

std::size_t ShardMap::Size() const {
  std::size_t n = 0;
  int64_t now = -1;  // read once, and only if some key has a deadline
  for (const auto& s : shards_) {
    n += s.count.load(std::memory_order_relaxed);
    if (s.expiring_count.load(std::memory_order_relaxed) == 0) continue;
    if (now < 0) now = clock_.NowMs();
    ReaderLock lock(&s.mu);
    n -= std::min(n, s.Stale(now));
  }
  return n;
}

uint64_t ShardMap::MemoryBytes() const {
  uint64_t n = sizeof(*this);
  for (const auto& s : shards_) {
    ReaderLock lock(&s.mu);
    // Allocators round blocks up to 16 bytes; a slot is a pointer plus a
    // control byte.
    // An index node holds about 16 (deadline, entry) pairs of 16 bytes.
    n += s.entry_bytes.load(std::memory_order_relaxed) + 8 * s.set.size() +
         s.set.capacity() * (sizeof(char*) + 1) + s.expiring.size() * 20;
  }
  return n;
}

// The analysis cannot follow a loop taking 96 locks; ClearIf is the one
// place that holds them all, and it releases them before returning.
bool ShardMap::ClearIf(const std::function<bool()>& fn) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  for (auto& s : shards_) s.mu.Lock();
  const bool clear = fn();
  if (clear) {
    for (auto& s : shards_) s.Clear();
  }
  for (auto& s : shards_) s.mu.Unlock();
  return clear;
}

}  // namespace kvstore
