// Copyright (c) the kvstore developers.
//
// Set commands (Redis's t_set.c): SADD, SREM, SMEMBERS, SISMEMBER,
// SMISMEMBER, SCARD, SPOP, SRANDMEMBER, SMOVE, SINTER, SINTERCARD, SUNION,
// SDIFF, their *STORE forms and SSCAN. Single-key reads go through
// keyspace::Read; reads of several keys and every write run in one
// keyspace::Update, so that a reply never mixes two states. Every change is a
// kSetAdd or kSetRem op (types.h); SPOP logs the SREM of the members it
// chose, and a *STORE removes its destination and adds the result's members.
// Reply and error texts are Redis 7.0's, checked against redis-server 7.0.

#include <algorithm>
#include <limits>
#include <string>
#include <unordered_set>
#include <vector>

#include "command_handlers.h"
#include "keyspace.h"
#include "random_pick.h"
#include "resp_parser.h"
#include "scan_args.h"
#include "string_util.h"

namespace kvstore::server {

namespace {

constexpr char kMustBePositive[] = "ERR value is out of range, must be positive";
constexpr char kCountOutOfRange[] =
    "ERR value is out of range, value must between -9223372036854775807 and "
    "9223372036854775807";

// Copies of every member of s. (An intset's views may share a scratch
// buffer, so they are copied as they come.)
std::vector<std::string> Members(const SetValue& s) {
  std::vector<std::string> out;
  out.reserve(s.size());
  s.for_each([&](std::string_view m) {
    out.emplace_back(m);
    return true;
  });
  return out;
}

void ReplyMembers(CommandContext& ctx, const std::vector<std::string>& members) {
  ctx.reply.SetHeader(members.size());
  for (const auto& m : members) ctx.reply.Bulk(m);
}

// The sets at `keys` inside tx (nullptr for an absent key). A key of another
// type is answered WRONGTYPE and false returned.
bool LoadSets(CommandContext& ctx, Transaction& tx, std::span<const std::string_view> keys,
              std::vector<const SetValue*>* sets) {
  sets->clear();
  for (const std::string_view k : keys) {
    bool ok = true;
    sets->push_back(keyspace::TypedObject<SetValue>(ctx, tx, k, &ok));
    if (!ok) return false;
  }
  return true;
}

enum class SetOp { kInter, kUnion, kDiff };

// The members of the intersection, union or difference (the first set less
// the others) of sets; an absent set is empty. For an intersection, stops
// after `limit` members (0: no limit).
std::vector<std::string> Combine(std::vector<const SetValue*> sets, SetOp op,
                                 std::size_t limit = 0) {
  std::vector<std::string> out;
  switch (op) {
    case SetOp::kInter: {
      if (std::find(sets.begin(), sets.end(), nullptr) != sets.end()) return out;
      // The smallest first: each of its members is looked up in the others.
      std::sort(sets.begin(), sets.end(),
                [](const SetValue* x, const SetValue* y) { return x->size() < y->size(); });
      sets.front()->for_each([&](std::string_view m) {
        for (std::size_t i = 1; i < sets.size(); ++i) {
          if (!sets[i]->contains(m)) return true;
        }
        out.emplace_back(m);
        return limit == 0 || out.size() < limit;
      });
      break;
    }
    case SetOp::kUnion: {
      std::unordered_set<std::string> seen;
      for (const SetValue* s : sets) {
        if (s == nullptr) continue;
        s->for_each([&](std::string_view m) {
          if (seen.emplace(m).second) out.emplace_back(m);
          return true;
        });
      }
      break;
    }
    case SetOp::kDiff: {
      if (sets.front() == nullptr) return out;
      sets.front()->for_each([&](std::string_view m) {
        for (std::size_t i = 1; i < sets.size(); ++i) {
          if (sets[i] != nullptr && sets[i]->contains(m)) return true;
        }
        out.emplace_back(m);
        return true;
      });
      break;
    }
  }
  return out;
}

// SINTER, SUNION, SDIFF (dst empty) and their *STORE forms: the keys are
// argv[first..]; with a destination, replaces it by the result (removes it
// when the result is empty) and answers the result's size.
void CombineGeneric(CommandContext& ctx, SetOp op, bool store) {
  const std::size_t first = store ? 2 : 1;
  const std::string_view dst = store ? ctx.argv[1] : std::string_view();
  const auto keys = ctx.argv.subspan(first);
  std::vector<std::string_view> declared(keys.begin(), keys.end());
  if (store) declared.push_back(dst);
  std::vector<std::string> result;
  bool ok = true;
  auto body = [&](Transaction& tx) {
    std::vector<const SetValue*> sets;
    ok = LoadSets(ctx, tx, keys, &sets);
    if (!ok) return;
    result = Combine(std::move(sets), op);  // copies: dst may be a source
    if (!store) return;
    if (tx.type(dst) != Type::kNone) tx.remove(dst);
    if (result.empty()) return;
    std::vector<std::string_view> args(result.begin(), result.end());
    tx.apply(dst, OpCode::kSetAdd, args);
  };
  if (!keyspace::Update(ctx, std::move(declared), body) || !ok) return;
  if (store) return ctx.reply.Integer(static_cast<int64_t>(result.size()));
  ReplyMembers(ctx, result);
}

}  // namespace

// SADD key member [member ...]
void SaddCommand(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  int64_t added = 0;
  bool ok = true;
  auto body = [&](Transaction& tx) {
    const SetValue* s = keyspace::TypedObject<SetValue>(ctx, tx, key, &ok);
    if (!ok) return;
    std::unordered_set<std::string_view> fresh;
    for (std::size_t i = 2; i < ctx.argv.size(); ++i) {
      if ((s == nullptr || !s->contains(ctx.argv[i])) && fresh.insert(ctx.argv[i]).second) {
        ++added;
      }
    }
    if (added > 0) tx.apply(key, OpCode::kSetAdd, ctx.argv.subspan(2));
  };
  if (!keyspace::Update(ctx, {key}, body) || !ok) return;
  ctx.reply.Integer(added);
}

// SREM key member [member ...]
void SremCommand(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  int64_t removed = 0;
  bool ok = true;
  auto body = [&](Transaction& tx) {
    const SetValue* s = keyspace::TypedObject<SetValue>(ctx, tx, key, &ok);
    if (!ok || s == nullptr) return;
    std::unordered_set<std::string_view> gone;
    for (std::size_t i = 2; i < ctx.argv.size(); ++i) {
      if (s->contains(ctx.argv[i]) && gone.insert(ctx.argv[i]).second) ++removed;
    }
    if (removed > 0) tx.apply(key, OpCode::kSetRem, ctx.argv.subspan(2));
  };
  if (!keyspace::Update(ctx, {key}, body) || !ok) return;
  ctx.reply.Integer(removed);
}

// SMEMBERS key
void SmembersCommand(CommandContext& ctx) {
  keyspace::Read<SetValue>(ctx, ctx.argv[1], [&](const SetValue* s) {
    ctx.reply.SetHeader(s != nullptr ? s->size() : 0);
    if (s == nullptr) return;
    s->for_each([&](std::string_view m) {
      ctx.reply.Bulk(m);
      return true;
    });
  });
}

// SISMEMBER key member
void SismemberCommand(CommandContext& ctx) {
  keyspace::Read<SetValue>(ctx, ctx.argv[1], [&](const SetValue* s) {
    ctx.reply.Integer(s != nullptr && s->contains(ctx.argv[2]) ? 1 : 0);
  });
}

// SMISMEMBER key member [member ...]
void SmismemberCommand(CommandContext& ctx) {
  keyspace::Read<SetValue>(ctx, ctx.argv[1], [&](const SetValue* s) {
    ctx.reply.ArrayHeader(ctx.argv.size() - 2);
    for (std::size_t i = 2; i < ctx.argv.size(); ++i) {
      ctx.reply.Integer(s != nullptr && s->contains(ctx.argv[i]) ? 1 : 0);
    }
  });
}

// SCARD key
void ScardCommand(CommandContext& ctx) {
  keyspace::Read<SetValue>(ctx, ctx.argv[1], [&](const SetValue* s) {
    ctx.reply.Integer(s != nullptr ? static_cast<int64_t>(s->size()) : 0);
  });
}

// SPOP key [count]
void SpopCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  if (a.size() > 3) return ctx.reply.Error(kSyntaxError);
  const std::string_view key = a[1];
  const bool with_count = a.size() == 3;
  int64_t count = 1;
  if (with_count && (!ParseInt64(a[2], &count) || count < 0)) {
    return ctx.reply.Error(kMustBePositive);
  }
  std::vector<std::string> popped;
  bool ok = true;
  auto body = [&](Transaction& tx) {
    const SetValue* s = keyspace::TypedObject<SetValue>(ctx, tx, key, &ok);
    if (!ok || s == nullptr || count == 0) return;
    if (static_cast<uint64_t>(count) >= s->size()) {
      popped = Members(*s);
      tx.remove(key);
      return;
    }
    for (const std::size_t i : RandomDistinctIndexes(s->size(), static_cast<std::size_t>(count))) {
      popped.emplace_back(s->at(i));  // copied: at() may reuse a buffer
    }
    std::vector<std::string_view> args(popped.begin(), popped.end());
    tx.apply(key, OpCode::kSetRem, args);
  };
  if (!keyspace::Update(ctx, {key}, body) || !ok) return;
  if (with_count) return ReplyMembers(ctx, popped);
  if (popped.empty()) return ctx.reply.Null();
  ctx.reply.Bulk(popped.front());
}

