// Copyright (c) the kvstore developers.
//
// String commands (Redis's t_string.c): GET, SET and its variants (SETEX,
// PSETEX, GETEX and SET's expiry options, with times parsed by
// expire_args.h), MGET,
// MSET, APPEND, STRLEN, GETRANGE (and its old name SUBSTR, the same
// handler), SETRANGE, INCR/DECR and friends, LCS. Commands that change a
// value in place (APPEND, SETRANGE, INCR...) keep the key's TTL; those that
// replace it (SET without KEEPTTL, GETSET, MSET) clear it, as Redis's do. Reply and
// error texts are Redis 7's, checked against redis-server 7.0 with redis-cli.
// Writes go through keyspace.h.

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "bitops.h"
#include "command_handlers.h"
#include "expire_args.h"
#include "keyspace.h"
#include "resp_parser.h"
#include "string_util.h"

namespace kvstore::server {

using keyspace::Store;

namespace {

constexpr char kNotFloat[] = "ERR value is not a valid float";
constexpr char kTooBig[] = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

std::string Copy(std::optional<std::string_view> v) { return v ? std::string(*v) : std::string(); }

std::vector<std::string_view> KeysOfPairs(std::span<const std::string_view> argv) {
  std::vector<std::string_view> keys;
  for (std::size_t i = 1; i < argv.size(); i += 2) keys.push_back(argv[i]);
  return keys;
}

// MSET and MSETNX: all pairs in one update, so a crash or a reader sees all
// of them or none.
void MsetGeneric(CommandContext& ctx, bool nx) {
  if (ctx.argv.size() % 2 == 0) return ReplyArity(ctx, *LookupCommand(nx ? "msetnx" : "mset"));
  bool written = false;
  if (!keyspace::Update(ctx, KeysOfPairs(ctx.argv), [&](Transaction& tx) {
        if (nx) {
          for (std::size_t i = 1; i < ctx.argv.size(); i += 2) {
            if (tx.get(ctx.argv[i])) return;
          }
        }
        for (std::size_t i = 1; i < ctx.argv.size(); i += 2) tx.set(ctx.argv[i], ctx.argv[i + 1]);
        written = true;
      })) {
    return;
  }
  if (nx) return ctx.reply.Integer(written ? 1 : 0);
  ctx.reply.Ok();
}

// INCR, DECR, INCRBY, DECRBY: the stored value must be a canonical int64.
void IncrGeneric(CommandContext& ctx, int64_t by) {
  const std::string_view key = ctx.argv[1];
  const char* error = nullptr;
  int64_t result = 0;
  if (!keyspace::Update(ctx, {key}, [&](Transaction& tx) {
        int64_t cur = 0;
        if (auto v = tx.get(key); v && !ParseInt64(*v, &cur)) {
          error = kNotIntegerError;
          return;
        }
        if ((by < 0 && cur < 0 && by < std::numeric_limits<int64_t>::min() - cur) ||
            (by > 0 && cur > 0 && by > std::numeric_limits<int64_t>::max() - cur)) {
          error = "ERR increment or decrement would overflow";
          return;
        }
        result = cur + by;
        tx.set(key, std::to_string(result), tx.expire_time(key));
      })) {
    return;
  }
  if (error != nullptr) return ctx.reply.Error(error);
  ctx.reply.Integer(result);
}

// Redis 7's setGenericCommand, for SET, SETEX and PSETEX: the time is
// checked first, then GET reads the old value, NX/XX decide, and the value
// is written with the new deadline, the key's current one (KEEPTTL) or none.
void SetGeneric(CommandContext& ctx, std::string_view key, std::string_view value,
                const expire_args::StringOptions& o) {
  int64_t deadline = kNoExpiry;
  if (o.has_time) {
    const auto e =
        expire_args::ParseSetTime(o.time, o.unit, o.base, keyspace::NowMs(ctx), &deadline);
    if (e != expire_args::TimeError::kNone) {
      return ReplyExpireTimeError(ctx, e == expire_args::TimeError::kNotInteger);
    }
  }
  if (!o.nx && !o.xx && !o.get && !o.keepttl && !o.has_time) {
    if (keyspace::Set(ctx, key, value)) ctx.reply.Ok();
    return;
  }
  std::optional<std::string> old;
  bool written = false;
  bool wrong_type = false;
  if (!keyspace::Update(ctx, {key}, [&](Transaction& tx) {
        // GET reads the old value as GET would: another type is WRONGTYPE,
        // and nothing is written.
        const Type type = tx.type(key);
        if (o.get && type != Type::kNone && type != Type::kString) {
          wrong_type = true;
          return;
        }
        auto v = tx.get(key);
        if (v) old = std::string(*v);
        if ((o.nx && v) || (o.xx && !v)) return;
        tx.set(key, value, o.keepttl ? tx.expire_time(key) : deadline);
        written = true;
      })) {
    return;
  }
  if (wrong_type) return ctx.reply.Error(keyspace::kWrongTypeError);
  if (o.get) {
    if (old) return ctx.reply.Bulk(*old);
    return ctx.reply.Null();
  }
  if (written) return ctx.reply.Ok();
  ctx.reply.Null();
}

expire_args::StringOptions TimeOption(std::string_view time, expire_args::Unit unit) {
  expire_args::StringOptions o;
  o.has_time = true;
  o.unit = unit;
  o.time = time;
  return o;
}

}  // namespace

void GetCommand(CommandContext& ctx) {
  auto v = keyspace::Get(ctx, ctx.argv[1]);
  if (v) {
    ctx.reply.Bulk(*v);
  } else {
    ctx.reply.Null();
  }
}

// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ts|KEEPTTL]
void SetCommand(CommandContext& ctx) {
  expire_args::StringOptions o;
  if (!expire_args::ParseStringOptions(ctx.argv.subspan(3), expire_args::Command::kSet, &o)) {
    return ctx.reply.Error(kSyntaxError);
  }
  SetGeneric(ctx, ctx.argv[1], ctx.argv[2], o);
}

// SETEX key seconds value, PSETEX key milliseconds value: SET with EX or PX.
void SetexCommand(CommandContext& ctx) {
  SetGeneric(ctx, ctx.argv[1], ctx.argv[3], TimeOption(ctx.argv[2], expire_args::Unit::kSeconds));
}

void PsetexCommand(CommandContext& ctx) {
  SetGeneric(ctx, ctx.argv[1], ctx.argv[3],
             TimeOption(ctx.argv[2], expire_args::Unit::kMilliseconds));
}

// GETEX key [EX s|PX ms|EXAT ts|PXAT ts|PERSIST]: the value, and the new
// deadline (or none with PERSIST). As in Redis, an absent key answers nil
// before its time is checked, and a deadline in the past removes the key.
void GetexCommand(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  expire_args::StringOptions o;
  if (!expire_args::ParseStringOptions(ctx.argv.subspan(2), expire_args::Command::kGetex, &o)) {
    return ctx.reply.Error(kSyntaxError);
  }
  if (!o.has_time && !o.persist) return GetCommand(ctx);
  std::optional<std::string> value;
  auto error = expire_args::TimeError::kNone;
  if (!keyspace::Update(ctx, {key}, [&](Transaction& tx) {
        auto v = tx.get(key);
        if (!v) return;
        value = std::string(*v);
        if (o.persist) return tx.persist(key);
        int64_t deadline = 0;
        error = expire_args::ParseSetTime(o.time, o.unit, o.base, tx.now_ms(), &deadline);
        if (error == expire_args::TimeError::kNone) tx.expire_at(key, deadline);
      })) {
    return;
  }
  if (!value) return ctx.reply.Null();
  if (error != expire_args::TimeError::kNone) {
    return ReplyExpireTimeError(ctx, error == expire_args::TimeError::kNotInteger);
  }
  ctx.reply.Bulk(*value);
}

void SetnxCommand(CommandContext& ctx) {
  bool written = false;
  if (!keyspace::Update(ctx, {ctx.argv[1]}, [&](Transaction& tx) {
        if (tx.get(ctx.argv[1])) return;
        tx.set(ctx.argv[1], ctx.argv[2]);
        written = true;
      })) {
    return;
  }
  ctx.reply.Integer(written ? 1 : 0);
}

void GetsetCommand(CommandContext& ctx) {
  std::optional<std::string> old;
  if (!keyspace::Update(ctx, {ctx.argv[1]}, [&](Transaction& tx) {
        if (auto v = tx.get(ctx.argv[1])) old = std::string(*v);
        tx.set(ctx.argv[1], ctx.argv[2]);
      })) {
    return;
  }
  if (old) return ctx.reply.Bulk(*old);
  ctx.reply.Null();
}

void GetdelCommand(CommandContext& ctx) {
  std::optional<std::string> removed;
  if (!keyspace::Remove(ctx, ctx.argv[1], &removed)) return;
  if (removed) return ctx.reply.Bulk(*removed);
  ctx.reply.Null();
}

void MgetCommand(CommandContext& ctx) {
  const auto values = keyspace::GetMany(ctx, ctx.argv.subspan(1));
  ctx.reply.ArrayHeader(values.size());
  for (const auto& v : values) {
    if (v) {
      ctx.reply.Bulk(*v);
    } else {
      ctx.reply.Null();
    }
  }
}

void MsetCommand(CommandContext& ctx) { MsetGeneric(ctx, false); }
void MsetnxCommand(CommandContext& ctx) { MsetGeneric(ctx, true); }

void AppendCommand(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1], add = ctx.argv[2];
  std::size_t len = 0;
  bool too_big = false;
  if (!keyspace::Update(ctx, {key}, [&](Transaction& tx) {
        std::string v = Copy(tx.get(key));
        if (v.size() + add.size() > ctx.server.proto_max_bulk_len.load(std::memory_order_relaxed)) {
          too_big = true;
          return;
        }
        v.append(add);
        len = v.size();
        tx.set(key, v, tx.expire_time(key));
      })) {
    return;
  }
  if (too_big) return ctx.reply.Error(kTooBig);
  ctx.reply.Integer(static_cast<int64_t>(len));
}

