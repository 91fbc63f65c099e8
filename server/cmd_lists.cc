// Copyright (c) the kvstore developers.
//
// List commands (Redis 7.0's t_list.c is the model for behaviour): LPUSH,
// RPUSH, LPUSHX, RPUSHX, LINSERT, LLEN, LINDEX, LSET, LPOP, RPOP, LRANGE,
// LTRIM, LREM, LPOS, LMOVE, RPOPLPUSH, LMPOP, and the blocking BLPOP, BRPOP,
// BLMOVE, BRPOPLPUSH, BLMPOP (blocking.h: each is its non-blocking pop as an
// attempt that a blocked client re-runs when a key it waits for is written). Reads go through
// keyspace::Read; every change is one list op (kvstore/types.h) applied in a
// keyspace::Update, with Redis's negative indices resolved here first, so
// the WAL records plain 0-based positions.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "blocking.h"
#include "command_handlers.h"
#include "keyspace.h"
#include "mpop_args.h"
#include "resp_parser.h"
#include "string_util.h"

namespace kvstore::server {

namespace {

constexpr char kSideLeft[] = "L";
constexpr char kSideRight[] = "R";

std::string_view Side(bool left) { return left ? kSideLeft : kSideRight; }

// Redis's getPositiveLongFromObjectOrReply: a 64-bit integer >= 0, else
// "ERR <message>" (Redis's "value is out of range, must be positive" when
// none is given) and false.
bool ParseNonNegative(CommandContext& ctx, std::string_view arg, int64_t* out,
                      std::string_view message = "value is out of range, must be positive") {
  if (!ParseInt64(arg, out)) {
    ctx.reply.Error(kNotIntegerError);
    return false;
  }
  if (*out < 0) {
    ctx.reply.Error("ERR " + std::string(message));
    return false;
  }
  return true;
}

bool ParseIndex(CommandContext& ctx, std::string_view arg, int64_t* out) {
  if (ParseInt64(arg, out)) return true;
  ctx.reply.Error(kNotIntegerError);
  return false;
}

// LEFT or RIGHT (any case), else a syntax error and false.
bool ParseListSide(CommandContext& ctx, std::string_view arg, bool* left) {
  if (EqualsIgnoreCase(arg, "left")) {
    *left = true;
  } else if (EqualsIgnoreCase(arg, "right")) {
    *left = false;
  } else {
    ctx.reply.Error(kSyntaxError);
    return false;
  }
  return true;
}

// The element at Redis index `index` (negative: from the tail), if any.
std::optional<std::size_t> ResolveIndex(int64_t index, std::size_t size) {
  const int64_t n = static_cast<int64_t>(size);
  if (index < 0) index += n;
  if (index < 0 || index >= n) return std::nullopt;
  return static_cast<std::size_t>(index);
}

// Redis's range [start, stop] (negative: from the tail) clamped to the list:
// false when it is empty.
bool ResolveRange(int64_t start, int64_t stop, std::size_t size, std::size_t* first,
                  std::size_t* last) {
  const int64_t n = static_cast<int64_t>(size);
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  if (start < 0) start = 0;
  if (start > stop || start >= n) return false;
  if (stop >= n) stop = n - 1;
  *first = static_cast<std::size_t>(start);
  *last = static_cast<std::size_t>(stop);
  return true;
}

// Up to `count` elements from one end of `list` (nullptr: none), in pop order.
std::vector<std::string> EndElements(const ListValue* list, bool left, std::size_t count) {
  std::vector<std::string> out;
  if (list == nullptr || list->size() == 0 || count == 0) return out;
  count = std::min(count, list->size());
  out.reserve(count);
  list->for_each_from(left ? 0 : list->size() - 1, !left, [&](std::string_view e) {
    out.emplace_back(e);
    return out.size() < count;
  });
  return out;
}

void ApplyPop(Transaction& tx, std::string_view key, bool left, std::size_t count) {
  const std::string n = std::to_string(count);
  const std::string_view args[] = {Side(left), n};
  tx.apply(key, OpCode::kListPop, args);
}

void ApplyPush(Transaction& tx, std::string_view key, bool left,
               std::span<const std::string_view> elements) {
  std::vector<std::string_view> args;
  args.reserve(elements.size() + 1);
  args.push_back(Side(left));
  args.insert(args.end(), elements.begin(), elements.end());
  tx.apply(key, OpCode::kListPush, args);
}

void ReplyElements(CommandContext& ctx, const std::vector<std::string>& elements) {
  ctx.reply.ArrayHeader(elements.size());
  for (const auto& e : elements) ctx.reply.Bulk(e);
}

// LPUSH / RPUSH (create) and LPUSHX / RPUSHX (only an existing list).
void PushGeneric(CommandContext& ctx, bool left, bool only_existing) {
  const std::string_view key = ctx.argv[1];
  int64_t length = 0;
  keyspace::Update(ctx, {key}, [&](Transaction& tx) {
    bool ok = true;
    const ListValue* list = keyspace::TypedObject<ListValue>(ctx, tx, key, &ok);
    if (!ok) return;
    if (list == nullptr && only_existing) return ctx.reply.Integer(0);
    const std::size_t before = list == nullptr ? 0 : list->size();
    ApplyPush(tx, key, left, ctx.argv.subspan(2));
    length = static_cast<int64_t>(before + ctx.argv.size() - 2);
    ctx.reply.Integer(length);
  });
}

// BLPOP's [key, element] or LMPOP's [key, [elements...]].
enum class PopReply { kKeyAndElement, kKeyAndElements };

const std::function<void()> kNothing = [] {};

// Pops from the first of `keys` holding a non-empty list (up to count
// elements for kKeyAndElements, one otherwise) in one update, or calls
// on_empty inside it (blocking.h's BlockedAttempt). A key of another type is
// WRONGTYPE, or when a blocked client retries (skip_wrong_type) passed over.
AttemptResult PopFromLists(CommandContext& ctx, std::span<const std::string_view> keys, bool left,
                           int64_t count, PopReply shape, bool skip_wrong_type,
                           const std::function<void()>& on_empty = kNothing) {
  AttemptResult result = AttemptResult::kEmpty;
  const bool updated = keyspace::Update(ctx, {keys.begin(), keys.end()}, [&](Transaction& tx) {
    for (const std::string_view key : keys) {
      const Type type = tx.type(key);
      if (type == Type::kNone) continue;
      if (type != Type::kList) {
        if (skip_wrong_type) continue;
        ctx.reply.Error(keyspace::kWrongTypeError);
        result = AttemptResult::kError;
        return;
      }
      const auto* list = static_cast<const ListValue*>(tx.object(key));
      const std::vector<std::string> popped =
          EndElements(list, left, shape == PopReply::kKeyAndElements ? count : 1);
      if (popped.empty()) continue;
      ApplyPop(tx, key, left, popped.size());
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(key);
      if (shape == PopReply::kKeyAndElements) {
        ReplyElements(ctx, popped);
      } else {
        ctx.reply.Bulk(popped.front());
      }
      result = AttemptResult::kServed;
      return;
    }
    result = AttemptResult::kEmpty;
    on_empty();
  });
  return updated ? result : AttemptResult::kError;
}

// LMOVE's core: pops one element of src and pushes it onto dst in one update
// (src == dst rotates), replying the element, or calls on_empty inside the
// update. WRONGTYPE for src, or for dst once src has an element; a blocked
// client retrying (skip_wrong_src) passes over a src of another type, but
// not a dst (Redis 7.0 answers it WRONGTYPE then).
AttemptResult MoveBetweenLists(CommandContext& ctx, std::string_view src, std::string_view dst,
                               bool from_left, bool to_left, bool skip_wrong_src,
                               const std::function<void()>& on_empty = kNothing) {
  AttemptResult result = AttemptResult::kEmpty;
  const bool updated = keyspace::Update(ctx, {src, dst}, [&](Transaction& tx) {
    const Type src_type = tx.type(src);
    if (src_type == Type::kNone || (src_type != Type::kList && skip_wrong_src)) {
      on_empty();
      return;
    }
    const Type dst_type = tx.type(dst);
    if (src_type != Type::kList || (dst_type != Type::kNone && dst_type != Type::kList)) {
      ctx.reply.Error(keyspace::kWrongTypeError);
      result = AttemptResult::kError;
      return;
    }
    const auto* list = static_cast<const ListValue*>(tx.object(src));
    const std::vector<std::string> popped = EndElements(list, from_left, 1);
    // Pop, then push: with src == dst this rotates the list.
    ApplyPop(tx, src, from_left, 1);
    const std::string_view element[] = {popped.front()};
    ApplyPush(tx, dst, to_left, element);
    ctx.reply.Bulk(popped.front());
    result = AttemptResult::kServed;
  });
  return updated ? result : AttemptResult::kError;
}

}  // namespace

// ---- commands ----------------------------------------------------------------

void LpushCommand(CommandContext& ctx) { PushGeneric(ctx, true, false); }
void RpushCommand(CommandContext& ctx) { PushGeneric(ctx, false, false); }
void LpushxCommand(CommandContext& ctx) { PushGeneric(ctx, true, true); }
void RpushxCommand(CommandContext& ctx) { PushGeneric(ctx, false, true); }

// LINSERT key BEFORE|AFTER pivot element
void LinsertCommand(CommandContext& ctx) {
  bool before = false;
  if (EqualsIgnoreCase(ctx.argv[2], "before")) {
    before = true;
  } else if (!EqualsIgnoreCase(ctx.argv[2], "after")) {
    return ctx.reply.Error(kSyntaxError);
  }
  const std::string_view key = ctx.argv[1], pivot = ctx.argv[3];
  keyspace::Update(ctx, {key}, [&](Transaction& tx) {
    bool ok = true;
    const ListValue* list = keyspace::TypedObject<ListValue>(ctx, tx, key, &ok);
    if (!ok) return;
    if (list == nullptr) return ctx.reply.Integer(0);
    std::optional<std::size_t> found;
    std::size_t i = 0;
    list->for_each_from(0, false, [&](std::string_view e) {
      if (e == pivot) found = i;
      ++i;
      return !found;
    });
    if (!found) return ctx.reply.Integer(-1);
    const std::size_t size = list->size();
    const std::string index = std::to_string(before ? *found : *found + 1);
    const std::string_view args[] = {index, ctx.argv[4]};
    tx.apply(key, OpCode::kListInsert, args);
    ctx.reply.Integer(static_cast<int64_t>(size + 1));
  });
}

void LlenCommand(CommandContext& ctx) {
  keyspace::Read<ListValue>(ctx, ctx.argv[1], [&](const ListValue* list) {
    ctx.reply.Integer(list == nullptr ? 0 : static_cast<int64_t>(list->size()));
  });
}

void LindexCommand(CommandContext& ctx) {
  keyspace::Read<ListValue>(ctx, ctx.argv[1], [&](const ListValue* list) {
    if (list == nullptr) return ctx.reply.Null();
    int64_t index = 0;
    if (!ParseIndex(ctx, ctx.argv[2], &index)) return;
    const auto at = ResolveIndex(index, list->size());
    if (!at) return ctx.reply.Null();
    ctx.reply.Bulk(list->at(*at));
  });
}

void LsetCommand(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  keyspace::Update(ctx, {key}, [&](Transaction& tx) {
    bool ok = true;
    const ListValue* list = keyspace::TypedObject<ListValue>(ctx, tx, key, &ok);
    if (!ok) return;
    if (list == nullptr) return ctx.reply.Error("ERR no such key");
    int64_t index = 0;
    if (!ParseIndex(ctx, ctx.argv[2], &index)) return;
    const auto at = ResolveIndex(index, list->size());
    if (!at) return ctx.reply.Error("ERR index out of range");
    const std::string pos = std::to_string(*at);
    const std::string_view args[] = {pos, ctx.argv[3]};
    tx.apply(key, OpCode::kListSet, args);
    ctx.reply.Ok();
  });
}

namespace {

// LPOP / RPOP key [count]
void PopGeneric(CommandContext& ctx, bool left) {
  if (ctx.argv.size() > 3) {
    return ctx.reply.Error("ERR wrong number of arguments for '" + AsciiLower(ctx.argv[0]) +
                           "' command");
  }
  const bool has_count = ctx.argv.size() == 3;
  int64_t count = 1;
  if (has_count && !ParseNonNegative(ctx, ctx.argv[2], &count)) return;
  const std::string_view key = ctx.argv[1];
  keyspace::Update(ctx, {key}, [&](Transaction& tx) {
    bool ok = true;
    const ListValue* list = keyspace::TypedObject<ListValue>(ctx, tx, key, &ok);
    if (!ok) return;
    if (list == nullptr) return has_count ? ctx.reply.NullArray() : ctx.reply.Null();
    const std::vector<std::string> popped =
        EndElements(list, left, static_cast<std::size_t>(count));
    if (!popped.empty()) ApplyPop(tx, key, left, popped.size());
    if (has_count) return ReplyElements(ctx, popped);
    ctx.reply.Bulk(popped.front());
  });
}

}  // namespace

void LpopCommand(CommandContext& ctx) { PopGeneric(ctx, true); }
void RpopCommand(CommandContext& ctx) { PopGeneric(ctx, false); }

void LrangeCommand(CommandContext& ctx) {
  int64_t start = 0, stop = 0;
  if (!ParseIndex(ctx, ctx.argv[2], &start) || !ParseIndex(ctx, ctx.argv[3], &stop)) return;
  keyspace::Read<ListValue>(ctx, ctx.argv[1], [&](const ListValue* list) {
    std::size_t first = 0, last = 0;
    if (list == nullptr || !ResolveRange(start, stop, list->size(), &first, &last)) {
      return ctx.reply.ArrayHeader(0);
    }
    ctx.reply.ArrayHeader(last - first + 1);
    std::size_t left = last - first + 1;
    list->for_each_from(first, false, [&](std::string_view e) {
      ctx.reply.Bulk(e);
      // Past client-output-buffer-limit the client is closed: stop walking.
      return --left > 0 && !ctx.reply.over_cap();
    });
  });
}

void LtrimCommand(CommandContext& ctx) {
  int64_t start = 0, stop = 0;
  if (!ParseIndex(ctx, ctx.argv[2], &start) || !ParseIndex(ctx, ctx.argv[3], &stop)) return;
  const std::string_view key = ctx.argv[1];
  keyspace::Update(ctx, {key}, [&](Transaction& tx) {
    bool ok = true;
    const ListValue* list = keyspace::TypedObject<ListValue>(ctx, tx, key, &ok);
    if (!ok) return;
    if (list != nullptr) {
      std::size_t first = 1, last = 0;  // empty unless the range has elements
      ResolveRange(start, stop, list->size(), &first, &last);
      const std::string a = std::to_string(first), b = std::to_string(last);
      const std::string_view args[] = {a, b};
      tx.apply(key, OpCode::kListTrim, args);
    }
    ctx.reply.Ok();
  });
}

void LremCommand(CommandContext& ctx) {
  int64_t count = 0;
  if (!ParseIndex(ctx, ctx.argv[2], &count)) return;
  const std::string_view key = ctx.argv[1], element = ctx.argv[3];
  keyspace::Update(ctx, {key}, [&](Transaction& tx) {
    bool ok = true;
    const ListValue* list = keyspace::TypedObject<ListValue>(ctx, tx, key, &ok);
    if (!ok) return;
    if (list == nullptr) return ctx.reply.Integer(0);
    // How many LREM removes: the matches, up to |count| (0: all of them).
    const uint64_t limit =
        count == 0 ? std::numeric_limits<uint64_t>::max()
                   : (count < 0 ? 0 - static_cast<uint64_t>(count) : static_cast<uint64_t>(count));
    uint64_t matches = 0;
    list->for_each_from(0, false, [&](std::string_view e) {
      if (e == element) ++matches;
      return matches < limit;
    });
    if (matches > 0) {
      const std::string_view args[] = {ctx.argv[2], element};
      tx.apply(key, OpCode::kListRem, args);
    }
    ctx.reply.Integer(static_cast<int64_t>(matches));
  });
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
void LposCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  int64_t rank = 1, count = -1, maxlen = 0;  // count -1: no COUNT option
  for (std::size_t i = 3; i < a.size(); ++i) {
    const bool more = i + 1 < a.size();
    if (EqualsIgnoreCase(a[i], "rank") && more) {
      if (!ParseIndex(ctx, a[++i], &rank)) return;
      if (rank == 0) {
        return ctx.reply.Error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
      }
    } else if (EqualsIgnoreCase(a[i], "count") && more) {
      if (!ParseNonNegative(ctx, a[++i], &count, "COUNT can't be negative")) return;
    } else if (EqualsIgnoreCase(a[i], "maxlen") && more) {
      if (!ParseNonNegative(ctx, a[++i], &maxlen, "MAXLEN can't be negative")) return;
    } else {
      return ctx.reply.Error(kSyntaxError);
    }
  }
  const bool reverse = rank < 0;
  // Redis negates the rank; the lowest int64 stays negative there and so
  // means the first match from the tail.
  const uint64_t skip =
      rank == std::numeric_limits<int64_t>::min()
          ? 0
          : static_cast<uint64_t>(reverse ? -rank : rank) - 1;  // matches passed over
  const std::string_view element = a[2];
  keyspace::Read<ListValue>(ctx, a[1], [&](const ListValue* list) {
    if (list == nullptr) return count != -1 ? ctx.reply.ArrayHeader(0) : ctx.reply.Null();
    const std::size_t size = list->size();
    std::vector<int64_t> found;
    const uint64_t wanted = count == -1  ? 1
                            : count == 0 ? std::numeric_limits<uint64_t>::max()
                                         : static_cast<uint64_t>(count);
    uint64_t matches = 0, seen = 0;
    list->for_each_from(reverse ? size - 1 : 0, reverse, [&](std::string_view e) {
      if (maxlen != 0 && seen >= static_cast<uint64_t>(maxlen)) return false;
      const uint64_t index = seen++;
      if (e == element && matches++ >= skip) {
        found.push_back(static_cast<int64_t>(reverse ? size - 1 - index : index));
        if (found.size() >= wanted) return false;
      }
      return true;
    });
    if (count == -1) {
      if (found.empty()) return ctx.reply.Null();
      return ctx.reply.Integer(found.front());
    }
    ctx.reply.ArrayHeader(found.size());
    for (const int64_t i : found) ctx.reply.Integer(i);
  });
}

// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
void LmoveCommand(CommandContext& ctx) {
  bool from_left = false, to_left = false;
  if (!ParseListSide(ctx, ctx.argv[3], &from_left) || !ParseListSide(ctx, ctx.argv[4], &to_left)) {
    return;
  }
  if (MoveBetweenLists(ctx, ctx.argv[1], ctx.argv[2], from_left, to_left, false) ==
      AttemptResult::kEmpty) {
    ctx.reply.Null();
  }
}

// RPOPLPUSH source destination (LMOVE source destination RIGHT LEFT)
void RpoplpushCommand(CommandContext& ctx) {
  if (MoveBetweenLists(ctx, ctx.argv[1], ctx.argv[2], false, true, false) ==
      AttemptResult::kEmpty) {
    ctx.reply.Null();
  }
}

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
void LmpopCommand(CommandContext& ctx) {
  MpopArgs args;
  if (!ParseMpopArgs(ctx, 1, "left", "right", &args)) return;
  if (PopFromLists(ctx, args.keys, !args.second_end, args.count, PopReply::kKeyAndElements,
                   false) == AttemptResult::kEmpty) {
    ctx.reply.NullArray();
  }
}

}  // namespace kvstore::server