// SRANDMEMBER key [count]: count > 0 distinct members (at most all), count <
// 0 that many with repeats.
void SrandmemberCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  if (a.size() > 3) return ctx.reply.Error(kSyntaxError);
  if (a.size() == 2) {
    keyspace::Read<SetValue>(ctx, a[1], [&](const SetValue* s) {
      if (s == nullptr) return ctx.reply.Null();
      ctx.reply.Bulk(s->at(RandomIndex(s->size())));
    });
    return;
  }
  int64_t count = 0;
  if (!ParseInt64(a[2], &count)) return ctx.reply.Error(kNotIntegerError);
  if (count == std::numeric_limits<int64_t>::min()) return ctx.reply.Error(kCountOutOfRange);
  keyspace::Read<SetValue>(ctx, a[1], [&](const SetValue* s) {
    if (s == nullptr || count == 0) return ctx.reply.ArrayHeader(0);
    if (count < 0) {
      ctx.reply.ArrayHeader(static_cast<std::size_t>(-count));
      for (int64_t j = 0; j < -count && !ctx.reply.over_cap(); ++j) {
        ctx.reply.Bulk(s->at(RandomIndex(s->size())));
      }
      return;
    }
    const std::size_t n = std::min(static_cast<std::size_t>(count), s->size());
    ctx.reply.ArrayHeader(n);
    for (const std::size_t i : RandomDistinctIndexes(s->size(), n)) ctx.reply.Bulk(s->at(i));
  });
}

