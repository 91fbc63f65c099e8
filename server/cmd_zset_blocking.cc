// Copyright (c) the kvstore developers.
//
// BZPOPMIN and BZPOPMAX (Redis 7.0's t_zset.c blockingGenericZpopCommand
// is the model): pop the lowest (highest) scored member of the first
// non-empty sorted set, or block until a write fills one (blocking.h). The
// pop reads the member through ZSetValue::for_each_from_rank and removes it
// with a kZSetRem op, so the WAL records the member removed.

#include <string>
#include <string_view>
#include <vector>

#include "blocking.h"
#include "command_handlers.h"
#include "keyspace.h"

namespace kvstore::server {

namespace {

// Pops one member from the first of `keys` holding a sorted set, replying
// [key, member, score], or calls on_empty inside the update. A key of
// another type is WRONGTYPE, or passed over when a blocked client retries.
AttemptResult PopFromZsets(CommandContext& ctx, const std::vector<std::string>& keys, bool max,
                           bool retry, const std::function<void()>& on_empty) {
  AttemptResult result = AttemptResult::kEmpty;
  const std::vector<std::string_view> views(keys.begin(), keys.end());
  const bool updated = keyspace::Update(ctx, views, [&](Transaction& tx) {
    for (const std::string_view key : views) {
      const Type type = tx.type(key);
      if (type == Type::kNone) continue;
      if (type != Type::kZSet) {
        if (retry) continue;
        ctx.reply.Error(keyspace::kWrongTypeError);
        result = AttemptResult::kError;
        return;
      }
      const auto* zset = static_cast<const ZSetValue*>(tx.object(key));
      std::string member;
      double score = 0;
      zset->for_each_from_rank(0, max, [&](std::string_view m, double s) {
        member.assign(m);
        score = s;
        return false;
      });
      const std::string_view args[] = {member};
      tx.apply(key, OpCode::kZSetRem, args);
      ctx.reply.ArrayHeader(3);
      ctx.reply.Bulk(key);
      ctx.reply.Bulk(member);
      ctx.reply.Double(score);
      result = AttemptResult::kServed;
      return;
    }
    on_empty();
  });
  return updated ? result : AttemptResult::kError;
}

void ReplyNullArray(ReplyWriter& reply) { reply.NullArray(); }

// BZPOPMIN / BZPOPMAX key [key ...] timeout
void BlockingZpop(CommandContext& ctx, bool max) {
  int64_t timeout_ms = 0;
  if (!ParseBlockTimeout(ctx, ctx.argv.back(), &timeout_ms)) return;
  const auto keys = ctx.argv.subspan(1, ctx.argv.size() - 2);
  BlockedAttempt attempt = [owned = std::vector<std::string>(keys.begin(), keys.end()), max](
                               CommandContext& c, bool retry,
                               const std::function<void()>& on_empty) {
    return PopFromZsets(c, owned, max, retry, on_empty);
  };
  BlockOrServe(ctx, keys, timeout_ms, std::move(attempt), ReplyNullArray, ReplyNullArray);
}

}  // namespace

void BzpopminCommand(CommandContext& ctx) { BlockingZpop(ctx, false); }
void BzpopmaxCommand(CommandContext& ctx) { BlockingZpop(ctx, true); }

}  // namespace kvstore::server
