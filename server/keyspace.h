// Copyright (c) the kvstore developers.
//
// The keyspace operations the command handlers share: every write a command
// makes goes through here, so that each one is logged with the I/O loop's
// deferred-durability options and its sequence number reaches the loop's
// DurabilityBarrier (durability.h). Writes reply the store's error
// themselves and return whether they succeeded; reads go to the store
// directly.
//
// Every read-modify-write runs inside KvStore::update(), so that two clients
// racing on a key can never interleave between the read and the write.
// Values read through a Transaction are copied before the transaction
// writes, because a write may move the bytes a view points to.

#ifndef KVSTORE_SERVER_KEYSPACE_H_
#define KVSTORE_SERVER_KEYSPACE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "command.h"

namespace kvstore::server::keyspace {

inline KvStore& Store(CommandContext& ctx) { return *ctx.server.store; }

// The keys of an update(), each once: the library locks every declared key's
// shard, and declaring one twice must not mean locking it twice.
std::vector<std::string_view> UniqueKeys(std::vector<std::string_view> keys);

// Runs fn(Transaction&) inside one update of `keys` (one WAL record).
template <class Fn>
bool Update(CommandContext& ctx, std::vector<std::string_view> keys, Fn&& fn) {
  auto r = Store(ctx).update(UniqueKeys(std::move(keys)), fn, ctx.durability.Deferred());
  ctx.durability.Record();
  if (!r) {
    ReplyStoreError(ctx, r.error());
    return false;
  }
  return true;
}

// The value of key, or nullopt if absent. Every read of a key by a command
// goes through here (never to the store directly), so that a command queued
// in a transaction reads what the transaction sees.
std::optional<std::string> Get(CommandContext& ctx, std::string_view key);

// The key's deadline in Unix ms, kNoExpiry if it has none, kKeyAbsent if it
// is absent or expired (as PEXPIRETIME answers); read like Get.
int64_t ExpireTime(CommandContext& ctx, std::string_view key);

// The store's clock in Unix ms: the "now" that relative times (EX, PX,
// EXPIRE) are added to and TTLs are measured from.
int64_t NowMs(CommandContext& ctx);

bool Set(CommandContext& ctx, std::string_view key, std::string_view value);

// The removed value (nullopt: the key was absent); false on a store error.
bool Remove(CommandContext& ctx, std::string_view key, std::optional<std::string>* removed);

bool Clear(CommandContext& ctx);

// Sets every pair in one update; later pairs of the same key win, as they
// would one after another. No reply is written (the caller writes one per
// pair).
Result<void> SetPairs(KvStore& store, DurabilityBarrier& durability,
                      const std::vector<std::pair<std::string_view, std::string_view>>& pairs);

// The keys matching a glob pattern ("*": every key; "": only the empty key), from one SCAN
// step at `cursor` (returns the next cursor) or from all of them.
uint64_t ScanMatching(const KvStore& store, uint64_t cursor, std::size_t count,
                      std::string_view pattern, std::vector<std::string>* keys);
std::vector<std::string> AllMatching(const KvStore& store, std::string_view pattern);

}  // namespace kvstore::server::keyspace

#endif  // KVSTORE_SERVER_KEYSPACE_H_
