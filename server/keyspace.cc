// Copyright (c) the kvstore developers.
//
// Shared keyspace operations; see keyspace.h.

#include "keyspace.h"

#include <algorithm>

#include "common/glob.h"
#include "string_util.h"

namespace kvstore::server::keyspace {

std::vector<std::string_view> UniqueKeys(std::vector<std::string_view> keys) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

std::optional<std::string> Get(CommandContext& ctx, std::string_view key) {
  return Store(ctx).get(key);
}

int64_t ExpireTime(CommandContext& ctx, std::string_view key) {
  return Store(ctx).expire_time(key);
}

int64_t NowMs(CommandContext& ctx) { return Store(ctx).now_ms(); }

bool Set(CommandContext& ctx, std::string_view key, std::string_view value) {
  auto r = Store(ctx).set(std::string(key), std::string(value), ctx.durability.Deferred());
  ctx.durability.Record();
  if (!r) ReplyStoreError(ctx, r.error());
  return static_cast<bool>(r);
}

bool Remove(CommandContext& ctx, std::string_view key, std::optional<std::string>* removed) {
  auto r = Store(ctx).remove(key, ctx.durability.Deferred());
  ctx.durability.Record();
  if (!r) {
    ReplyStoreError(ctx, r.error());
    return false;
  }
  *removed = std::move(*r);
  return true;
}

bool Clear(CommandContext& ctx) {
  auto r = Store(ctx).clear(ctx.durability.Deferred());
  ctx.durability.Record();
  if (!r) ReplyStoreError(ctx, r.error());
  return static_cast<bool>(r);
}

Result<void> SetPairs(KvStore& store, DurabilityBarrier& durability,
                      const std::vector<std::pair<std::string_view, std::string_view>>& pairs) {
  Result<void> r;
  if (pairs.size() == 1) {
    r = store.set(std::string(pairs[0].first), std::string(pairs[0].second),
                  durability.Deferred());
  } else {
    std::vector<std::string_view> keys;
    keys.reserve(pairs.size());
    for (const auto& [k, v] : pairs) keys.push_back(k);
    r = store.update(
        UniqueKeys(std::move(keys)),
        [&](Transaction& tx) {
          for (const auto& [k, v] : pairs) tx.set(k, v);
        },
        durability.Deferred());
  }
  durability.Record();
  return r;
}

uint64_t ScanMatching(const KvStore& store, uint64_t cursor, std::size_t count,
                      std::string_view pattern, std::vector<std::string>* keys) {
  const bool all = pattern == "*";  // "" matches only the empty key, as in Redis
  return store.scan(cursor, count, [&](std::string_view k, std::string_view) {
    if (all || common::GlobMatch(pattern, k)) keys->emplace_back(k);
  });
}

std::vector<std::string> AllMatching(const KvStore& store, std::string_view pattern) {
  std::vector<std::string> keys;
  uint64_t cursor = 0;
  do {
    cursor = ScanMatching(store, cursor, 1024, pattern, &keys);
  } while (cursor != 0);
  return keys;
}

}  // namespace kvstore::server::keyspace
