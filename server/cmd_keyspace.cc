// Copyright (c) the kvstore developers.
//
// Keyspace commands (Redis's db.c and object.c): DEL, UNLINK, EXISTS, TOUCH,
// TYPE, KEYS, SCAN, RANDOMKEY, RENAME, RENAMENX, COPY, DBSIZE,
// FLUSHDB/FLUSHALL, OBJECT and MEMORY USAGE. Every key is a string and there
// is one database. Writes go through keyspace.h.

#include <algorithm>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "command_handlers.h"
#include "keyspace.h"
#include "object.h"
#include "resp_parser.h"
#include "scan_args.h"
#include "string_util.h"

namespace kvstore::server {


namespace {

void RenameGeneric(CommandContext& ctx, bool nx) {
  const std::string_view src = ctx.argv[1], dst = ctx.argv[2];
  enum { kNoKey, kExists, kDone } outcome = kNoKey;
  if (!keyspace::Update(ctx, {src, dst}, [&](Transaction& tx) {
        if (tx.type(src) == Type::kNone) {
          outcome = kNoKey;
          return;
        }
        if (src == dst || (nx && tx.type(dst) != Type::kNone)) {
          outcome = src == dst && !nx ? kDone : kExists;
          return;
        }
        const int64_t deadline = tx.expire_time(src);  // the TTL moves with the value
        if (const Object* obj = tx.object(src)) {
          keyspace::PutObject(tx, dst, *obj, deadline);
          tx.remove(src);
        } else {
          const std::string value(*tx.get(src));
          tx.remove(src);
          tx.set(dst, value, deadline);
        }
        outcome = kDone;
      })) {
    return;
  }
  if (outcome == kNoKey) return ctx.reply.Error("ERR no such key");
  if (nx) return ctx.reply.Integer(outcome == kDone ? 1 : 0);
  ctx.reply.Ok();
}

}  // namespace

void DelCommand(CommandContext& ctx) {
  if (ctx.argv.size() == 2) {
    std::optional<std::string> removed;
    if (!keyspace::Remove(ctx, ctx.argv[1], &removed)) return;
    return ctx.reply.Integer(removed ? 1 : 0);
  }
  int64_t removed = 0;
  std::vector<std::string_view> keys(ctx.argv.begin() + 1, ctx.argv.end());
  if (!keyspace::Update(ctx, keys, [&](Transaction& tx) {
        removed = 0;
        for (std::size_t i = 1; i < ctx.argv.size(); ++i) {
          if (tx.type(ctx.argv[i]) != Type::kNone) {
            tx.remove(ctx.argv[i]);
            ++removed;
          }
        }
      })) {
    return;
  }
  ctx.reply.Integer(removed);
}

void ExistsCommand(CommandContext& ctx) {
  int64_t n = 0;
  for (std::size_t i = 1; i < ctx.argv.size(); ++i) {
    if (keyspace::Exists(ctx, ctx.argv[i])) ++n;
  }
  ctx.reply.Integer(n);
}

void TypeCommand(CommandContext& ctx) {
  ctx.reply.Simple(TypeName(keyspace::TypeOf(ctx, ctx.argv[1])));
}

void KeysCommand(CommandContext& ctx) {
  const std::vector<std::string> keys = keyspace::AllMatching(ctx, ctx.argv[1]);
  ctx.reply.ArrayHeader(keys.size());
  for (const auto& k : keys) ctx.reply.Bulk(k);
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
void ScanCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  uint64_t cursor = 0;
  if (!ParseScanCursor(a[1], &cursor)) return ctx.reply.Error(kInvalidCursorError);
  std::string_view pattern = "*";  // no MATCH: every key
  int64_t count = 10;
  std::optional<Type> type;  // TYPE: only keys of this type
  for (std::size_t i = 2; i < a.size(); i += 2) {
    if (i + 1 >= a.size()) return ctx.reply.Error(kSyntaxError);
    if (EqualsIgnoreCase(a[i], "MATCH")) {
      pattern = a[i + 1];
    } else if (EqualsIgnoreCase(a[i], "COUNT")) {
      if (!ParseInt64(a[i + 1], &count)) return ctx.reply.Error(kNotIntegerError);
      if (count < 1) return ctx.reply.Error(kSyntaxError);
    } else if (EqualsIgnoreCase(a[i], "TYPE")) {
      type = Type::kNone;  // an unknown name matches no key, as in Redis
      for (Type t : {Type::kString, Type::kList, Type::kSet, Type::kZSet, Type::kHash}) {
        if (EqualsIgnoreCase(a[i + 1], TypeName(t))) type = t;
      }
    } else {
      return ctx.reply.Error(kSyntaxError);
    }
  }
  std::vector<std::string> keys;
  const uint64_t next = keyspace::ScanMatching(
      ctx, cursor, static_cast<std::size_t>(std::min<int64_t>(count, 1 << 20)), pattern,
      &keys);
  if (type) {
    std::erase_if(keys, [&](const std::string& k) { return keyspace::TypeOf(ctx, k) != *type; });
  }
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayHeader(keys.size());
  for (const auto& k : keys) ctx.reply.Bulk(k);
}

void RandomkeyCommand(CommandContext& ctx) {
  auto k = keyspace::RandomKey(ctx);
  if (k) return ctx.reply.Bulk(*k);
  ctx.reply.Null();
}

void RenameCommand(CommandContext& ctx) { RenameGeneric(ctx, false); }
void RenamenxCommand(CommandContext& ctx) { RenameGeneric(ctx, true); }


void DbsizeCommand(CommandContext& ctx) { ctx.reply.Integer(static_cast<int64_t>(keyspace::Size(ctx))); }

// FLUSHDB / FLUSHALL [ASYNC|SYNC]: one clear() either way (it is one WAL
// record and quick).
void FlushCommand(CommandContext& ctx) {
  if (ctx.argv.size() > 2 || (ctx.argv.size() == 2 && !EqualsIgnoreCase(ctx.argv[1], "ASYNC") &&
                              !EqualsIgnoreCase(ctx.argv[1], "SYNC"))) {
    return ctx.reply.Error(kSyntaxError);
  }
  if (keyspace::Clear(ctx)) ctx.reply.Ok();
}

// TOUCH key [key ...]: how many of the keys exist (a key named twice counts
// twice). Nothing tracks access times, so there is nothing else to update.
void TouchCommand(CommandContext& ctx) { ExistsCommand(ctx); }

// COPY source destination [DB index] [REPLACE]: one update of both keys;
// the copy gets the source's deadline (or none), as in Redis.
// There is one database: DB 0 is this one, any other index is out of range.
void CopyCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  bool replace = false;
  for (std::size_t i = 3; i < a.size(); ++i) {
    if (EqualsIgnoreCase(a[i], "REPLACE")) {
      replace = true;
    } else if (EqualsIgnoreCase(a[i], "DB") && i + 1 < a.size()) {
      int64_t db = 0;
      if (!ParseInt64(a[++i], &db)) return ctx.reply.Error(kNotIntegerError);
      if (db != 0) return ctx.reply.Error("ERR DB index is out of range");
    } else {
      return ctx.reply.Error(kSyntaxError);
    }
  }
  const std::string_view src = a[1], dst = a[2];
  if (src == dst) return ctx.reply.Error("ERR source and destination objects are the same");
  bool copied = false;
  if (!keyspace::Update(ctx, {src, dst}, [&](Transaction& tx) {
        copied = false;
        if (tx.type(src) == Type::kNone || (!replace && tx.type(dst) != Type::kNone)) return;
        const int64_t deadline = tx.expire_time(src);  // the copy keeps the source's TTL
        if (const Object* obj = tx.object(src)) {
          keyspace::PutObject(tx, dst, *obj, deadline);
        } else {
          const std::string value(*tx.get(src));
          tx.set(dst, value, deadline);
        }
        copied = true;
      })) {
    return;
  }
  ctx.reply.Integer(copied ? 1 : 0);
}