// SMOVE source destination member
void SmoveCommand(CommandContext& ctx) {
  const std::string_view src = ctx.argv[1], dst = ctx.argv[2], member = ctx.argv[3];
  bool ok = true, moved = false;
  auto body = [&](Transaction& tx) {
    const Type src_type = tx.type(src), dst_type = tx.type(dst);
    if (src_type == Type::kNone) return;  // before any type check, as Redis
    if (src_type != Type::kSet || (dst_type != Type::kNone && dst_type != Type::kSet)) {
      ok = false;
      return ctx.reply.Error(keyspace::kWrongTypeError);
    }
    const auto* s = static_cast<const SetValue*>(tx.object(src));
    if (!s->contains(member)) return;
    moved = true;
    if (src == dst) return;
    // Read before the first write. A destination that holds the member
    // already is left unwritten (its WATCHers undisturbed), as in Redis.
    const auto* d = static_cast<const SetValue*>(tx.object(dst));
    const bool add = d == nullptr || !d->contains(member);
    const std::string_view args[] = {member};
    tx.apply(src, OpCode::kSetRem, args);
    if (add) tx.apply(dst, OpCode::kSetAdd, args);
  };
  if (!keyspace::Update(ctx, {src, dst}, body) || !ok) return;
  ctx.reply.Integer(moved ? 1 : 0);
}

