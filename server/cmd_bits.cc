// Copyright (c) the kvstore developers.
//
// Bit commands over string values (Redis's bitops.c is the model): SETBIT,
// GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO. The argument
// rules, the order in which errors are found and the reply texts are Redis
// 7.0's, checked side by side against redis-server 7.0 with redis-cli. The
// bit arithmetic itself is bitops.h; this file parses, reads through
// keyspace::Get and writes each read-modify-write in one keyspace::Update.

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "bitops.h"
#include "command_handlers.h"
#include "keyspace.h"
#include "resp_parser.h"
#include "string_util.h"

namespace kvstore::server {

namespace {

constexpr char kBadOffset[] = "ERR bit offset is not an integer or out of range";
constexpr char kBadBit[] = "ERR bit is not an integer or out of range";
constexpr char kBadBitfieldType[] =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.";

// A bit offset argument: a non-negative integer whose byte lies below
// proto-max-bulk-len. With `bits` > 0 (BITFIELD), "#N" means N * bits; the
// product wraps modulo 2^64 as it does in Redis, so an absurd N is refused
// or lands where Redis's does.
bool ParseBitOffset(CommandContext& ctx, std::string_view arg, int bits, uint64_t* out) {
  const bool hash = bits > 0 && !arg.empty() && arg[0] == '#';
  int64_t offset = 0;
  if (!ParseInt64(hash ? arg.substr(1) : arg, &offset)) {
    ctx.reply.Error(kBadOffset);
    return false;
  }
  if (hash) {
    offset = static_cast<int64_t>(static_cast<uint64_t>(offset) * static_cast<uint64_t>(bits));
  }
  if (offset < 0 || static_cast<uint64_t>(offset >> 3) >=
                        ctx.server.proto_max_bulk_len.load(std::memory_order_relaxed)) {
    ctx.reply.Error(kBadOffset);
    return false;
  }
  *out = static_cast<uint64_t>(offset);
  return true;
}

bool ParseInteger(CommandContext& ctx, std::string_view arg, int64_t* out) {
  if (ParseInt64(arg, out)) return true;
  ctx.reply.Error(kNotIntegerError);
  return false;
}

// BITCOUNT's and BITPOS's unit argument: BYTE (false) or BIT (true).
bool ParseUnit(CommandContext& ctx, std::string_view arg, bool* bit_units) {
  if (EqualsIgnoreCase(arg, "BIT")) {
    *bit_units = true;
  } else if (EqualsIgnoreCase(arg, "BYTE")) {
    *bit_units = false;
  } else {
    ctx.reply.Error(kSyntaxError);
    return false;
  }
  return true;
}

bool GetBit(std::string_view s, uint64_t offset) {
  const uint64_t byte = offset >> 3;
  return byte < s.size() && ((static_cast<uint8_t>(s[byte]) >> (7 - (offset & 7))) & 1);
}

// One BITFIELD operation, parsed before any runs (a bad argument anywhere
// means nothing runs, as in Redis).
struct FieldOp {
  enum Kind { kGet, kSet, kIncrby } kind;
  bool is_signed;
  int bits;
  uint64_t offset;
  int64_t arg;  // SET value or INCRBY increment
  bitops::Overflow overflow;
};

// "i<1..64>" or "u<1..63>" (lower case only, as Redis).
bool ParseFieldType(CommandContext& ctx, std::string_view arg, bool* is_signed, int* bits) {
  int64_t n = 0;
  if (arg.empty() || (arg[0] != 'i' && arg[0] != 'u') || !ParseInt64(arg.substr(1), &n) ||
      n < 1 || n > (arg[0] == 'i' ? 64 : 63)) {
    ctx.reply.Error(kBadBitfieldType);
    return false;
  }
  *is_signed = arg[0] == 'i';
  *bits = static_cast<int>(n);
  return true;
}

// Parses BITFIELD's operations; false (with the error replied) on a bad one.
bool ParseFieldOps(CommandContext& ctx, std::vector<FieldOp>* ops) {
  const auto& a = ctx.argv;
  auto overflow = bitops::Overflow::kWrap;
  for (std::size_t j = 2; j < a.size(); ++j) {
    const std::size_t more = a.size() - j - 1;
    FieldOp op{};
    if (EqualsIgnoreCase(a[j], "GET") && more >= 2) {
      op.kind = FieldOp::kGet;
    } else if (EqualsIgnoreCase(a[j], "SET") && more >= 3) {
      op.kind = FieldOp::kSet;
    } else if (EqualsIgnoreCase(a[j], "INCRBY") && more >= 3) {
      op.kind = FieldOp::kIncrby;
    } else if (EqualsIgnoreCase(a[j], "OVERFLOW") && more >= 1) {
      const std::string_view mode = a[++j];
      if (EqualsIgnoreCase(mode, "WRAP")) {
        overflow = bitops::Overflow::kWrap;
      } else if (EqualsIgnoreCase(mode, "SAT")) {
        overflow = bitops::Overflow::kSat;
      } else if (EqualsIgnoreCase(mode, "FAIL")) {
        overflow = bitops::Overflow::kFail;
      } else {
        ctx.reply.Error("ERR Invalid OVERFLOW type specified");
        return false;
      }
      continue;
    } else {
      ctx.reply.Error(kSyntaxError);
      return false;
    }
    if (!ParseFieldType(ctx, a[j + 1], &op.is_signed, &op.bits)) return false;
    if (!ParseBitOffset(ctx, a[j + 2], op.bits, &op.offset)) return false;
    if (op.kind != FieldOp::kGet && !ParseInteger(ctx, a[j + 3], &op.arg)) return false;
    op.overflow = overflow;
    ops->push_back(op);
    j += op.kind == FieldOp::kGet ? 2 : 3;
  }
  return true;
}

int64_t GetField(std::string_view s, const FieldOp& op) {
  if (op.is_signed) return bitops::GetSignedField(s, op.offset, op.bits);
  return static_cast<int64_t>(bitops::GetUnsignedField(s, op.offset, op.bits));
}

// Runs a SET or INCRBY on `s` (long enough for the field). The reply is
// the old value (SET) or the new one (INCRBY); nullopt when OVERFLOW FAIL
// refused the write. *changed tells whether the field's bits changed.
std::optional<int64_t> WriteField(std::string& s, const FieldOp& op, bool* changed) {
  const bool incr = op.kind == FieldOp::kIncrby;
  if (op.is_signed) {
    const int64_t old = bitops::GetSignedField(s, op.offset, op.bits);
    const int64_t value = incr ? old : op.arg;
    int64_t limit = 0;
    int64_t next = 0;
    if (bitops::SignedOverflows(value, incr ? op.arg : 0, op.bits, op.overflow, &limit)) {
      if (op.overflow == bitops::Overflow::kFail) return std::nullopt;
      next = limit;
    } else {
      next = static_cast<int64_t>(static_cast<uint64_t>(value) +
                                  static_cast<uint64_t>(incr ? op.arg : 0));
    }
    bitops::SetField(s, op.offset, op.bits, static_cast<uint64_t>(next));
    *changed = next != old;
    return incr ? next : old;
  }
  const uint64_t old = bitops::GetUnsignedField(s, op.offset, op.bits);
  const uint64_t value = incr ? old : static_cast<uint64_t>(op.arg);
  uint64_t next = 0;
  if (bitops::UnsignedOverflows(value, incr ? op.arg : 0, op.bits, op.overflow, &next)) {
    if (op.overflow == bitops::Overflow::kFail) return std::nullopt;
  } else {
    next = value + static_cast<uint64_t>(incr ? op.arg : 0);
  }
  bitops::SetField(s, op.offset, op.bits, next);
  *changed = next != old;
  return static_cast<int64_t>(incr ? next : old);
}

void ReplyFieldResults(CommandContext& ctx, const std::vector<std::optional<int64_t>>& results) {
  ctx.reply.ArrayHeader(results.size());
  for (const auto& r : results) {
    if (r) {
      ctx.reply.Integer(*r);
    } else {
      ctx.reply.Null();
    }
  }
}

void BitfieldGeneric(CommandContext& ctx, bool read_only_command) {
  std::vector<FieldOp> ops;
  if (!ParseFieldOps(ctx, &ops)) return;
  const std::string_view key = ctx.argv[1];
  const bool writes = std::any_of(ops.begin(), ops.end(),
                                  [](const FieldOp& op) { return op.kind != FieldOp::kGet; });
  std::vector<std::optional<int64_t>> results;
  if (!writes) {
    const std::string v = keyspace::Get(ctx, key).value_or(std::string());
    for (const auto& op : ops) results.emplace_back(GetField(v, op));
    return ReplyFieldResults(ctx, results);
  }
  if (read_only_command) return ctx.reply.Error("ERR BITFIELD_RO only supports the GET subcommand");
  uint64_t highest_bit = 0;
  for (const auto& op : ops) {
    if (op.kind != FieldOp::kGet) highest_bit = std::max(highest_bit, op.offset + op.bits - 1);
  }
  if (!keyspace::Update(ctx, {key}, [&](Transaction& tx) {
        results.clear();
        auto cur = tx.get(key);
        std::string v(cur.value_or(std::string_view()));
        // As in Redis, the key is created (or grown) to hold the highest
        // field written, even if OVERFLOW FAIL then refuses every write.
        const bool grew = !cur || v.size() < (highest_bit >> 3) + 1;
        if (v.size() < (highest_bit >> 3) + 1) v.resize((highest_bit >> 3) + 1, '\0');
        bool changed = false;
        for (const auto& op : ops) {
          if (op.kind == FieldOp::kGet) {
            results.emplace_back(GetField(v, op));
          } else {
            bool op_changed = false;
            results.push_back(WriteField(v, op, &op_changed));
            changed = changed || op_changed;
          }
        }
        // Redis keeps the key's TTL here.
        if (grew || changed) tx.set(key, v, tx.expire_time(key));
      })) {
    return;
  }
  ReplyFieldResults(ctx, results);
}

}  // namespace

// SETBIT key offset 0|1: replies the bit's previous value.
void SetbitCommand(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  uint64_t offset = 0;
  if (!ParseBitOffset(ctx, ctx.argv[2], 0, &offset)) return;
  int64_t on = 0;
  if (!ParseInt64(ctx.argv[3], &on) || (on & ~int64_t{1}) != 0) return ctx.reply.Error(kBadBit);
  bool old = false;
  if (!keyspace::Update(ctx, {key}, [&](Transaction& tx) {
        auto cur = tx.get(key);
        const uint64_t need = (offset >> 3) + 1;
        old = cur && GetBit(*cur, offset);
        // Nothing to write when the bit already has this value and the
        // string is long enough (no WAL record, as Redis adds no dirty).
        if (cur && cur->size() >= need && old == (on == 1)) return;
        std::string v(cur.value_or(std::string_view()));
        if (v.size() < need) v.resize(need, '\0');
        bitops::SetField(v, offset, 1, static_cast<uint64_t>(on));
        // Redis keeps the key's TTL here.
        tx.set(key, v, tx.expire_time(key));
      })) {
    return;
  }
  ctx.reply.Integer(old ? 1 : 0);
}

void GetbitCommand(CommandContext& ctx) {
  uint64_t offset = 0;
  if (!ParseBitOffset(ctx, ctx.argv[2], 0, &offset)) return;
  auto v = keyspace::Get(ctx, ctx.argv[1]);
  ctx.reply.Integer(v && GetBit(*v, offset) ? 1 : 0);
}

// BITCOUNT key [start end [BYTE|BIT]]
void BitcountCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  // Redis 7.0 answers 0 for an absent key before it looks at the range.
  auto v = keyspace::Get(ctx, a[1]);
  if (!v) return ctx.reply.Integer(0);
  const auto len = static_cast<int64_t>(v->size());
  if (a.size() == 2) return ctx.reply.Integer(static_cast<int64_t>(bitops::PopCount(*v)));
  if (a.size() != 4 && a.size() != 5) return ctx.reply.Error(kSyntaxError);
  int64_t start = 0, end = 0;
  bool bit_units = false;
  if (!ParseInteger(ctx, a[2], &start) || !ParseInteger(ctx, a[3], &end)) return;
  if (a.size() == 5 && !ParseUnit(ctx, a[4], &bit_units)) return;
  if (start < 0 && end < 0 && start > end) return ctx.reply.Integer(0);
  const auto range = bitops::ResolveRange(len, start, end, bit_units);
  ctx.reply.Integer(static_cast<int64_t>(bitops::CountBits(*v, range)));
}

