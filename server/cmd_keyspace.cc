// Copyright (c) the kvstore developers.
//
// Keyspace commands (Redis's db.c): DEL, EXISTS, TYPE, KEYS, SCAN,
// RANDOMKEY, RENAME, RENAMENX, DBSIZE, FLUSHDB/FLUSHALL. Every key is a
// string and there is one database. Writes go through keyspace.h.

#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "command_handlers.h"
#include "keyspace.h"
#include "resp_parser.h"
#include "string_util.h"

namespace kvstore::server {

using keyspace::Store;

namespace {

void RenameGeneric(CommandContext& ctx, bool nx) {
  const std::string_view src = ctx.argv[1], dst = ctx.argv[2];
  enum { kNoKey, kExists, kDone } outcome = kNoKey;
  if (!keyspace::Update(ctx, {src, dst}, [&](Transaction& tx) {
        auto v = tx.get(src);
        if (!v) {
          outcome = kNoKey;
          return;
        }
        if (src == dst || (nx && tx.get(dst))) {
          outcome = src == dst && !nx ? kDone : kExists;
          return;
        }
        const std::string value(*v);
        const int64_t deadline = tx.expire_time(src);  // the TTL moves with the value
        tx.remove(src);
        tx.set(dst, value, deadline);
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
          if (tx.get(ctx.argv[i])) {
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
    if (keyspace::Get(ctx, ctx.argv[i])) ++n;
  }
  ctx.reply.Integer(n);
}

void TypeCommand(CommandContext& ctx) {
  ctx.reply.Simple(keyspace::Get(ctx, ctx.argv[1]) ? "string" : "none");
}

void KeysCommand(CommandContext& ctx) {
  const std::vector<std::string> keys = keyspace::AllMatching(Store(ctx), ctx.argv[1]);
  ctx.reply.ArrayHeader(keys.size());
  for (const auto& k : keys) ctx.reply.Bulk(k);
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
void ScanCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  uint64_t cursor = 0;
  {
    const std::string_view c = a[1];
    bool ok = !c.empty() && c.size() <= 20;
    unsigned __int128 v = 0;
    for (char ch : c) {
      if (ch < '0' || ch > '9') ok = false;
      v = v * 10 + static_cast<unsigned>(ch - '0');
    }
    if (!ok || v > std::numeric_limits<uint64_t>::max()) {
      return ctx.reply.Error("ERR invalid cursor");
    }
    cursor = static_cast<uint64_t>(v);
  }
  std::string_view pattern = "*";  // no MATCH: every key
  int64_t count = 10;
  bool type_ok = true;
  for (std::size_t i = 2; i < a.size(); i += 2) {
    if (i + 1 >= a.size()) return ctx.reply.Error(kSyntaxError);
    if (EqualsIgnoreCase(a[i], "MATCH")) {
      pattern = a[i + 1];
    } else if (EqualsIgnoreCase(a[i], "COUNT")) {
      if (!ParseInt64(a[i + 1], &count)) return ctx.reply.Error(kNotIntegerError);
      if (count < 1) return ctx.reply.Error(kSyntaxError);
    } else if (EqualsIgnoreCase(a[i], "TYPE")) {
      type_ok = EqualsIgnoreCase(a[i + 1], "string");  // every key is a string
    } else {
      return ctx.reply.Error(kSyntaxError);
    }
  }
  std::vector<std::string> keys;
  const uint64_t next = keyspace::ScanMatching(
      Store(ctx), cursor, static_cast<std::size_t>(std::min<int64_t>(count, 1 << 20)), pattern,
      &keys);
  if (!type_ok) keys.clear();
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayHeader(keys.size());
  for (const auto& k : keys) ctx.reply.Bulk(k);
}

void RandomkeyCommand(CommandContext& ctx) {
  auto k = Store(ctx).random_key();
  if (k) return ctx.reply.Bulk(*k);
  ctx.reply.Null();
}

void RenameCommand(CommandContext& ctx) { RenameGeneric(ctx, false); }
void RenamenxCommand(CommandContext& ctx) { RenameGeneric(ctx, true); }


void DbsizeCommand(CommandContext& ctx) { ctx.reply.Integer(static_cast<int64_t>(Store(ctx).size())); }

// FLUSHDB / FLUSHALL [ASYNC|SYNC]: one clear() either way (it is one WAL
// record and quick).
void FlushCommand(CommandContext& ctx) {
  if (ctx.argv.size() > 2 || (ctx.argv.size() == 2 && !EqualsIgnoreCase(ctx.argv[1], "ASYNC") &&
                              !EqualsIgnoreCase(ctx.argv[1], "SYNC"))) {
    return ctx.reply.Error(kSyntaxError);
  }
  if (keyspace::Clear(ctx)) ctx.reply.Ok();
}

}  // namespace kvstore::server
