// Copyright (c) the kvstore developers.
//
// Hash commands (Redis's t_hash.c): HSET, HSETNX, HMSET, HGET, HMGET, HDEL,
// HLEN, HSTRLEN, HEXISTS, HKEYS, HVALS, HGETALL, HINCRBY, HINCRBYFLOAT,
// HRANDFIELD and HSCAN. Reads go through keyspace::Read; every change is one
// kHashSet or kHashDel op (types.h) inside keyspace::Update, the increments
// logged as the HSET of the value they produce. Reply and error texts are
// Redis 7.0's, checked against redis-server 7.0 side by side.

#include <cmath>
#include <limits>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "command_handlers.h"
#include "keyspace.h"
#include "random_pick.h"
#include "resp_parser.h"
#include "scan_args.h"
#include "string_util.h"

namespace kvstore::server {

namespace {

constexpr char kNotFloat[] = "ERR value is not a valid float";

using Pair = std::pair<std::string_view, std::string_view>;

// Every pair of h in for_each's order (views into h).
std::vector<Pair> AllPairs(const HashValue& h) {
  std::vector<Pair> pairs;
  pairs.reserve(h.size());
  h.for_each([&](std::string_view f, std::string_view v) {
    pairs.emplace_back(f, v);
    return true;
  });
  return pairs;
}

// HSET and HMSET: sets every pair in one op; answers the number of fields
// that are new (HSET) or OK (HMSET).
void HsetGeneric(CommandContext& ctx, bool ok_reply) {
  const auto& a = ctx.argv;
  if (a.size() % 2 != 0) return ReplyArity(ctx, *LookupCommand(a[0]));
  const std::string_view key = a[1];
  int64_t added = 0;
  bool ok = true;
  auto body = [&](Transaction& tx) {
    const HashValue* h = keyspace::TypedObject<HashValue>(ctx, tx, key, &ok);
    if (!ok) return;
    std::unordered_set<std::string_view> fresh;
    for (std::size_t i = 2; i < a.size(); i += 2) {
      if ((h == nullptr || !h->get(a[i])) && fresh.insert(a[i]).second) ++added;
    }
    tx.apply(key, OpCode::kHashSet, a.subspan(2));
  };
  if (!keyspace::Update(ctx, {key}, body) || !ok) return;
  if (ok_reply) return ctx.reply.Ok();
  ctx.reply.Integer(added);
}

// The reply to HRANDFIELD with a count (REQUIRES: h non-empty, count != 0):
// `count` distinct fields (at most all of them) if count > 0, -count fields
// with repeats if count < 0; WITHVALUES adds each value (RESP3: each pair an
// array of two).
void ReplyRandomFields(CommandContext& ctx, const HashValue& h, int64_t count, bool with_values) {
  const std::vector<Pair> pairs = AllPairs(h);
  const bool resp3_pairs = with_values && ctx.reply.protocol() >= 3;
  auto header = [&](std::size_t n) {
    ctx.reply.ArrayHeader(with_values && !resp3_pairs ? n * 2 : n);
  };
  auto field = [&](std::size_t i) {
    if (resp3_pairs) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(pairs[i].first);
    if (with_values) ctx.reply.Bulk(pairs[i].second);
  };
  if (count < 0) {  // streamed: -count may be far larger than the hash
    const auto n = static_cast<std::size_t>(-count);
    header(n);
    for (std::size_t j = 0; j < n && !ctx.reply.over_cap(); ++j) field(RandomIndex(pairs.size()));
    return;
  }
  const std::vector<std::size_t> picks =
      RandomDistinctIndexes(pairs.size(), std::min(static_cast<std::size_t>(count), pairs.size()));
  header(picks.size());
  for (const std::size_t i : picks) field(i);
}

}  // namespace

// HSET key field value [field value ...]
void HsetCommand(CommandContext& ctx) { HsetGeneric(ctx, false); }

// HMSET key field value [field value ...]
void HmsetCommand(CommandContext& ctx) { HsetGeneric(ctx, true); }

// HSETNX key field value
void HsetnxCommand(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  bool ok = true, set = false;
  auto body = [&](Transaction& tx) {
    const HashValue* h = keyspace::TypedObject<HashValue>(ctx, tx, key, &ok);
    if (!ok || (h != nullptr && h->get(ctx.argv[2]))) return;
    tx.apply(key, OpCode::kHashSet, ctx.argv.subspan(2, 2));
    set = true;
  };
  if (!keyspace::Update(ctx, {key}, body) || !ok) return;
  ctx.reply.Integer(set ? 1 : 0);
}

// HGET key field
void HgetCommand(CommandContext& ctx) {
  keyspace::Read<HashValue>(ctx, ctx.argv[1], [&](const HashValue* h) {
    const auto v = h != nullptr ? h->get(ctx.argv[2]) : std::nullopt;
    if (v) return ctx.reply.Bulk(*v);
    ctx.reply.Null();
  });
}

// HMGET key field [field ...]
void HmgetCommand(CommandContext& ctx) {
  keyspace::Read<HashValue>(ctx, ctx.argv[1], [&](const HashValue* h) {
    ctx.reply.ArrayHeader(ctx.argv.size() - 2);
    for (std::size_t i = 2; i < ctx.argv.size(); ++i) {
      const auto v = h != nullptr ? h->get(ctx.argv[i]) : std::nullopt;
      if (v) {
        ctx.reply.Bulk(*v);
      } else {
        ctx.reply.Null();
      }
    }
  });
}

// HDEL key field [field ...]
void HdelCommand(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  int64_t removed = 0;
  bool ok = true;
  auto body = [&](Transaction& tx) {
    const HashValue* h = keyspace::TypedObject<HashValue>(ctx, tx, key, &ok);
    if (!ok || h == nullptr) return;
    std::unordered_set<std::string_view> gone;
    for (std::size_t i = 2; i < ctx.argv.size(); ++i) {
      if (h->get(ctx.argv[i]) && gone.insert(ctx.argv[i]).second) ++removed;
    }
    if (removed > 0) tx.apply(key, OpCode::kHashDel, ctx.argv.subspan(2));
  };
  if (!keyspace::Update(ctx, {key}, body) || !ok) return;
  ctx.reply.Integer(removed);
}

// HLEN key
void HlenCommand(CommandContext& ctx) {
  keyspace::Read<HashValue>(ctx, ctx.argv[1], [&](const HashValue* h) {
    ctx.reply.Integer(h != nullptr ? static_cast<int64_t>(h->size()) : 0);
  });
}

// HSTRLEN key field
void HstrlenCommand(CommandContext& ctx) {
  keyspace::Read<HashValue>(ctx, ctx.argv[1], [&](const HashValue* h) {
    const auto v = h != nullptr ? h->get(ctx.argv[2]) : std::nullopt;
    ctx.reply.Integer(v ? static_cast<int64_t>(v->size()) : 0);
  });
}

// HEXISTS key field
void HexistsCommand(CommandContext& ctx) {
  keyspace::Read<HashValue>(ctx, ctx.argv[1], [&](const HashValue* h) {
    ctx.reply.Integer(h != nullptr && h->get(ctx.argv[2]) ? 1 : 0);
  });
}

namespace {

// HKEYS, HVALS and HGETALL: fields, values or both (a map in RESP3).
void HgetallGeneric(CommandContext& ctx, bool fields, bool values) {
  keyspace::Read<HashValue>(ctx, ctx.argv[1], [&](const HashValue* h) {
    const std::size_t n = h != nullptr ? h->size() : 0;
    if (fields && values) {
      ctx.reply.MapHeader(n);
    } else {
      ctx.reply.ArrayHeader(n);
    }
    if (h == nullptr) return;
    h->for_each([&](std::string_view f, std::string_view v) {
      if (fields) ctx.reply.Bulk(f);
      if (values) ctx.reply.Bulk(v);
      return true;
    });
  });
}

}  // namespace

// HKEYS key
void HkeysCommand(CommandContext& ctx) { HgetallGeneric(ctx, true, false); }
// HVALS key
void HvalsCommand(CommandContext& ctx) { HgetallGeneric(ctx, false, true); }
// HGETALL key
void HgetallCommand(CommandContext& ctx) { HgetallGeneric(ctx, true, true); }

// HINCRBY key field increment
void HincrbyCommand(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1], field = ctx.argv[2];
  int64_t by = 0;
  if (!ParseInt64(ctx.argv[3], &by)) return ctx.reply.Error(kNotIntegerError);
  const char* error = nullptr;
  int64_t result = 0;
  bool ok = true;
  auto body = [&](Transaction& tx) {
    const HashValue* h = keyspace::TypedObject<HashValue>(ctx, tx, key, &ok);
    if (!ok) return;
    int64_t cur = 0;
    if (const auto v = h != nullptr ? h->get(field) : std::nullopt; v && !ParseInt64(*v, &cur)) {
      error = "ERR hash value is not an integer";
      return;
    }
    if (__builtin_add_overflow(cur, by, &result)) {
      error = "ERR increment or decrement would overflow";
      return;
    }
    const std::string text = std::to_string(result);
    const std::string_view args[] = {field, text};
    tx.apply(key, OpCode::kHashSet, args);
  };
  if (!keyspace::Update(ctx, {key}, body) || !ok) return;
  if (error != nullptr) return ctx.reply.Error(error);
  ctx.reply.Integer(result);
}