// BITPOS key bit [start [end [BYTE|BIT]]]
void BitposCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  int64_t bit = 0;
  if (!ParseInteger(ctx, a[2], &bit)) return;
  if (bit != 0 && bit != 1) return ctx.reply.Error("ERR The bit argument must be 1 or 0.");
  // An absent key is an endless run of clear bits.
  auto v = keyspace::Get(ctx, a[1]);
  if (!v) return ctx.reply.Integer(bit == 1 ? -1 : 0);
  if (a.size() > 6) return ctx.reply.Error(kSyntaxError);
  int64_t start = 0, end = -1;
  bool bit_units = false;
  const bool end_given = a.size() >= 5;
  if (a.size() >= 4 && !ParseInteger(ctx, a[3], &start)) return;
  if (a.size() == 6 && !ParseUnit(ctx, a[5], &bit_units)) return;
  if (end_given && !ParseInteger(ctx, a[4], &end)) return;
  const auto range = bitops::ResolveRange(static_cast<int64_t>(v->size()), start, end, bit_units);
  ctx.reply.Integer(bitops::FindBit(*v, bit == 1, range, end_given));
}

// BITOP AND|OR|XOR|NOT destkey key [key ...]: replies the result's length;
// an empty result deletes destkey.
void BitopCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  bitops::BitOpKind op;
  if (EqualsIgnoreCase(a[1], "AND")) {
    op = bitops::BitOpKind::kAnd;
  } else if (EqualsIgnoreCase(a[1], "OR")) {
    op = bitops::BitOpKind::kOr;
  } else if (EqualsIgnoreCase(a[1], "XOR")) {
    op = bitops::BitOpKind::kXor;
  } else if (EqualsIgnoreCase(a[1], "NOT")) {
    op = bitops::BitOpKind::kNot;
  } else {
    return ctx.reply.Error(kSyntaxError);
  }
  if (op == bitops::BitOpKind::kNot && a.size() != 4) {
    return ctx.reply.Error("ERR BITOP NOT must be called with a single source key.");
  }
  const std::string_view dest = a[2];
  std::vector<std::string_view> keys(a.begin() + 2, a.end());
  std::size_t len = 0;
  if (!keyspace::Update(ctx, keys, [&](Transaction& tx) {
        std::vector<std::string_view> sources;
        for (std::size_t i = 3; i < a.size(); ++i) {
          sources.push_back(tx.get(a[i]).value_or(std::string_view()));
        }
        // The views stay valid until the write below, which comes last.
        const std::string result = bitops::BitOp(op, sources);
        len = result.size();
        if (len > 0) {
          tx.set(dest, result);  // a new value, as SET: no TTL kept
        } else if (tx.get(dest)) {
          tx.remove(dest);
        }
      })) {
    return;
  }
  ctx.reply.Integer(static_cast<int64_t>(len));
}

void BitfieldCommand(CommandContext& ctx) { BitfieldGeneric(ctx, false); }
void BitfieldRoCommand(CommandContext& ctx) { BitfieldGeneric(ctx, true); }

}  // namespace kvstore::server
