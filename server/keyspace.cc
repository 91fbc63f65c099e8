// Copyright (c) the kvstore developers.
//
// Shared keyspace operations; see keyspace.h.

#include "keyspace.h"

#include <algorithm>

#include "common/glob.h"
#include "notify.h"
#include "string_util.h"

namespace kvstore::server::keyspace {

std::vector<std::string_view> UniqueKeys(std::vector<std::string_view> keys) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

void TouchWritten(CommandContext& ctx, const Transaction& tx,
                  const std::vector<std::string_view>& keys) {
  WatchRegistry& watches = ctx.server.watches;
  BlockingRegistry& blocking = ctx.server.blocking;
  const bool watched = watches.any();
  const bool blocked = blocking.blocked_clients() != 0;  // ordered by the keys' locks
  if (!watched && !blocked) return;
  for (std::string_view k : keys) {
    if (!tx.wrote(k)) continue;
    if (watched) watches.Touch(k);
    if (blocked) blocking.Signal(k);  // served after the command (dispatcher)
  }
}

KeyChanges::KeyChanges(CommandContext& ctx, const std::vector<std::string_view>& keys)
    : on_(ctx.server.notify_flags.load(std::memory_order_relaxed) != 0), keys_(keys) {}

void KeyChanges::Before(const Transaction& tx) {
  if (!on_) return;
  existed_.clear();
  for (std::string_view k : keys_) existed_.push_back(tx.type(k) != Type::kNone);
}

void KeyChanges::After(const Transaction& tx) {
  if (!on_) return;
  written_.clear();
  exists_.clear();
  for (std::string_view k : keys_) {
    written_.push_back(tx.wrote(k));
    exists_.push_back(tx.type(k) != Type::kNone);
  }
}

void KeyChanges::Publish(CommandContext& ctx) const {
  if (!on_ || written_.size() != keys_.size() || existed_.size() != keys_.size()) return;
  const CommandEvent event = ctx.spec != nullptr ? EventOf(*ctx.spec) : CommandEvent{};
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (!written_[i]) continue;
    if (event.cls != 0) Notify(ctx.server, event.cls, event.event, keys_[i]);
    if (!existed_[i] && exists_[i]) Notify(ctx.server, kNotifyNew, "new", keys_[i]);
    if (existed_[i] && !exists_[i] && event.event != "del") {
      Notify(ctx.server, kNotifyGeneric, "del", keys_[i]);
    }
  }
}

bool StringsOnly(CommandContext& ctx, const Transaction& tx,
                 const std::vector<std::string_view>& keys) {
  for (std::string_view k : keys) {
    const Type type = tx.type(k);
    if (type != Type::kNone && type != Type::kString) {
      ctx.reply.Error(kWrongTypeError);
      ctx.reply.Discard();
      return false;
    }
  }
  return true;
}

std::optional<std::string> Get(CommandContext& ctx, std::string_view key) {
  std::optional<std::string> value;
  if (ctx.tx != nullptr) {
    if (auto v = ctx.tx->get(key)) value = std::string(*v);
  } else {
    value = Store(ctx).get(key);
  }
  // A miss may be a key of another type (a second lookup, on misses only).
  if (!value && ctx.string_values) {
    const Type type = TypeOf(ctx, key);
    if (type != Type::kNone && type != Type::kString) {
      ctx.reply.Error(kWrongTypeError);
      ctx.reply.Discard();
    }
  }
  return value;
}

Type TypeOf(CommandContext& ctx, std::string_view key) {
  return ctx.tx != nullptr ? ctx.tx->type(key) : Store(ctx).type(key);
}

void PutObject(Transaction& tx, std::string_view dst, const Object& obj, int64_t deadline) {
  std::vector<std::string_view> args;
  std::vector<std::string> scores;  // sorted-set scores, encoded; args point into them
  OpCode code = OpCode::kHashSet;
  switch (obj.type()) {
    case Type::kHash:
      static_cast<const HashValue&>(obj).for_each([&](std::string_view f, std::string_view v) {
        args.push_back(f);
        args.push_back(v);
        return true;
      });
      break;
    case Type::kSet: {
      // An intset's at() and for_each views may share a scratch buffer: copy.
      std::vector<std::string>& members = scores;
      static_cast<const SetValue&>(obj).for_each([&](std::string_view m) {
        members.emplace_back(m);
        return true;
      });
      for (const auto& m : members) args.push_back(m);
      code = OpCode::kSetAdd;
      break;
    }
    case Type::kList:
      args.push_back("R");
      static_cast<const ListValue&>(obj).for_each_from(0, false, [&](std::string_view e) {
        args.push_back(e);
        return true;
      });
      code = OpCode::kListPush;
      break;
    case Type::kZSet: {
      const auto& z = static_cast<const ZSetValue&>(obj);
      scores.reserve(z.size());
      z.for_each_from_rank(0, false, [&](std::string_view m, double score) {
        scores.push_back(EncodeScore(score));
        args.push_back({});  // the score's view is set below, once scores stops moving
        args.push_back(m);
        return true;
      });
      for (std::size_t i = 0; i < scores.size(); ++i) args[2 * i] = scores[i];
      code = OpCode::kZSetAdd;
      break;
    }
    default:
      return;
  }
  // The args point into obj (another key's object, or tx's view of it),
  // which no write to dst changes; apply() copies them into its op.
  tx.remove(dst);
  tx.apply(dst, code, args);
  if (deadline > 0) tx.expire_at(dst, deadline);
}

