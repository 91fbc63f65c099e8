// Copyright (c) the kvstore developers.
//
// BZPOPMIN, BZPOPMAX and BZMPOP (Redis 7.0's t_zset.c
// blockingGenericZpopCommand and zmpopGenericCommand are the model): pop
// the lowest (highest) scored members of the first non-empty sorted set, or
// block until a write fills one (blocking.h). The pop reads the members
// through ZSetValue::for_each_from_rank and removes them with a kZSetRem op,
// so the WAL records the members removed.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "blocking.h"
#include "command_handlers.h"
#include "keyspace.h"
#include "mpop_args.h"

namespace kvstore::server {

namespace {

// BZPOPMIN's [key, member, score] or BZMPOP's [key, [[member, score], ...]].
enum class ZpopReply { kKeyMemberScore, kKeyAndPairs };

// Pops up to `count` members (one for kKeyMemberScore) from the first of
// `keys` holding a sorted set and replies them in `shape`, or calls on_empty
// inside the update. A key of another type is WRONGTYPE, or passed over when
// a blocked client retries.
AttemptResult PopFromZsets(CommandContext& ctx, const std::vector<std::string>& keys, bool max,
                           int64_t count, ZpopReply shape, bool retry,
                           const std::function<void()>& on_empty) {
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
      const int64_t limit = shape == ZpopReply::kKeyMemberScore ? 1 : count;
      std::vector<std::pair<std::string, double>> popped;
      zset->for_each_from_rank(0, max, [&](std::string_view m, double s) {
        popped.emplace_back(std::string(m), s);
        return static_cast<int64_t>(popped.size()) < limit;
      });
      std::vector<std::string_view> members;
      members.reserve(popped.size());
      for (const auto& [member, score] : popped) members.push_back(member);
      tx.apply(key, OpCode::kZSetRem, members);
      ctx.reply.ArrayHeader(shape == ZpopReply::kKeyMemberScore ? 3 : 2);
      ctx.reply.Bulk(key);
      if (shape == ZpopReply::kKeyAndPairs) ctx.reply.ArrayHeader(popped.size());
      for (const auto& [member, score] : popped) {
        if (shape == ZpopReply::kKeyAndPairs) ctx.reply.ArrayHeader(2);
        ctx.reply.Bulk(member);
        ctx.reply.Double(score);
      }
      result = AttemptResult::kServed;
      return;
    }
    on_empty();
  });
  return updated ? result : AttemptResult::kError;
}

void ReplyNullArray(ReplyWriter& reply) { reply.NullArray(); }

// Pops as PopFromZsets, blocking while every sorted set is empty. Inside
// MULTI or a script an empty result answers a null array, as Redis does.
void BlockingZpop(CommandContext& ctx, std::span<const std::string_view> keys, bool max,
                  int64_t count, ZpopReply shape, int64_t timeout_ms) {
  BlockedAttempt attempt = [owned = std::vector<std::string>(keys.begin(), keys.end()), max, count,
                            shape](CommandContext& c, const std::string* ready,
                                   const std::function<void()>& on_empty) {
    // A blocked client is served from the key that became ready.
    if (ready != nullptr) return PopFromZsets(c, {*ready}, max, count, shape, true, on_empty);
    return PopFromZsets(c, owned, max, count, shape, false, on_empty);
  };
  BlockOrServe(ctx, keys, timeout_ms, std::move(attempt), ReplyNullArray, ReplyNullArray);
}

// BZPOPMIN / BZPOPMAX key [key ...] timeout
void BlockingZpopCommand(CommandContext& ctx, bool max) {
  int64_t timeout_ms = 0;
  if (!ParseBlockTimeout(ctx, ctx.argv.back(), &timeout_ms)) return;
  BlockingZpop(ctx, ctx.argv.subspan(1, ctx.argv.size() - 2), max, 1, ZpopReply::kKeyMemberScore,
               timeout_ms);
}

}  // namespace

void BzpopminCommand(CommandContext& ctx) { BlockingZpopCommand(ctx, false); }
void BzpopmaxCommand(CommandContext& ctx) { BlockingZpopCommand(ctx, true); }

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: the arguments
// are checked before the timeout, as Redis does.
void BzmpopCommand(CommandContext& ctx) {
  MpopArgs args;
  if (!ParseMpopArgs(ctx, 2, "min", "max", &args)) return;
  int64_t timeout_ms = 0;
  if (!ParseBlockTimeout(ctx, ctx.argv[1], &timeout_ms)) return;
  BlockingZpop(ctx, args.keys, args.second_end, args.count, ZpopReply::kKeyAndPairs, timeout_ms);
}

}  // namespace kvstore::server