// HINCRBYFLOAT key field increment
void HincrbyfloatCommand(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1], field = ctx.argv[2];
  long double by = 0;
  if (!ParseLongDouble(ctx.argv[3], &by)) return ctx.reply.Error(kNotFloat);
  if (std::isinf(by)) return ctx.reply.Error("ERR value is NaN or Infinity");
  const char* error = nullptr;
  std::string result;
  bool ok = true;
  auto body = [&](Transaction& tx) {
    const HashValue* h = keyspace::TypedObject<HashValue>(ctx, tx, key, &ok);
    if (!ok) return;
    error = IncrementFloatText(h != nullptr ? h->get(field) : std::nullopt, by,
                               "ERR hash value is not a float", &result);
    if (error != nullptr) return;
    const std::string_view args[] = {field, result};
    tx.apply(key, OpCode::kHashSet, args);
  };
  if (!keyspace::Update(ctx, {key}, body) || !ok) return;
  if (error != nullptr) return ctx.reply.Error(error);
  ctx.reply.Bulk(result);
}

// HRANDFIELD key [count [WITHVALUES]]
void HrandfieldCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  if (a.size() == 2) {
    keyspace::Read<HashValue>(ctx, a[1], [&](const HashValue* h) {
      if (h == nullptr) return ctx.reply.Null();
      ctx.reply.Bulk(h->at(RandomIndex(h->size())).first);
    });
    return;
  }
  int64_t count = 0;
  if (!ParseInt64(a[2], &count)) return ctx.reply.Error(kNotIntegerError);
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (count < -kMax) {
    return ctx.reply.Error(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807");
  }
  bool with_values = false;
  if (a.size() > 4 || (a.size() == 4 && !EqualsIgnoreCase(a[3], "WITHVALUES"))) {
    return ctx.reply.Error(kSyntaxError);
  }
  if (a.size() == 4) {
    with_values = true;
    if (count < -kMax / 2 || count > kMax / 2) {
      return ctx.reply.Error("ERR value is out of range");
    }
  }
  keyspace::Read<HashValue>(ctx, a[1], [&](const HashValue* h) {
    if (h == nullptr || count == 0) return ctx.reply.ArrayHeader(0);
    ReplyRandomFields(ctx, *h, count, with_values);
  });
}

// HSCAN key cursor [MATCH pattern] [COUNT count]: every matching pair in one
// step (cursor 0 next), which a SCAN step may do.
void HscanCommand(CommandContext& ctx) {
  ElementScanArgs args;
  if (!ParseElementScanArgs(ctx, &args)) return;
  keyspace::Read<HashValue>(ctx, ctx.argv[1], [&](const HashValue* h) {
    std::vector<Pair> pairs;
    if (h != nullptr) pairs = AllPairs(*h);
    std::erase_if(pairs, [&](const Pair& p) { return !args.Matches(p.first); });
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    ctx.reply.ArrayHeader(pairs.size() * 2);
    for (const auto& [f, v] : pairs) {
      ctx.reply.Bulk(f);
      ctx.reply.Bulk(v);
    }
  });
}

}  // namespace kvstore::server