std::vector<std::optional<std::string>> GetMany(CommandContext& ctx,
                                                std::span<const std::string_view> keys) {
  std::vector<std::optional<std::string>> values(keys.size());
  auto read = [&](const Transaction& tx) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (auto v = tx.get(keys[i])) values[i] = std::string(*v);
    }
  };
  if (ctx.tx != nullptr) {
    read(*ctx.tx);
  } else if (keys.size() == 1) {
    values[0] = Store(ctx).get(keys[0]);
  } else {
    // Writes nothing, so it logs nothing and cannot fail but for a key
    // longer than any stored one (then that key is absent).
    std::vector<std::string_view> unique(keys.begin(), keys.end());
    auto r = Store(ctx).update(UniqueKeys(std::move(unique)), read);
    if (!r) {
      for (std::size_t i = 0; i < keys.size(); ++i) values[i] = Get(ctx, keys[i]);
    }
  }
  return values;
}

int64_t ExpireTime(CommandContext& ctx, std::string_view key) {
  return ctx.tx != nullptr ? ctx.tx->expire_time(key) : Store(ctx).expire_time(key);
}

int64_t NowMs(CommandContext& ctx) {
  return ctx.tx != nullptr ? ctx.tx->now_ms() : Store(ctx).now_ms();
}

bool Set(CommandContext& ctx, std::string_view key, std::string_view value) {
  if (ctx.server.watches.any()) ctx.server.watches.Touch(key);
  const uint32_t notify = ctx.server.notify_flags.load(std::memory_order_relaxed);
  const bool fresh = (notify & kNotifyNew) != 0 && !Exists(ctx, key);
  if (ctx.tx != nullptr) {
    ctx.tx->set(key, value);
  } else {
    auto r = Store(ctx).set(std::string(key), std::string(value), ctx.durability.Deferred());
    ctx.durability.Record();
    if (!r) {
      ReplyStoreError(ctx, r.error());
      return false;
    }
  }
  if (notify != 0) {
    Notify(ctx.server, kNotifyString, "set", key);
    if (fresh) Notify(ctx.server, kNotifyNew, "new", key);
  }
  return true;
}

bool Remove(CommandContext& ctx, std::string_view key, std::optional<std::string>* removed) {
  WatchRegistry& watches = ctx.server.watches;
  // Removing an absent key changes nothing and touches nothing (Redis).
  if (watches.any() && watches.IsWatched(key) && Exists(ctx, key)) watches.Touch(key);
  if (ctx.tx != nullptr) {
    *removed = Get(ctx, key);
    if (!*removed && Exists(ctx, key)) removed->emplace();  // an object: "" as for the store
    if (*removed) {
      ctx.tx->remove(key);
      Notify(ctx.server, kNotifyGeneric, "del", key);
    }
    return true;
  }
  auto r = Store(ctx).remove(key, ctx.durability.Deferred());
  ctx.durability.Record();
  if (!r) {
    ReplyStoreError(ctx, r.error());
    return false;
  }
  *removed = std::move(*r);
  if (*removed) Notify(ctx.server, kNotifyGeneric, "del", key);
  return true;
}

bool Clear(CommandContext& ctx) {
  // FLUSHALL touches the watched keys that exist, and no others (Redis).
  if (ctx.server.watches.any()) {
    for (const std::string& k : ctx.server.watches.Keys()) {
      if (Exists(ctx, k)) ctx.server.watches.Touch(k);
    }
  }
  if (ctx.tx != nullptr) {
    ctx.tx->clear();
    return true;
  }
  auto r = Store(ctx).clear(ctx.durability.Deferred());
  ctx.durability.Record();
  if (!r) ReplyStoreError(ctx, r.error());
  return static_cast<bool>(r);
}

std::size_t Size(CommandContext& ctx) {
  return ctx.tx != nullptr ? ctx.tx->size() : Store(ctx).size();
}

std::optional<std::string> RandomKey(CommandContext& ctx) {
  return ctx.tx != nullptr ? ctx.tx->random_key() : Store(ctx).random_key();
}

Result<void> SetPairs(ServerState& server, DurabilityBarrier& durability,
                      const std::vector<std::pair<std::string_view, std::string_view>>& pairs) {
  KvStore& store = *server.store;
  if (server.watches.any()) {
    for (const auto& [k, v] : pairs) server.watches.Touch(k);
  }
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

uint64_t ScanMatching(CommandContext& ctx, uint64_t cursor, std::size_t count,
                      std::string_view pattern, std::vector<std::string>* keys) {
  const bool all = pattern == "*";  // "" matches only the empty key, as in Redis
  auto match = [&](std::string_view k, std::string_view) {
    if (all || common::GlobMatch(pattern, k)) keys->emplace_back(k);
  };
  if (ctx.tx != nullptr) {
    ctx.tx->scan(match);
    return 0;
  }
  return Store(ctx).scan(cursor, count, match);
}

std::vector<std::string> AllMatching(CommandContext& ctx, std::string_view pattern) {
  std::vector<std::string> keys;
  uint64_t cursor = 0;
  do {
    cursor = ScanMatching(ctx, cursor, 1024, pattern, &keys);
  } while (cursor != 0);
  return keys;
}

}  // namespace kvstore::server::keyspace
