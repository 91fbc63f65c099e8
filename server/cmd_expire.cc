// Copyright (c) the kvstore developers.
//
// The commands that read or change a key's time to live (Redis's expire.c
// is the model): EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT with NX, XX, GT and LT;
// TTL, PTTL, EXPIRETIME, PEXPIRETIME; PERSIST. The commands that write a
// value with a deadline (SET's options, SETEX, PSETEX, GETEX) are string
// commands (cmd_strings.cc); both parse times with expire_args.h. Deadlines
// are absolute Unix milliseconds in the store, so a restart never extends
// one; a key is live through its deadline's millisecond. Reply and error
// texts are Redis 7's, checked against redis-server 7.0 with redis-cli.

#include <string>

#include "command_handlers.h"
#include "expire_args.h"
#include "keyspace.h"

namespace kvstore::server {

namespace {

using expire_args::Base;
using expire_args::TimeError;
using expire_args::Unit;

// EXPIRE key time [NX|XX|GT|LT]: options are checked before the time, the
// time before the key, as in Redis. A deadline at or before now removes the
// key (and answers 1).
void ExpireGeneric(CommandContext& ctx, Unit unit, Base base) {
  const std::string_view key = ctx.argv[1];
  expire_args::ExpireCondition cond;
  std::string error;
  if (!expire_args::ParseExpireCondition(ctx.argv.subspan(3), &cond, &error)) {
    return ctx.reply.Error(error);
  }
  int64_t deadline = 0;
  const TimeError e =
      expire_args::ParseExpireTime(ctx.argv[2], unit, base, keyspace::NowMs(ctx), &deadline);
  if (e != TimeError::kNone) return ReplyExpireTimeError(ctx, e == TimeError::kNotInteger);
  bool changed = false;
  if (!keyspace::Update(ctx, {key}, [&](Transaction& tx) {
        changed = false;
        const int64_t current = tx.expire_time(key);
        if (current == kKeyAbsent || !cond.Allows(current, deadline)) return;
        tx.expire_at(key, deadline);
        changed = true;
      })) {
    return;
  }
  ctx.reply.Integer(changed ? 1 : 0);
}

// TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for an absent key, -1 for one
// without a deadline. Seconds are rounded to the nearest, as Redis does.
void TtlGeneric(CommandContext& ctx, Unit unit, Base base) {
  const int64_t deadline = keyspace::ExpireTime(ctx, ctx.argv[1]);
  if (deadline < 0) return ctx.reply.Integer(deadline);  // kKeyAbsent or kNoExpiry
  int64_t t = deadline;
  if (base == Base::kRelative) {
    t -= keyspace::NowMs(ctx);
    if (t < 0) t = 0;
  }
  if (unit == Unit::kSeconds) t = t / 1000 + (t % 1000 >= 500 ? 1 : 0);
  ctx.reply.Integer(t);
}

}  // namespace

void ExpireCommand(CommandContext& ctx) { ExpireGeneric(ctx, Unit::kSeconds, Base::kRelative); }
void PexpireCommand(CommandContext& ctx) {
  ExpireGeneric(ctx, Unit::kMilliseconds, Base::kRelative);
}
void ExpireatCommand(CommandContext& ctx) { ExpireGeneric(ctx, Unit::kSeconds, Base::kAbsolute); }
void PexpireatCommand(CommandContext& ctx) {
  ExpireGeneric(ctx, Unit::kMilliseconds, Base::kAbsolute);
}

void TtlCommand(CommandContext& ctx) { TtlGeneric(ctx, Unit::kSeconds, Base::kRelative); }
void PttlCommand(CommandContext& ctx) { TtlGeneric(ctx, Unit::kMilliseconds, Base::kRelative); }
void ExpiretimeCommand(CommandContext& ctx) { TtlGeneric(ctx, Unit::kSeconds, Base::kAbsolute); }
void PexpiretimeCommand(CommandContext& ctx) {
  TtlGeneric(ctx, Unit::kMilliseconds, Base::kAbsolute);
}

// PERSIST key: 1 if the key had a deadline (now cleared), else 0.
void PersistCommand(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  bool cleared = false;
  if (!keyspace::Update(ctx, {key}, [&](Transaction& tx) {
        cleared = tx.expire_time(key) >= 0;
        if (cleared) tx.persist(key);
      })) {
    return;
  }
  ctx.reply.Integer(cleared ? 1 : 0);
}

}  // namespace kvstore::server