// SINTER key [key ...]
void SinterCommand(CommandContext& ctx) { CombineGeneric(ctx, SetOp::kInter, false); }
// SUNION key [key ...]
void SunionCommand(CommandContext& ctx) { CombineGeneric(ctx, SetOp::kUnion, false); }
// SDIFF key [key ...]
void SdiffCommand(CommandContext& ctx) { CombineGeneric(ctx, SetOp::kDiff, false); }
// SINTERSTORE destination key [key ...]
void SinterstoreCommand(CommandContext& ctx) { CombineGeneric(ctx, SetOp::kInter, true); }
// SUNIONSTORE destination key [key ...]
void SunionstoreCommand(CommandContext& ctx) { CombineGeneric(ctx, SetOp::kUnion, true); }
// SDIFFSTORE destination key [key ...]
void SdiffstoreCommand(CommandContext& ctx) { CombineGeneric(ctx, SetOp::kDiff, true); }

// SINTERCARD numkeys key [key ...] [LIMIT limit]
void SintercardCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  int64_t numkeys = 0;
  if (!ParseInt64(a[1], &numkeys) || numkeys < 1) {
    return ctx.reply.Error("ERR numkeys should be greater than 0");
  }
  if (static_cast<uint64_t>(numkeys) > a.size() - 2) {
    return ctx.reply.Error("ERR Number of keys can't be greater than number of args");
  }
  const std::size_t end = 2 + static_cast<std::size_t>(numkeys);
  int64_t limit = 0;
  for (std::size_t i = end; i < a.size(); ++i) {
    if (EqualsIgnoreCase(a[i], "LIMIT") && i + 1 < a.size()) {
      if (!ParseInt64(a[i + 1], &limit) || limit < 0) {
        return ctx.reply.Error("ERR LIMIT can't be negative");
      }
      ++i;
    } else {
      return ctx.reply.Error(kSyntaxError);
    }
  }
  const auto keys = a.subspan(2, static_cast<std::size_t>(numkeys));
  std::size_t card = 0;
  bool ok = true;
  auto body = [&](Transaction& tx) {
    std::vector<const SetValue*> sets;
    ok = LoadSets(ctx, tx, keys, &sets);
    if (ok) card = Combine(std::move(sets), SetOp::kInter, static_cast<std::size_t>(limit)).size();
  };
  if (!keyspace::Update(ctx, {keys.begin(), keys.end()}, body) || !ok) return;
  ctx.reply.Integer(static_cast<int64_t>(card));
}

// SSCAN key cursor [MATCH pattern] [COUNT count]: every matching member in
// one step (cursor 0 next), which a SCAN step may do.
void SscanCommand(CommandContext& ctx) {
  ElementScanArgs args;
  if (!ParseElementScanArgs(ctx, &args)) return;
  keyspace::Read<SetValue>(ctx, ctx.argv[1], [&](const SetValue* s) {
    std::vector<std::string> members;
    if (s != nullptr) members = Members(*s);
    std::erase_if(members, [&](const std::string& m) { return !args.Matches(m); });
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    ctx.reply.ArrayHeader(members.size());
    for (const auto& m : members) ctx.reply.Bulk(m);
  });
}

}  // namespace kvstore::server