void StrlenCommand(CommandContext& ctx) {
  auto v = keyspace::Get(ctx, ctx.argv[1]);
  ctx.reply.Integer(v ? static_cast<int64_t>(v->size()) : 0);
}

void GetrangeCommand(CommandContext& ctx) {
  int64_t start = 0, end = 0;
  if (!ParseInt64(ctx.argv[2], &start) || !ParseInt64(ctx.argv[3], &end)) {
    return ctx.reply.Error(kNotIntegerError);
  }
  auto v = keyspace::Get(ctx, ctx.argv[1]);
  const int64_t len = v ? static_cast<int64_t>(v->size()) : 0;
  // Redis 7's index rules (t_string.c getrangeCommand).
  if (start < 0 && end < 0 && start > end) return ctx.reply.Bulk("");
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) return ctx.reply.Bulk("");
  ctx.reply.Bulk(std::string_view(*v).substr(static_cast<std::size_t>(start),
                                             static_cast<std::size_t>(end - start + 1)));
}

void SetrangeCommand(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1], patch = ctx.argv[3];
  int64_t offset = 0;
  if (!ParseInt64(ctx.argv[2], &offset)) return ctx.reply.Error(kNotIntegerError);
  if (offset < 0) return ctx.reply.Error("ERR offset is out of range");
  if (!patch.empty() && static_cast<uint64_t>(offset) + patch.size() >
                            ctx.server.proto_max_bulk_len.load(std::memory_order_relaxed)) {
    return ctx.reply.Error(kTooBig);
  }
  std::size_t len = 0;
  if (!keyspace::Update(ctx, {key}, [&](Transaction& tx) {
        auto cur = tx.get(key);
        // An empty patch changes nothing, and does not create the key.
        if (patch.empty()) {
          len = cur ? cur->size() : 0;
          return;
        }
        std::string v = Copy(cur);
        const std::size_t off = static_cast<std::size_t>(offset);
        if (v.size() < off + patch.size()) v.resize(off + patch.size(), '\0');
        v.replace(off, patch.size(), patch);
        len = v.size();
        tx.set(key, v, tx.expire_time(key));
      })) {
    return;
  }
  ctx.reply.Integer(static_cast<int64_t>(len));
}

