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
//
// Inside EXEC (ctx.tx set) every read and write goes to the running
// transaction instead of the store, so a queued command's handler runs
// unchanged. Every write touches the WATCHed keys it changes before it
// applies (watch.h).

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

// Touches (watch.h) those of `keys` that tx has written.
void TouchWritten(CommandContext& ctx, const Transaction& tx,
                  const std::vector<std::string_view>& keys);

// Runs fn(Transaction&) inside one update of `keys` (one WAL record); inside
// EXEC, in the running transaction.
// For a command on strings (CommandContext::string_values), whether every
// key is a string or absent; if not, answers WRONGTYPE (discarding the rest
// of the reply) and fn is not called.
bool StringsOnly(CommandContext& ctx, const Transaction& tx,
                 const std::vector<std::string_view>& keys);

// What an update did to its keys, for keyspace notifications (notify.h):
// which existed before, which it wrote, which exist after. Does nothing
// (not even a lookup) while notifications are off.
class KeyChanges {
 public:
  KeyChanges(CommandContext& ctx, const std::vector<std::string_view>& keys);
  void Before(const Transaction& tx);
  void After(const Transaction& tx);
  // After the update applied: the command's event for each written key,
  // "new" for each created, "del" for each it emptied.
  void Publish(CommandContext& ctx) const;

 private:
  const bool on_;
  const std::vector<std::string_view>& keys_;
  std::vector<uint8_t> existed_, written_, exists_;
};

template <class Fn>
bool Update(CommandContext& ctx, std::vector<std::string_view> keys, Fn&& fn) {
  keys = UniqueKeys(std::move(keys));
  KeyChanges changes(ctx, keys);
  if (ctx.tx != nullptr) {
    if (ctx.string_values && !StringsOnly(ctx, *ctx.tx, keys)) return true;
    changes.Before(*ctx.tx);
    fn(*ctx.tx);
    TouchWritten(ctx, *ctx.tx, keys);
    changes.After(*ctx.tx);
    changes.Publish(ctx);
    return true;
  }
  auto r = Store(ctx).update(
      keys,
      [&](Transaction& tx) {
        if (ctx.string_values && !StringsOnly(ctx, tx, keys)) return;
        changes.Before(tx);
        fn(tx);
        TouchWritten(ctx, tx, keys);  // under the keys' locks, before they apply
        changes.After(tx);
      },
      ctx.durability.Deferred());
  ctx.durability.Record();
  if (!r) {
    ReplyStoreError(ctx, r.error());
    return false;
  }
  changes.Publish(ctx);
  return true;
}

// The value of key, or nullopt if absent. Every read of a key by a command
// goes through here (never to the store directly), so that a command queued
// in a transaction reads what the transaction sees. A key holding a hash,
// list, set or sorted set reads as absent, except for a command that needs
// strings (CommandContext::string_values): that one is answered WRONGTYPE
// here, and the rest of its reply is discarded (ReplyWriter::Discard).
std::optional<std::string> Get(CommandContext& ctx, std::string_view key);

// Redis's reply to a command on a key of another type.
inline constexpr char kWrongTypeError[] =
    "WRONGTYPE Operation against a key holding the wrong kind of value";

// The type of key's value (kNone: absent), read like Get.
Type TypeOf(CommandContext& ctx, std::string_view key);
inline bool Exists(CommandContext& ctx, std::string_view key) {
  return TypeOf(ctx, key) != Type::kNone;
}

// The Type of each object class.
template <class T>
constexpr Type kTypeOf = T::kNoSuchClass;
template <>
inline constexpr Type kTypeOf<HashValue> = Type::kHash;
template <>
inline constexpr Type kTypeOf<ListValue> = Type::kList;
template <>
inline constexpr Type kTypeOf<SetValue> = Type::kSet;
template <>
inline constexpr Type kTypeOf<ZSetValue> = Type::kZSet;

// A read of a typed key (HGET, LRANGE, SMEMBERS, ZRANGE...): calls
// fn(const T* object), nullptr when key is absent, and returns true; a key of
// another type is answered WRONGTYPE (fn is not called) and returns false.
// Outside EXEC fn runs under the key's shard read lock: it writes its reply
// and must not call the store. Inside EXEC it reads the transaction's view.
template <class T, class Fn>
bool Read(CommandContext& ctx, std::string_view key, Fn&& fn) {
  bool ok = true;
  auto visit = [&](const Object* obj, Type type) {
    if (type != Type::kNone && type != kTypeOf<T>) {
      ok = false;
      return;
    }
    fn(static_cast<const T*>(obj));
  };
  if (ctx.tx != nullptr) {
    visit(ctx.tx->object(key), ctx.tx->type(key));
  } else {
    const Type type = Store(ctx).view(key, [&](const Object& obj) {
      if (obj.type() == kTypeOf<T>) fn(static_cast<const T*>(&obj));
    });
    if (type == Type::kNone) fn(static_cast<const T*>(nullptr));
    ok = type == Type::kNone || type == kTypeOf<T>;
  }
  if (!ok) ctx.reply.Error(kWrongTypeError);
  return ok;
}


// The values of several keys read at one instant (MGET): no transaction
// another client runs is seen half applied. Reads the keys under their
// shards' locks (an update() that writes nothing), so it costs more than
// Get() per key.
std::vector<std::optional<std::string>> GetMany(CommandContext& ctx,
                                                std::span<const std::string_view> keys);

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

// The number of keys, and a random key (nullopt: none).
std::size_t Size(CommandContext& ctx);
std::optional<std::string> RandomKey(CommandContext& ctx);

// Inside an update: key's object as T, or nullptr if key is absent; a key of
// another type is answered WRONGTYPE and *ok set false (the caller returns
// without writing).
template <class T>
const T* TypedObject(CommandContext& ctx, Transaction& tx, std::string_view key, bool* ok) {
  const Type type = tx.type(key);
  *ok = type == Type::kNone || type == kTypeOf<T>;
  if (!*ok) {
    ctx.reply.Error(kWrongTypeError);
    return nullptr;
  }
  return static_cast<const T*>(tx.object(key));
}

// Inside an update: makes dst a copy of obj (ops that rebuild it, logged as
// such), replacing whatever dst held, with deadline (0: none).
void PutObject(Transaction& tx, std::string_view dst, const Object& obj, int64_t deadline);

// Sets every pair in one update; later pairs of the same key win, as they
// would one after another. No reply is written (the caller writes one per
// pair).
Result<void> SetPairs(ServerState& server, DurabilityBarrier& durability,
                      const std::vector<std::pair<std::string_view, std::string_view>>& pairs);

// The keys matching a glob pattern ("*": every key; "": only the empty key), from one SCAN
// step at `cursor` (returns the next cursor) or from all of them. Inside EXEC one step
// visits every key (and returns cursor 0): a SCAN step may return any number of keys.
uint64_t ScanMatching(CommandContext& ctx, uint64_t cursor, std::size_t count,
                      std::string_view pattern, std::vector<std::string>* keys);
std::vector<std::string> AllMatching(CommandContext& ctx, std::string_view pattern);

}  // namespace kvstore::server::keyspace

#endif  // KVSTORE_SERVER_KEYSPACE_H_