// ---- blocking commands (blocking.h) -------------------------------------------

namespace kvstore::server {

namespace {

void ReplyNullArray(ReplyWriter& reply) { reply.NullArray(); }
void ReplyNull(ReplyWriter& reply) { reply.Null(); }

// BLPOP / BRPOP key [key ...] timeout, and BLMPOP's keys: pops as
// PopFromLists, blocking while every list is empty.
void BlockingPop(CommandContext& ctx, std::span<const std::string_view> keys, bool left,
                 int64_t count, PopReply shape, int64_t timeout_ms) {
  BlockedAttempt attempt = [owned = std::vector<std::string>(keys.begin(), keys.end()), left, count,
                            shape](CommandContext& c, const std::string* ready,
                                   const std::function<void()>& on_empty) {
    // A blocked client is served from the key that became ready.
    const std::vector<std::string_view> views =
        ready != nullptr ? std::vector<std::string_view>{*ready}
                         : std::vector<std::string_view>(owned.begin(), owned.end());
    return PopFromLists(c, views, left, count, shape, ready != nullptr, on_empty);
  };
  BlockOrServe(ctx, keys, timeout_ms, std::move(attempt), ReplyNullArray, ReplyNullArray);
}

void BlockingPopCommand(CommandContext& ctx, bool left) {
  int64_t timeout_ms = 0;
  if (!ParseBlockTimeout(ctx, ctx.argv.back(), &timeout_ms)) return;
  BlockingPop(ctx, ctx.argv.subspan(1, ctx.argv.size() - 2), left, 1, PopReply::kKeyAndElement,
              timeout_ms);
}

// BLMOVE / BRPOPLPUSH: LMOVE, blocking while the source is empty. Inside
// MULTI or a script an empty source answers nil, as LMOVE does.
void BlockingMove(CommandContext& ctx, bool from_left, bool to_left, std::string_view timeout) {
  int64_t timeout_ms = 0;
  if (!ParseBlockTimeout(ctx, timeout, &timeout_ms)) return;
  BlockedAttempt attempt = [src = std::string(ctx.argv[1]), dst = std::string(ctx.argv[2]),
                            from_left, to_left](CommandContext& c, const std::string* ready,
                                                const std::function<void()>& on_empty) {
    return MoveBetweenLists(c, src, dst, from_left, to_left, ready != nullptr, on_empty);
  };
  BlockOrServe(ctx, ctx.argv.subspan(1, 1), timeout_ms, std::move(attempt), ReplyNull,
               ReplyNullArray);
}

}  // namespace

void BlpopCommand(CommandContext& ctx) { BlockingPopCommand(ctx, true); }
void BrpopCommand(CommandContext& ctx) { BlockingPopCommand(ctx, false); }

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
void BlmoveCommand(CommandContext& ctx) {
  bool from_left = false, to_left = false;
  if (!ParseListSide(ctx, ctx.argv[3], &from_left) || !ParseListSide(ctx, ctx.argv[4], &to_left)) {
    return;
  }
  BlockingMove(ctx, from_left, to_left, ctx.argv[5]);
}

// BRPOPLPUSH source destination timeout
void BrpoplpushCommand(CommandContext& ctx) { BlockingMove(ctx, false, true, ctx.argv[3]); }

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
void BlmpopCommand(CommandContext& ctx) {
  MpopArgs args;
  if (!ParseMpopArgs(ctx, 2, "left", "right", &args)) return;
  int64_t timeout_ms = 0;
  if (!ParseBlockTimeout(ctx, ctx.argv[1], &timeout_ms)) return;
  BlockingPop(ctx, args.keys, !args.second_end, args.count, PopReply::kKeyAndElements, timeout_ms);
}

}  // namespace kvstore::server
