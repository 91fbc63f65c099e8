// Copyright (c) the kvstore developers.
//
// The score and member intervals of the sorted-set commands (ZRANGEBYSCORE,
// ZCOUNT, ZRANGEBYLEX, ZLEXCOUNT, ZREMRANGEBY*...): their argument syntax as
// Redis 7.0 parses it, and the walks over a ZSetValue that visit exactly the
// members inside one.

#ifndef KVSTORE_SERVER_ZSET_RANGE_H_
#define KVSTORE_SERVER_ZSET_RANGE_H_

#include <functional>
#include <string_view>

#include "kvstore/types.h"

namespace kvstore::server {

// A score interval: "1.5" (inclusive), "(1.5" (exclusive), "-inf", "+inf".
struct ScoreRange {
  double min = 0;
  double max = 0;
  bool min_exclusive = false;
  bool max_exclusive = false;

  bool AboveMin(double v) const { return min_exclusive ? v > min : v >= min; }
  bool BelowMax(double v) const { return max_exclusive ? v < max : v <= max; }
  // No score can be inside (min > max, or min == max with an open end).
  bool Empty() const;
};

// Redis's zslParseRange: each bound is strtod's syntax over the whole
// argument after an optional "(" (so "" and "(" are 0), and not NaN. False
// for "ERR min or max is not a float".
bool ParseScoreRange(std::string_view min, std::string_view max, ScoreRange* out);

// A member interval: "[a" (inclusive), "(a" (exclusive), "-" (below every
// member), "+" (above every member). Views point into the arguments.
struct LexRange {
  struct Bound {
    enum Kind { kValue, kMinusInf, kPlusInf };
    Kind kind = kValue;
    std::string_view value;  // kValue only
    bool exclusive = false;
  };
  Bound min;
  Bound max;

  bool AboveMin(std::string_view member) const;
  bool BelowMax(std::string_view member) const;
  // No member can be inside.
  bool Empty() const;
};

// Redis's zslParseLexRange. False for "ERR min or max not valid string range
// item".
bool ParseLexRange(std::string_view min, std::string_view max, LexRange* out);

using ZSetVisitor = std::function<bool(std::string_view member, double score)>;

// Visits the members of zset inside range in ascending order (descending when
// reverse), until fn returns false.
void ForEachInScoreRange(const ZSetValue& zset, const ScoreRange& range, bool reverse,
                         const ZSetVisitor& fn);
void ForEachInLexRange(const ZSetValue& zset, const LexRange& range, bool reverse,
                       const ZSetVisitor& fn);

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_ZSET_RANGE_H_
