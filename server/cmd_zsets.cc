// Copyright (c) the kvstore developers.
//
// The sorted-set commands, with Redis 7.0's t_zset.c as the model for their
// behaviour: ZADD and ZINCRBY; the reads by member, rank, score and member
// range (ZSCORE, ZRANK, ZCOUNT, the ZRANGE family); ZRANGESTORE and the
// ZREMRANGEBY* removals; ZPOPMIN, ZPOPMAX and ZMPOP; the set algebra (ZUNION,
// ZINTER, ZDIFF, their STORE forms and ZINTERCARD, over sorted sets and
// plain sets); ZRANDMEMBER and ZSCAN.
//
// Every change is one kZSetAdd or kZSetRem op of the members it touches:
// ZINCRBY logs the new score, a pop or a range removal the members it chose,
// a STORE the removal of its destination and the members of the result.
// Arguments are parsed before the key is looked up, in Redis's order, so the
// same command gets the same error.

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "command_handlers.h"
#include "common/glob.h"
#include "keyspace.h"
#include "mpop_args.h"
#include "resp_parser.h"
#include "string_util.h"
#include "zset_range.h"

namespace kvstore::server {

namespace {

constexpr char kNotFloatError[] = "ERR value is not a valid float";
constexpr char kScoreRangeError[] = "ERR min or max is not a float";
constexpr char kLexRangeError[] = "ERR min or max not valid string range item";
constexpr char kNanError[] = "ERR resulting score is not a number (NaN)";
constexpr char kNotPositiveError[] = "ERR value is out of range, must be positive";

// A member and its score. Member is a std::string for results that outlive
// the read that found them, a std::string_view for those replied under it.
template <class S>
struct BasicScored {
  S member;
  double score;
};
using Scored = BasicScored<std::string>;
using ScoredView = BasicScored<std::string_view>;

// Members with scores as the ZRANGE family answers them: a flat array
// (member, score, member, score...) in RESP2, an array of [member, score]
// pairs in RESP3; members alone without withscores.
template <class Entries>
void ReplyScoredList(CommandContext& ctx, const Entries& entries, bool withscores) {
  const bool pairs = withscores && ctx.reply.protocol() >= 3;
  ctx.reply.ArrayHeader(withscores && !pairs ? entries.size() * 2 : entries.size());
  for (const auto& e : entries) {
    if (pairs) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(e.member);
    if (withscores) ctx.reply.Double(e.score);
  }
}

// Redis's d2string, which ZSCAN's scores are written with: "%.17g", with
// "inf" and "-inf".
std::string ScoreText(double score) {
  char buf[64];
  const int n = std::snprintf(buf, sizeof(buf), "%.17g", score);
  return std::string(buf, static_cast<std::size_t>(n));
}

// The kZSetAdd op that gives each member its score (later entries of a
// member win). A score of -0 is stored as 0, as Redis's listpack encoding
// (the one small sets have) keeps it; Redis's skiplist would keep -0, which
// kvstore does not mimic.
void ApplyAdd(Transaction& tx, std::string_view key, const std::vector<Scored>& entries) {
  if (entries.empty()) return;
  std::vector<std::string> scores;
  scores.reserve(entries.size());
  for (const Scored& e : entries) scores.push_back(EncodeScore(e.score == 0 ? 0.0 : e.score));
  std::vector<std::string_view> args;
  args.reserve(entries.size() * 2);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    args.push_back(scores[i]);
    args.push_back(entries[i].member);
  }
  tx.apply(key, OpCode::kZSetAdd, args);
}

void ApplyRem(Transaction& tx, std::string_view key, const std::vector<std::string>& members) {
  if (members.empty()) return;
  std::vector<std::string_view> args(members.begin(), members.end());
  tx.apply(key, OpCode::kZSetRem, args);
}

// A STORE's write: dst becomes a sorted set of exactly `entries` (removed
// when there are none), whatever it held before, without a deadline.
void StoreResult(Transaction& tx, std::string_view dst, const std::vector<Scored>& entries) {
  tx.remove(dst);
  ApplyAdd(tx, dst, entries);
}

std::vector<std::string> Members(const std::vector<Scored>& entries) {
  std::vector<std::string> members;
  members.reserve(entries.size());
  for (const Scored& e : entries) members.push_back(e.member);
  return members;
}

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

// ---- ZADD, ZINCRBY ----

struct ZaddOptions {
  bool nx = false, xx = false, gt = false, lt = false, ch = false, incr = false;
};

// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...], and
// ZINCRBY key increment member (ZADD INCR without options).
void ZaddGeneric(CommandContext& ctx, bool zincrby) {
  const auto& a = ctx.argv;
  const std::string_view key = a[1];
  ZaddOptions opt;
  opt.incr = zincrby;
  std::size_t i = 2;
  for (; !zincrby && i < a.size(); ++i) {
    if (EqualsIgnoreCase(a[i], "nx")) {
      opt.nx = true;
    } else if (EqualsIgnoreCase(a[i], "xx")) {
      opt.xx = true;
    } else if (EqualsIgnoreCase(a[i], "ch")) {
      opt.ch = true;
    } else if (EqualsIgnoreCase(a[i], "incr")) {
      opt.incr = true;
    } else if (EqualsIgnoreCase(a[i], "gt")) {
      opt.gt = true;
    } else if (EqualsIgnoreCase(a[i], "lt")) {
      opt.lt = true;
    } else {
      break;
    }
  }
  const std::size_t elements = a.size() - i;
  if (elements == 0 || elements % 2 != 0) return ctx.reply.Error(kSyntaxError);
  if (opt.nx && opt.xx) {
    return ctx.reply.Error("ERR XX and NX options at the same time are not compatible");
  }
  if ((opt.gt && opt.nx) || (opt.lt && opt.nx) || (opt.gt && opt.lt)) {
    return ctx.reply.Error("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if (opt.incr && elements > 2) {
    return ctx.reply.Error("ERR INCR option supports a single increment-element pair");
  }
  std::vector<double> scores(elements / 2);
  for (std::size_t j = 0; j < scores.size(); ++j) {
    if (!ParseDouble(a[i + 2 * j], &scores[j])) return ctx.reply.Error(kNotFloatError);
  }

  bool failed = false;  // an error was replied inside the update
  int64_t added = 0, updated = 0, processed = 0;
  double last_score = 0;
  if (!keyspace::Update(ctx, {key}, [&](Transaction& tx) {
        bool ok = true;
        const ZSetValue* zset = keyspace::TypedObject<ZSetValue>(ctx, tx, key, &ok);
        if (!ok) {
          failed = true;
          return;
        }
        if (zset == nullptr && opt.xx) return;
        // Scores this command has set so far: a member named twice sees its
        // first pair's outcome, as in Redis.
        absl::flat_hash_map<std::string_view, double> pending;
        std::vector<Scored> changes;
        for (std::size_t j = 0; j < scores.size(); ++j) {
          const std::string_view member = a[i + 2 * j + 1];
          std::optional<double> current;
          if (auto it = pending.find(member); it != pending.end()) {
            current = it->second;
          } else if (zset != nullptr) {
            current = zset->score(member);
          }
          double score = scores[j];
          if (current) {
            if (opt.nx) continue;
            if (opt.incr) score += *current;
            if (std::isnan(score)) {
              ctx.reply.Error(kNanError);
              failed = true;
              return;
            }
            if ((opt.lt && score >= *current) || (opt.gt && score <= *current)) continue;
            ++processed;
            last_score = score;
            if (score != *current) {
              ++updated;
              pending[member] = score;
              changes.push_back({std::string(member), score});
            }
          } else if (!opt.xx) {
            ++added;
            ++processed;
            last_score = score;
            pending[member] = score;
            changes.push_back({std::string(member), score});
          }
        }
        ApplyAdd(tx, key, changes);
      })) {
    return;
  }
  if (failed) return;
  if (opt.incr) return processed > 0 ? ctx.reply.Double(last_score) : ctx.reply.Null();
  ctx.reply.Integer(opt.ch ? added + updated : added);
}

// ---- range queries (ZRANGE family, ZRANGESTORE, ZREMRANGEBY*) ----

enum class RangeKind { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

// Which members a range command selects, parsed from its arguments.
struct RangeQuery {
  RangeKind kind = RangeKind::kRank;
  bool reverse = false;
  int64_t start = 0, end = -1;  // kRank
  ScoreRange score;             // kScore
  LexRange lex;                 // kLex
  int64_t offset = 0;           // LIMIT (kScore, kLex): skip this many
  int64_t limit = -1;           // then take this many (< 0: all)
  bool withscores = false;
};

// Visits the members q selects, in reply order.
void ForEachInRange(const ZSetValue& zset, const RangeQuery& q, const ZSetVisitor& fn) {
  if (q.kind == RangeKind::kRank) {
    const auto size = static_cast<int64_t>(zset.size());
    int64_t start = q.start < 0 ? size + q.start : q.start;
    int64_t end = q.end < 0 ? size + q.end : q.end;
    if (start < 0) start = 0;
    if (start > end || start >= size) return;
    if (end >= size) end = size - 1;
    int64_t left = end - start + 1;
    zset.for_each_from_rank(static_cast<std::size_t>(start), q.reverse,
                            [&](std::string_view member, double score) {
                              fn(member, score);
                              return --left > 0;
                            });
    return;
  }
  // Redis skips `offset` members one by one, so a negative offset skips all.
  if (q.offset < 0 || (q.offset > 0 && static_cast<uint64_t>(q.offset) >= zset.size())) return;
  if (q.limit == 0) return;
  int64_t skip = q.offset;
  int64_t left = q.limit;
  auto take = [&](std::string_view member, double score) {
    if (skip > 0) {
      --skip;
      return true;
    }
    fn(member, score);
    return left < 0 || --left > 0;
  };
  if (q.kind == RangeKind::kScore) {
    ForEachInScoreRange(zset, q.score, q.reverse, take);
  } else {
    ForEachInLexRange(zset, q.lex, q.reverse, take);
  }
}

// Parses a range command's arguments, argv[key_index] being its source key
// (Redis's zrangeGenericCommand): min, max, then BYSCORE, BYLEX, REV, LIMIT
// offset count and (not for a store) WITHSCORES, each allowed where `kind`
// and `dir` are still kAuto. Replies the error and returns false on a bad
// one.
bool ParseRangeQuery(CommandContext& ctx, std::size_t key_index, bool store, RangeKind kind,
                     Direction dir, RangeQuery* q) {
  const auto& a = ctx.argv;
  std::size_t min_index = key_index + 1, max_index = key_index + 2;
  bool has_limit = false;
  for (std::size_t j = key_index + 3; j < a.size(); ++j) {
    const std::size_t left = a.size() - j - 1;
    if (!store && EqualsIgnoreCase(a[j], "withscores")) {
      q->withscores = true;
    } else if (EqualsIgnoreCase(a[j], "limit") && left >= 2) {
      if (!ParseInt64(a[j + 1], &q->offset) || !ParseInt64(a[j + 2], &q->limit)) {
        ctx.reply.Error(kNotIntegerError);
        return false;
      }
      has_limit = true;
      j += 2;
    } else if (dir == Direction::kAuto && EqualsIgnoreCase(a[j], "rev")) {
      dir = Direction::kReverse;
    } else if (kind == RangeKind::kAuto && EqualsIgnoreCase(a[j], "bylex")) {
      kind = RangeKind::kLex;
    } else if (kind == RangeKind::kAuto && EqualsIgnoreCase(a[j], "byscore")) {
      kind = RangeKind::kScore;
    } else {
      ctx.reply.Error(kSyntaxError);
      return false;
    }
  }
  if (kind == RangeKind::kAuto) kind = RangeKind::kRank;
  q->kind = kind;
  q->reverse = dir == Direction::kReverse;
  if (has_limit && kind == RangeKind::kRank) {
    ctx.reply.Error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return false;
  }
  if (q->withscores && kind == RangeKind::kLex) {
    ctx.reply.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return false;
  }
  // A reversed score or member range is given as max, min.
  if (q->reverse && kind != RangeKind::kRank) std::swap(min_index, max_index);
  switch (kind) {
    case RangeKind::kAuto:
    case RangeKind::kRank:
      if (!ParseInt64(a[min_index], &q->start) || !ParseInt64(a[max_index], &q->end)) {
        ctx.reply.Error(kNotIntegerError);
        return false;
      }
      break;
    case RangeKind::kScore:
      if (!ParseScoreRange(a[min_index], a[max_index], &q->score)) {
        ctx.reply.Error(kScoreRangeError);
        return false;
      }
      break;
    case RangeKind::kLex:
      if (!ParseLexRange(a[min_index], a[max_index], &q->lex)) {
        ctx.reply.Error(kLexRangeError);
        return false;
      }
      break;
  }
  return true;
}

void RangeGeneric(CommandContext& ctx, RangeKind kind, Direction dir) {
  RangeQuery q;
  if (!ParseRangeQuery(ctx, 1, false, kind, dir, &q)) return;
  keyspace::Read<ZSetValue>(ctx, ctx.argv[1], [&](const ZSetValue* zset) {
    std::vector<ScoredView> out;
    if (zset != nullptr) {
      ForEachInRange(*zset, q, [&](std::string_view member, double score) {
        out.push_back({member, score});
        return true;
      });
    }
    ReplyScoredList(ctx, out, q.withscores);
  });
}

// ZREMRANGEBYRANK / BYSCORE / BYLEX key min max.
void RemRangeGeneric(CommandContext& ctx, RangeKind kind) {
  const auto& a = ctx.argv;
  const std::string_view key = a[1];
  RangeQuery q;
  q.kind = kind;
  if (kind == RangeKind::kRank) {
    if (!ParseInt64(a[2], &q.start) || !ParseInt64(a[3], &q.end)) {
      return ctx.reply.Error(kNotIntegerError);
    }
  } else if (kind == RangeKind::kScore) {
    if (!ParseScoreRange(a[2], a[3], &q.score)) return ctx.reply.Error(kScoreRangeError);
  } else if (!ParseLexRange(a[2], a[3], &q.lex)) {
    return ctx.reply.Error(kLexRangeError);
  }
  bool failed = false;
  std::vector<std::string> removed;
  if (!keyspace::Update(ctx, {key}, [&](Transaction& tx) {
        bool ok = true;
        const ZSetValue* zset = keyspace::TypedObject<ZSetValue>(ctx, tx, key, &ok);
        failed = !ok;
        if (zset == nullptr) return;
        ForEachInRange(*zset, q, [&](std::string_view member, double) {
          removed.emplace_back(member);
          return true;
        });
        ApplyRem(tx, key, removed);
      })) {
    return;
  }
  if (failed) return;
  ctx.reply.Integer(static_cast<int64_t>(removed.size()));
}

// ---- pops ----

// Pops up to count members from the lowest (or, with max, the highest) end
// of the first non-empty sorted set among keys (Redis's genericZpopCommand).
// emit_key: answer [key, members] (ZMPOP); nested: members as [member,
// score] pairs; nil_when_empty: a null array rather than an empty one when
// every key is empty.
void PopGeneric(CommandContext& ctx, std::vector<std::string_view> keys, bool max, int64_t count,
                bool emit_key, bool nested, bool nil_when_empty) {
  bool failed = false;
  std::optional<std::string_view> popped_key;
  std::vector<Scored> popped;
  if (!keyspace::Update(ctx, keys, [&](Transaction& tx) {
        for (const std::string_view key : keys) {
          bool ok = true;
          const ZSetValue* zset = keyspace::TypedObject<ZSetValue>(ctx, tx, key, &ok);
          if (!ok) {
            failed = true;
            return;
          }
          if (zset == nullptr) continue;
          if (count == 0) return;  // the type is checked even so
          popped_key = key;
          zset->for_each_from_rank(0, max, [&](std::string_view member, double score) {
            popped.push_back({std::string(member), score});
            return static_cast<int64_t>(popped.size()) < count;
          });
          ApplyRem(tx, key, Members(popped));
          return;
        }
      })) {
    return;
  }
  if (failed) return;
  if (count == 0) return ctx.reply.ArrayHeader(0);
  if (!popped_key) {
    if (nil_when_empty) return ctx.reply.NullArray();
    return ctx.reply.ArrayHeader(0);
  }
  if (emit_key) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(*popped_key);
  }
  ctx.reply.ArrayHeader(nested ? popped.size() : popped.size() * 2);
  for (const Scored& e : popped) {
    if (nested) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(e.member);
    ctx.reply.Double(e.score);
  }
}

// ZPOPMIN / ZPOPMAX key [count]
void ZpopGeneric(CommandContext& ctx, bool max) {
  if (ctx.argv.size() > 3) return ctx.reply.Error(kSyntaxError);
  int64_t count = -1;  // none given: one member, answered flat
  if (ctx.argv.size() == 3 && (!ParseInt64(ctx.argv[2], &count) || count < 0)) {
    return ctx.reply.Error(kNotPositiveError);
  }
  const bool nested = ctx.reply.protocol() >= 3 && count != -1;
  PopGeneric(ctx, {ctx.argv[1]}, max, count == -1 ? 1 : count, false, nested, false);
}

// ---- set algebra ----

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

// One input of the set algebra: a sorted set, a set (every member scoring
// 1), or an absent key (empty).
struct Source {
  const ZSetValue* zset = nullptr;
  const SetValue* set = nullptr;
  double weight = 1;

  std::size_t size() const {
    if (zset != nullptr) return zset->size();
    return set != nullptr ? set->size() : 0;
  }
  std::optional<double> score(std::string_view member) const {
    if (zset != nullptr) return zset->score(member);
    if (set != nullptr && set->contains(member)) return 1.0;
    return std::nullopt;
  }
  void for_each(const ZSetVisitor& fn) const {
    if (zset != nullptr) {
      zset->for_each_from_rank(0, false, fn);
    } else if (set != nullptr) {
      set->for_each([&](std::string_view member) { return fn(member, 1.0); });
    }
  }
};

// Redis's zunionInterAggregate: a sum that is NaN (inf + -inf) is 0.
void AggregateInto(double* target, double value, Aggregate how) {
  switch (how) {
    case Aggregate::kSum:
      *target += value;
      if (std::isnan(*target)) *target = 0;
      break;
    case Aggregate::kMin:
      *target = value < *target ? value : *target;
      break;
    case Aggregate::kMax:
      *target = value > *target ? value : *target;
      break;
  }
}

// The result of op over sources, in (score, member) order; with
// cardinality_only, only *count is computed (stopping at limit when > 0).
std::vector<Scored> ComputeSetOp(std::vector<Source> sources, SetOp op, Aggregate how,
                                 bool cardinality_only, int64_t limit, int64_t* count) {
  std::vector<Scored> out;
  *count = 0;
  if (op != SetOp::kDiff) {
    // Smallest first, as Redis orders them (the sums add in that order).
    std::stable_sort(sources.begin(), sources.end(),
                     [](const Source& x, const Source& y) { return x.size() < y.size(); });
  }
  switch (op) {
    case SetOp::kInter: {
      if (sources[0].size() == 0) break;
      sources[0].for_each([&](std::string_view member, double score) {
        double total = sources[0].weight * score;
        if (std::isnan(total)) total = 0;
        for (std::size_t j = 1; j < sources.size(); ++j) {
          const std::optional<double> s = sources[j].score(member);
          if (!s) return true;
          AggregateInto(&total, *s * sources[j].weight, how);
        }
        ++*count;
        if (cardinality_only) return limit == 0 || *count < limit;
        out.push_back({std::string(member), total});
        return true;
      });
      break;
    }
    case SetOp::kUnion: {
      absl::flat_hash_map<std::string, double> totals;
      for (const Source& src : sources) {
        src.for_each([&](std::string_view member, double score) {
          double value = src.weight * score;
          if (std::isnan(value)) value = 0;
          auto [it, inserted] = totals.try_emplace(std::string(member), value);
          if (!inserted) AggregateInto(&it->second, value, how);
          return true;
        });
      }
      // Each member's string moves to the result: the union never holds
      // two copies of it (erasing leaves the other iterators valid).
      out.reserve(totals.size());
      for (auto it = totals.begin(); it != totals.end();) {
        auto node = totals.extract(it++);
        out.push_back({std::move(node.key()), node.mapped()});
      }
      break;
    }
    case SetOp::kDiff: {
      sources[0].for_each([&](std::string_view member, double score) {
        for (std::size_t j = 1; j < sources.size(); ++j) {
          if (sources[j].score(member)) return true;
        }
        out.push_back({std::string(member), score});
        return true;
      });
      break;
    }
  }
  if (!cardinality_only) *count = static_cast<int64_t>(out.size());
  std::sort(out.begin(), out.end(), [](const Scored& x, const Scored& y) {
    return x.score < y.score || (x.score == y.score && x.member < y.member);
  });
  return out;
}

// ZUNION / ZINTER / ZDIFF / ZINTERCARD numkeys key... [options], and the
// STORE forms (dst, then numkeys at argv[2]): Redis's
// zunionInterDiffGenericCommand.
void SetOpGeneric(CommandContext& ctx, bool store, SetOp op, bool cardinality_only) {
  const auto& a = ctx.argv;
  const std::size_t numkeys_index = store ? 2 : 1;
  int64_t numkeys = 0;
  if (!ParseInt64(a[numkeys_index], &numkeys)) return ctx.reply.Error(kNotIntegerError);
  if (numkeys < 1) {
    return ctx.reply.Error("ERR at least 1 input key is needed for '" + AsciiLower(a[0]) +
                           "' command");
  }
  if (static_cast<uint64_t>(numkeys) > a.size() - numkeys_index - 1) {
    return ctx.reply.Error(kSyntaxError);
  }
  const auto n = static_cast<std::size_t>(numkeys);
  const auto key_args = a.subspan(numkeys_index + 1, n);

  // The options, whose errors Redis replies only after the keys' types.
  const char* option_error = nullptr;
  std::string option_error_text;
  std::vector<double> weights(n, 1.0);
  Aggregate how = Aggregate::kSum;
  bool withscores = false;
  int64_t limit = 0;
  for (std::size_t j = numkeys_index + 1 + n; j < a.size() && option_error == nullptr;) {
    const std::size_t remaining = a.size() - j;
    if (op != SetOp::kDiff && remaining >= n + 1 && EqualsIgnoreCase(a[j], "weights")) {
      ++j;
      for (std::size_t k = 0; k < n; ++k, ++j) {
        if (!ParseDouble(a[j], &weights[k])) {
          option_error = "ERR weight value is not a float";
          break;
        }
      }
    } else if (op != SetOp::kDiff && remaining >= 2 && EqualsIgnoreCase(a[j], "aggregate")) {
      if (EqualsIgnoreCase(a[j + 1], "sum")) {
        how = Aggregate::kSum;
      } else if (EqualsIgnoreCase(a[j + 1], "min")) {
        how = Aggregate::kMin;
      } else if (EqualsIgnoreCase(a[j + 1], "max")) {
        how = Aggregate::kMax;
      } else {
        option_error = kSyntaxError;
      }
      j += 2;
    } else if (!store && !cardinality_only && EqualsIgnoreCase(a[j], "withscores")) {
      withscores = true;
      ++j;
    } else if (cardinality_only && remaining >= 2 && EqualsIgnoreCase(a[j], "limit")) {
      if (!ParseInt64(a[j + 1], &limit) || limit < 0) option_error = "ERR LIMIT can't be negative";
      j += 2;
    } else {
      option_error = kSyntaxError;
    }
  }

  std::vector<std::string_view> keys(key_args.begin(), key_args.end());
  if (store) keys.push_back(a[1]);
  bool failed = false;
  int64_t count = 0;
  std::vector<Scored> result;
  if (!keyspace::Update(ctx, keys, [&](Transaction& tx) {
        std::vector<Source> sources(n);
        for (std::size_t k = 0; k < n; ++k) {
          const Type type = tx.type(key_args[k]);
          if (type == Type::kZSet) {
            sources[k].zset = static_cast<const ZSetValue*>(tx.object(key_args[k]));
          } else if (type == Type::kSet) {
            sources[k].set = static_cast<const SetValue*>(tx.object(key_args[k]));
          } else if (type != Type::kNone) {
            ctx.reply.Error(keyspace::kWrongTypeError);
            failed = true;
            return;
          }
          sources[k].weight = weights[k];
        }
        if (option_error != nullptr) {
          ctx.reply.Error(option_error);
          failed = true;
          return;
        }
        result = ComputeSetOp(std::move(sources), op, how, cardinality_only, limit, &count);
        if (store) StoreResult(tx, a[1], result);
      })) {
    return;
  }
  if (failed) return;
  if (store || cardinality_only) return ctx.reply.Integer(count);
  ReplyScoredList(ctx, result, withscores);
}

}  // namespace

// ---- handlers ----

void ZaddCommand(CommandContext& ctx) { ZaddGeneric(ctx, false); }
void ZincrbyCommand(CommandContext& ctx) { ZaddGeneric(ctx, true); }

void ZremCommand(CommandContext& ctx) {
  const std::string_view key = ctx.argv[1];
  bool failed = false;
  std::vector<std::string> removed;
  if (!keyspace::Update(ctx, {key}, [&](Transaction& tx) {
        bool ok = true;
        const ZSetValue* zset = keyspace::TypedObject<ZSetValue>(ctx, tx, key, &ok);
        failed = !ok;
        if (zset == nullptr) return;
        absl::flat_hash_set<std::string_view> seen;
        for (const std::string_view member : ctx.argv.subspan(2)) {
          if (seen.insert(member).second && zset->score(member)) removed.emplace_back(member);
        }
        ApplyRem(tx, key, removed);
      })) {
    return;
  }
  if (failed) return;
  ctx.reply.Integer(static_cast<int64_t>(removed.size()));
}

void ZcardCommand(CommandContext& ctx) {
  keyspace::Read<ZSetValue>(ctx, ctx.argv[1], [&](const ZSetValue* zset) {
    ctx.reply.Integer(zset == nullptr ? 0 : static_cast<int64_t>(zset->size()));
  });
}

void ZscoreCommand(CommandContext& ctx) {
  keyspace::Read<ZSetValue>(ctx, ctx.argv[1], [&](const ZSetValue* zset) {
    const std::optional<double> score = zset == nullptr ? std::nullopt : zset->score(ctx.argv[2]);
    if (!score) return ctx.reply.Null();
    ctx.reply.Double(*score);
  });
}

void ZmscoreCommand(CommandContext& ctx) {
  keyspace::Read<ZSetValue>(ctx, ctx.argv[1], [&](const ZSetValue* zset) {
    const auto members = ctx.argv.subspan(2);
    ctx.reply.ArrayHeader(members.size());
    for (const std::string_view member : members) {
      const std::optional<double> score = zset == nullptr ? std::nullopt : zset->score(member);
      if (score) {
        ctx.reply.Double(*score);
      } else {
        ctx.reply.Null();
      }
    }
  });
}

namespace {

void RankGeneric(CommandContext& ctx, bool reverse) {
  keyspace::Read<ZSetValue>(ctx, ctx.argv[1], [&](const ZSetValue* zset) {
    if (zset == nullptr) return ctx.reply.Null();
    const std::optional<std::size_t> rank = zset->rank(ctx.argv[2]);
    if (!rank) return ctx.reply.Null();
    ctx.reply.Integer(static_cast<int64_t>(reverse ? zset->size() - 1 - *rank : *rank));
  });
}

}  // namespace

void ZrankCommand(CommandContext& ctx) { RankGeneric(ctx, false); }
void ZrevrankCommand(CommandContext& ctx) { RankGeneric(ctx, true); }

void ZcountCommand(CommandContext& ctx) {
  RangeQuery q;
  q.kind = RangeKind::kScore;
  if (!ParseScoreRange(ctx.argv[2], ctx.argv[3], &q.score)) {
    return ctx.reply.Error(kScoreRangeError);
  }
  keyspace::Read<ZSetValue>(ctx, ctx.argv[1], [&](const ZSetValue* zset) {
    int64_t n = 0;
    if (zset != nullptr) {
      ForEachInRange(*zset, q, [&](std::string_view, double) { return ++n, true; });
    }
    ctx.reply.Integer(n);
  });
}

void ZlexcountCommand(CommandContext& ctx) {
  RangeQuery q;
  q.kind = RangeKind::kLex;
  if (!ParseLexRange(ctx.argv[2], ctx.argv[3], &q.lex)) return ctx.reply.Error(kLexRangeError);
  keyspace::Read<ZSetValue>(ctx, ctx.argv[1], [&](const ZSetValue* zset) {
    int64_t n = 0;
    if (zset != nullptr) {
      ForEachInRange(*zset, q, [&](std::string_view, double) { return ++n, true; });
    }
    ctx.reply.Integer(n);
  });
}

void ZrangeCommand(CommandContext& ctx) { RangeGeneric(ctx, RangeKind::kAuto, Direction::kAuto); }
void ZrevrangeCommand(CommandContext& ctx) {
  RangeGeneric(ctx, RangeKind::kRank, Direction::kReverse);
}
void ZrangebyscoreCommand(CommandContext& ctx) {
  RangeGeneric(ctx, RangeKind::kScore, Direction::kForward);
}
void ZrevrangebyscoreCommand(CommandContext& ctx) {
  RangeGeneric(ctx, RangeKind::kScore, Direction::kReverse);
}
void ZrangebylexCommand(CommandContext& ctx) {
  RangeGeneric(ctx, RangeKind::kLex, Direction::kForward);
}
void ZrevrangebylexCommand(CommandContext& ctx) {
  RangeGeneric(ctx, RangeKind::kLex, Direction::kReverse);
}

// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
void ZrangestoreCommand(CommandContext& ctx) {
  const std::string_view dst = ctx.argv[1], src = ctx.argv[2];
  RangeQuery q;
  if (!ParseRangeQuery(ctx, 2, true, RangeKind::kAuto, Direction::kAuto, &q)) return;
  bool failed = false;
  std::vector<Scored> result;
  if (!keyspace::Update(ctx, {dst, src}, [&](Transaction& tx) {
        bool ok = true;
        const ZSetValue* zset = keyspace::TypedObject<ZSetValue>(ctx, tx, src, &ok);
        if (!ok) {
          failed = true;
          return;
        }
        if (zset != nullptr) {
          ForEachInRange(*zset, q, [&](std::string_view member, double score) {
            result.push_back({std::string(member), score});
            return true;
          });
        }
        StoreResult(tx, dst, result);
      })) {
    return;
  }
  if (failed) return;
  ctx.reply.Integer(static_cast<int64_t>(result.size()));
}

void ZremrangebyrankCommand(CommandContext& ctx) { RemRangeGeneric(ctx, RangeKind::kRank); }
void ZremrangebyscoreCommand(CommandContext& ctx) { RemRangeGeneric(ctx, RangeKind::kScore); }
void ZremrangebylexCommand(CommandContext& ctx) { RemRangeGeneric(ctx, RangeKind::kLex); }

void ZpopminCommand(CommandContext& ctx) { ZpopGeneric(ctx, false); }
void ZpopmaxCommand(CommandContext& ctx) { ZpopGeneric(ctx, true); }

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
void ZmpopCommand(CommandContext& ctx) {
  MpopArgs args;
  if (!ParseMpopArgs(ctx, 1, "min", "max", &args)) return;
  PopGeneric(ctx, {args.keys.begin(), args.keys.end()}, args.second_end, args.count, true, true,
             true);
}

void ZunionstoreCommand(CommandContext& ctx) { SetOpGeneric(ctx, true, SetOp::kUnion, false); }
void ZinterstoreCommand(CommandContext& ctx) { SetOpGeneric(ctx, true, SetOp::kInter, false); }
void ZdiffstoreCommand(CommandContext& ctx) { SetOpGeneric(ctx, true, SetOp::kDiff, false); }
void ZunionCommand(CommandContext& ctx) { SetOpGeneric(ctx, false, SetOp::kUnion, false); }
void ZinterCommand(CommandContext& ctx) { SetOpGeneric(ctx, false, SetOp::kInter, false); }
void ZdiffCommand(CommandContext& ctx) { SetOpGeneric(ctx, false, SetOp::kDiff, false); }
void ZintercardCommand(CommandContext& ctx) { SetOpGeneric(ctx, false, SetOp::kInter, true); }

// ZRANDMEMBER key [count [WITHSCORES]]
void ZrandmemberCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  if (a.size() == 2) {
    keyspace::Read<ZSetValue>(ctx, a[1], [&](const ZSetValue* zset) {
      if (zset == nullptr) return ctx.reply.Null();
      std::uniform_int_distribution<std::size_t> pick(0, zset->size() - 1);
      zset->for_each_from_rank(pick(Rng()), false, [&](std::string_view member, double) {
        ctx.reply.Bulk(member);
        return false;
      });
    });
    return;
  }
  int64_t count = 0;
  if (!ParseInt64(a[2], &count)) return ctx.reply.Error(kNotIntegerError);
  if (count == std::numeric_limits<int64_t>::min()) {
    return ctx.reply.Error(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807");
  }
  bool withscores = false;
  if (a.size() > 4 || (a.size() == 4 && !EqualsIgnoreCase(a[3], "withscores"))) {
    return ctx.reply.Error(kSyntaxError);
  }
  if (a.size() == 4) {
    withscores = true;
    constexpr int64_t kHalf = std::numeric_limits<int64_t>::max() / 2;
    if (count < -kHalf || count > kHalf) return ctx.reply.Error("ERR value is out of range");
  }
  keyspace::Read<ZSetValue>(ctx, a[1], [&](const ZSetValue* zset) {
    if (zset == nullptr || count == 0) return ctx.reply.ArrayHeader(0);
    std::vector<ScoredView> all;
    all.reserve(zset->size());
    zset->for_each_from_rank(0, false, [&](std::string_view member, double score) {
      all.push_back({member, score});
      return true;
    });
    std::vector<ScoredView> out;
    if (count < 0) {
      // May repeat members: each pick is independent, written as it is
      // drawn (-count may be far larger than the set), and the drawing stops
      // once the client's output limit has cut the reply off.
      std::uniform_int_distribution<std::size_t> pick(0, all.size() - 1);
      const auto n = static_cast<uint64_t>(-count);
      const bool pairs = withscores && ctx.reply.protocol() >= 3;
      ctx.reply.ArrayHeader(withscores && !pairs ? n * 2 : n);
      for (uint64_t k = 0; k < n && !ctx.reply.over_cap(); ++k) {
        const ScoredView& e = all[pick(Rng())];
        if (pairs) ctx.reply.ArrayHeader(2);
        ctx.reply.Bulk(e.member);
        if (withscores) ctx.reply.Double(e.score);
      }
      return;
    } else if (static_cast<uint64_t>(count) >= all.size()) {
      out = std::move(all);
    } else {
      // Distinct members: the first `count` places of a partial shuffle.
      const auto n = static_cast<std::size_t>(count);
      for (std::size_t k = 0; k < n; ++k) {
        std::uniform_int_distribution<std::size_t> pick(k, all.size() - 1);
        std::swap(all[k], all[pick(Rng())]);
      }
      all.resize(n);
      out = std::move(all);
    }
    ReplyScoredList(ctx, out, withscores);
  });
}

// ZSCAN key cursor [MATCH pattern] [COUNT count]: every member in one reply,
// with cursor 0 (a SCAN step may return any number of elements).
void ZscanCommand(CommandContext& ctx) {
  const auto& a = ctx.argv;
  {
    // Redis's parseScanCursorOrReply: strtoul over the whole argument.
    const std::string cursor(a[2]);
    char* end = nullptr;
    errno = 0;
    (void)std::strtoul(cursor.c_str(), &end, 10);
    if ((!cursor.empty() && std::isspace(static_cast<unsigned char>(cursor[0]))) ||
        end != cursor.c_str() + cursor.size() || errno == ERANGE) {
      return ctx.reply.Error("ERR invalid cursor");
    }
  }
  // The options, whose errors Redis replies only for a present sorted set.
  const char* option_error = nullptr;
  std::string_view pattern = "*";
  for (std::size_t j = 3; j < a.size() && option_error == nullptr; j += 2) {
    int64_t count = 0;
    if (j + 1 >= a.size()) {
      option_error = kSyntaxError;
    } else if (EqualsIgnoreCase(a[j], "count")) {
      if (!ParseInt64(a[j + 1], &count)) {
        option_error = kNotIntegerError;
      } else if (count < 1) {
        option_error = kSyntaxError;
      }
    } else if (EqualsIgnoreCase(a[j], "match")) {
      pattern = a[j + 1];
    } else {
      option_error = kSyntaxError;
    }
  }
  keyspace::Read<ZSetValue>(ctx, a[1], [&](const ZSetValue* zset) {
    if (zset != nullptr && option_error != nullptr) return ctx.reply.Error(option_error);
    std::vector<ScoredView> out;
    if (zset != nullptr) {
      zset->for_each_from_rank(0, false, [&](std::string_view member, double score) {
        if (pattern == "*" || common::GlobMatch(pattern, member)) out.push_back({member, score});
        return true;
      });
    }
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    ctx.reply.ArrayHeader(out.size() * 2);
    for (const ScoredView& e : out) {
      ctx.reply.Bulk(e.member);
      ctx.reply.Bulk(ScoreText(e.score));
    }
  });
}

}  // namespace kvstore::server