// --- OBJECT -----------------------------------------------------------------

namespace {

// Redis's wording when OBJECT FREQ / IDLETIME do not match the policy.
constexpr char kPolicyNote[] =
    " Please note that when switching between policies at runtime LRU and LFU data will take some "
    "time to adjust.";

bool LfuPolicy(ServerState& s) {
  std::lock_guard<std::mutex> lock(s.settings_mu);
  return s.maxmemory_policy.find("lfu") != std::string::npos;
}

}  // namespace

// The encoding Redis would choose for a string of this value when it is
// written whole by SET: "int" for the canonical text of an int64 (at most 20
// characters), "embstr" up to 44 bytes, "raw" beyond. (Redis also reports
// "raw" for short values last written by APPEND or SETRANGE; kvstore keeps
// no per-key history, so the shape of the value alone decides.)
const char* StringEncoding(std::string_view value) {
  int64_t n = 0;
  if (value.size() <= 20 && ParseInt64(value, &n) && std::to_string(n) == value) return "int";
  return value.size() <= 44 ? "embstr" : "raw";
}

void ObjectEncodingCommand(CommandContext& ctx) {
  const std::string_view key = ctx.argv[2];
  if (ctx.tx != nullptr) {
    if (const Object* obj = ctx.tx->object(key)) return ctx.reply.Bulk(obj->encoding());
  } else {
    std::string encoding;
    const Type type =
        keyspace::Store(ctx).view(key, [&](const Object& obj) { encoding = obj.encoding(); });
    if (type != Type::kString && type != Type::kNone) return ctx.reply.Bulk(encoding);
  }
  const auto v = keyspace::Get(ctx, key);
  if (!v) return ctx.reply.Null();
  ctx.reply.Bulk(StringEncoding(*v));
}

