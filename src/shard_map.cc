// Copyright (c) the kvstore developers.

#include "shard_map.h"

#include <mutex>
#include <new>

namespace kvstore {

namespace {
#ifdef KVSTORE_SYSTEM_MALLOC
void ConfigureAllocator() {}
void* AllocateEntry(std::size_t n) { return std::malloc(n); }
void FreeEntry(void* p) { std::free(p); }
#else
// Must run before mimalloc maps its first segment for us.
void ConfigureAllocator() {
  static std::once_flag once;
  std::call_once(once, [] { mi_option_enable(mi_option_large_os_pages); });
}
void* AllocateEntry(std::size_t n) { return mi_malloc(n); }
void FreeEntry(void* p) { mi_free(p); }
#endif
}  // namespace

void Entry::Free(char* e) { FreeEntry(e); }

ShardMap::ShardMap() { ConfigureAllocator(); }

char* Entry::Make(std::string_view key, std::string_view value) {
  const auto klen = static_cast<uint32_t>(key.size());
  const auto vlen = static_cast<uint32_t>(value.size());
  const std::size_t n = VarintLength(klen) + VarintLength(vlen) + key.size() + value.size();
  char* e = static_cast<char*>(AllocateEntry(n));
  if (e == nullptr) throw std::bad_alloc();
  char* p = PutVarint32(PutVarint32(e, klen), vlen);
  std::memcpy(p, key.data(), key.size());
  std::memcpy(p + key.size(), value.data(), value.size());
  return e;
}

namespace {
// Entries are built by Make, so the varints are well formed (<= 5 bytes).
inline const char* ReadLength(const char* p, uint32_t* v) {
  uint32_t result = 0;
  for (int shift = 0;; shift += 7) {
    const uint32_t byte = static_cast<unsigned char>(*p++);
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) break;
  }
  *v = result;
  return p;
}
inline const char* Lengths(const char* e, uint32_t* klen, uint32_t* vlen) {
  return ReadLength(ReadLength(e, klen), vlen);
}
}  // namespace

std::string_view Entry::Key(const char* e) {
  uint32_t klen, vlen;
  const char* p = Lengths(e, &klen, &vlen);
  return {p, klen};
}

std::string_view Entry::Value(const char* e) {
  uint32_t klen, vlen;
  const char* p = Lengths(e, &klen, &vlen);
  return {p + klen, vlen};
}

std::size_t Entry::Size(const char* e) {
  uint32_t klen, vlen;
  const char* p = Lengths(e, &klen, &vlen);
  return static_cast<std::size_t>(p - e) + klen + vlen;
}

void Shard::Put(const HashedKey& k, std::string_view value) {
  char* e = Entry::Make(k.key, value);
  entry_bytes.store(entry_bytes.load(std::memory_order_relaxed) + Entry::Size(e),
                    std::memory_order_relaxed);
  bool inserted = false;
  // One probe with the precomputed hash: lazy_emplace finds the key or the
  // slot to construct into.
  auto it = set.lazy_emplace(k, [&](const EntrySet::constructor& ctor) {
    ctor(e);
    inserted = true;
  });
  if (inserted) {
    count.store(set.size(), std::memory_order_relaxed);
    return;
  }
  // Same key, so the same hash and slot: swap the entry in place.
  char*& slot = const_cast<char*&>(*it);
  entry_bytes.store(entry_bytes.load(std::memory_order_relaxed) - Entry::Size(slot),
                    std::memory_order_relaxed);
  Entry::Free(slot);
  slot = e;
}

std::optional<std::string> Shard::Erase(const HashedKey& k) {
  auto it = set.find(k);
  if (it == set.end()) return std::nullopt;
  char* e = *it;
  std::string old(Entry::Value(e));
  entry_bytes.store(entry_bytes.load(std::memory_order_relaxed) - Entry::Size(e),
                    std::memory_order_relaxed);
  set.erase(it);
  Entry::Free(e);
  count.store(set.size(), std::memory_order_relaxed);
  return old;
}

void Shard::Clear() {
  for (char* e : set) Entry::Free(e);
  set.clear();
  count.store(0, std::memory_order_relaxed);
  entry_bytes.store(0, std::memory_order_relaxed);
}

ShardMap::~ShardMap() {
  for (auto& s : shards_) s.Clear();
}

std::optional<std::string> ShardMap::Get(std::string_view key) const {
  const HashedKey k = HashKey(key);
  const Shard& s = ShardFor(k);
  std::shared_lock lock(s.mu);
  const char* e = s.Find(k);
  if (e == nullptr) return std::nullopt;
  return std::string(Entry::Value(e));
}

void ShardMap::Reserve(uint64_t keys) {
  const uint64_t per_shard = keys / kShards + keys / kShards / 16 + 8;  // +6% for imbalance
  for (auto& s : shards_) {
    if (s.set.capacity() < per_shard) s.set.reserve(static_cast<std::size_t>(per_shard));
  }
}

void ShardMap::ShrinkToFit() {
  for (auto& s : shards_) {
    if (s.set.capacity() > 4 * (s.set.size() + 8)) s.set.rehash(0);
  }
}

std::size_t ShardMap::Size() const {
  std::size_t n = 0;
  for (const auto& s : shards_) n += s.count.load(std::memory_order_relaxed);
  return n;
}

uint64_t ShardMap::MemoryBytes() const {
  uint64_t n = sizeof(*this);
  for (const auto& s : shards_) {
    std::shared_lock lock(s.mu);
    // Allocators round blocks up to 16 bytes; a slot is a pointer plus a
    // control byte.
    n += s.entry_bytes.load(std::memory_order_relaxed) + 8 * s.set.size() +
         s.set.capacity() * (sizeof(char*) + 1);
  }
  return n;
}

void ShardMap::LockAll() {
  for (auto& s : shards_) s.mu.lock();
}

void ShardMap::UnlockAll() {
  for (auto& s : shards_) s.mu.unlock();
}

}  // namespace kvstore