void IncrCommand(CommandContext& ctx) { IncrGeneric(ctx, 1); }
void DecrCommand(CommandContext& ctx) { IncrGeneric(ctx, -1); }

void IncrbyCommand(CommandContext& ctx) {
  int64_t by = 0;
  if (!ParseInt64(ctx.argv[2], &by)) return ctx.reply.Error(kNotIntegerError);
  IncrGeneric(ctx, by);
}

void DecrbyCommand(CommandContext& ctx) {
  int64_t by = 0;
  if (!ParseInt64(ctx.argv[2], &by)) return ctx.reply.Error(kNotIntegerError);
  if (by == std::numeric_limits<int64_t>::min()) {
    return ctx.reply.Error("ERR decrement would overflow");
  }
  IncrGeneric(ctx, -by);
}

void IncrbyfloatCommand(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  long double by = 0;
  if (!ParseLongDouble(ctx.argv[2], &by)) return ctx.reply.Error(kNotFloat);
  const char* error = nullptr;
  std::string result;
  if (!keyspace::Update(ctx, {key}, [&](Transaction& tx) {
        const auto cur = tx.get(key);
        error = IncrementFloatText(cur ? std::optional<std::string_view>(*cur) : std::nullopt, by,
                                   kNotFloat, &result);
        if (error != nullptr) return;
        tx.set(key, result, tx.expire_time(key));
      })) {
    return;
  }
  if (error != nullptr) return ctx.reply.Error(error);
  ctx.reply.Bulk(result);
}

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
void LcsCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  const std::string x = keyspace::Get(ctx, a[1]).value_or(std::string());
  const std::string y = keyspace::Get(ctx, a[2]).value_or(std::string());
  bool len = false, idx = false, with_match_len = false;
  int64_t min_match_len = 0;
  for (std::size_t j = 3; j < a.size(); ++j) {
    if (EqualsIgnoreCase(a[j], "IDX")) {
      idx = true;
    } else if (EqualsIgnoreCase(a[j], "LEN")) {
      len = true;
    } else if (EqualsIgnoreCase(a[j], "WITHMATCHLEN")) {
      with_match_len = true;
    } else if (EqualsIgnoreCase(a[j], "MINMATCHLEN") && j + 1 < a.size()) {
      if (!ParseInt64(a[++j], &min_match_len)) return ctx.reply.Error(kNotIntegerError);
      if (min_match_len < 0) min_match_len = 0;
    } else {
      return ctx.reply.Error(kSyntaxError);
    }
  }
  if (idx && len) {
    return ctx.reply.Error("ERR If you want both the length and indexes, please just use IDX.");
  }
  constexpr std::size_t kMaxLcsInput = std::numeric_limits<uint32_t>::max() - 1;
  if (x.size() >= kMaxLcsInput || y.size() >= kMaxLcsInput) {
    return ctx.reply.Error("ERR String too long for LCS");
  }
  // The table is transient memory the size of both lengths' product:
  // bounded, as in Redis, by proto-max-bulk-len.
  if (bitops::LcsTableBytes(x.size(), y.size()) >
      ctx.server.proto_max_bulk_len.load(std::memory_order_relaxed)) {
    return ctx.reply.Error(
        "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
  }
  const auto r = bitops::Lcs(x, y, !len && !idx, idx, static_cast<uint64_t>(min_match_len));
  if (len) return ctx.reply.Integer(r.length);
  if (!idx) return ctx.reply.Bulk(r.sequence);
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("matches");
  ctx.reply.ArrayHeader(r.matches.size());
  for (const auto& m : r.matches) {
    ctx.reply.ArrayHeader(with_match_len ? 3 : 2);
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(m.a_start);
    ctx.reply.Integer(m.a_end);
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(m.b_start);
    ctx.reply.Integer(m.b_end);
    if (with_match_len) ctx.reply.Integer(m.length());
  }
  ctx.reply.Bulk("len");
  ctx.reply.Integer(r.length);
}

}  // namespace kvstore::server