// No access frequency is tracked: every key reports 0, the counter of a key
// never read. As Redis, only under an LFU maxmemory-policy.
void ObjectFreqCommand(CommandContext& ctx) {
  if (!keyspace::Exists(ctx, ctx.argv[2])) return ctx.reply.Null();
  if (!LfuPolicy(ctx.server)) {
    return ctx.reply.Error(
        std::string("ERR An LFU maxmemory policy is not selected, access frequency not tracked.") +
        kPolicyNote);
  }
  ctx.reply.Integer(0);
}

// No access time is tracked: every key reports 0 seconds idle. As Redis,
// refused under an LFU maxmemory-policy.
void ObjectIdletimeCommand(CommandContext& ctx) {
  if (!keyspace::Exists(ctx, ctx.argv[2])) return ctx.reply.Null();
  if (LfuPolicy(ctx.server)) {
    return ctx.reply.Error(
        std::string("ERR An LFU maxmemory policy is selected, idle time not tracked.") +
        kPolicyNote);
  }
  ctx.reply.Integer(0);
}

// Values are never shared between keys: one reference each.
void ObjectRefcountCommand(CommandContext& ctx) {
  if (!keyspace::Exists(ctx, ctx.argv[2])) return ctx.reply.Null();
  ctx.reply.Integer(1);
}

void ObjectHelpCommand(CommandContext& ctx) { ReplyHelp(ctx, *LookupCommand("object")); }

// MEMORY USAGE key [SAMPLES count]: the bytes the store spends on the key, as
// its memory accounting counts them (KvStore::stats().memory_bytes): the
// entry block (two length varints, key and value), the allocator's header
// and the hash table slot (a pointer and a control byte). SAMPLES is
// accepted for compatibility; a string has nothing to sample.
void MemoryUsageCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  for (std::size_t i = 3; i < a.size(); i += 2) {
    if (!EqualsIgnoreCase(a[i], "SAMPLES") || i + 1 >= a.size()) {
      return ctx.reply.Error(kSyntaxError);
    }
    int64_t samples = 0;
    if (!ParseInt64(a[i + 1], &samples)) return ctx.reply.Error(kNotIntegerError);
    if (samples < 0) return ctx.reply.Error(kSyntaxError);
  }
  const auto v = keyspace::Get(ctx, a[2]);
  if (!v) {
    // An object: its entry (key and the object's address) plus its contents
    // (ObjectBytes walks every element; Redis samples, kvstore counts).
    uint64_t bytes = 0;
    if (ctx.tx != nullptr) {
      if (const Object* obj = ctx.tx->object(a[2])) bytes = ObjectBytes(*obj);
    } else {
      keyspace::Store(ctx).view(a[2], [&](const Object& obj) { bytes = ObjectBytes(obj); });
    }
    if (bytes == 0) return ctx.reply.Null();
    return ctx.reply.Integer(
        static_cast<int64_t>(EntryMemoryUsage(a[2].size(), sizeof(void*)) + bytes));
  }
  ctx.reply.Integer(static_cast<int64_t>(EntryMemoryUsage(a[2].size(), v->size())));
}

uint64_t EntryMemoryUsage(std::size_t key_size, std::size_t value_size) {
  auto varint = [](std::size_t n) {
    uint64_t bytes = 1;
    while (n >= 128) {
      n >>= 7;
      ++bytes;
    }
    return bytes;
  };
  constexpr uint64_t kAllocatorHeader = 8;
  constexpr uint64_t kSlot = sizeof(char*) + 1;
  return varint(key_size) + varint(value_size) + key_size + value_size + kAllocatorHeader + kSlot;
}

}  // namespace kvstore::server
