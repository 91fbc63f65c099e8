// Copyright (c) the kvstore developers.
//
// See zset_range.h.

#include "zset_range.h"

#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>

namespace kvstore::server {

namespace {

// One bound of a score interval: strtod over the whole text, not NaN.
bool ParseScoreBound(std::string_view text, double* value, bool* exclusive) {
  *exclusive = !text.empty() && text[0] == '(';
  if (*exclusive) text.remove_prefix(1);
  const std::string tmp(text);  // strtod needs a terminated string
  char* end = nullptr;
  *value = std::strtod(tmp.c_str(), &end);
  return end == tmp.c_str() + tmp.size() && !std::isnan(*value);
}

bool ParseLexBound(std::string_view text, LexRange::Bound* out) {
  if (text.empty()) return false;
  switch (text[0]) {
    case '+':
    case '-':
      if (text.size() != 1) return false;
      out->kind = text[0] == '+' ? LexRange::Bound::kPlusInf : LexRange::Bound::kMinusInf;
      out->exclusive = true;
      return true;
    case '(':
    case '[':
      out->kind = LexRange::Bound::kValue;
      out->value = text.substr(1);
      out->exclusive = text[0] == '(';
      return true;
    default:
      return false;
  }
}

}  // namespace

bool ScoreRange::Empty() const {
  return min > max || (min == max && (min_exclusive || max_exclusive));
}

bool ParseScoreRange(std::string_view min, std::string_view max, ScoreRange* out) {
  return ParseScoreBound(min, &out->min, &out->min_exclusive) &&
         ParseScoreBound(max, &out->max, &out->max_exclusive);
}

bool LexRange::AboveMin(std::string_view member) const {
  switch (min.kind) {
    case Bound::kMinusInf:
      return true;
    case Bound::kPlusInf:
      return false;
    case Bound::kValue:
      break;
  }
  const int c = member.compare(min.value);
  return min.exclusive ? c > 0 : c >= 0;
}

bool LexRange::BelowMax(std::string_view member) const {
  switch (max.kind) {
    case Bound::kMinusInf:
      return false;
    case Bound::kPlusInf:
      return true;
    case Bound::kValue:
      break;
  }
  const int c = member.compare(max.value);
  return max.exclusive ? c < 0 : c <= 0;
}

bool LexRange::Empty() const {
  if (min.kind == Bound::kPlusInf || max.kind == Bound::kMinusInf) return true;
  if (min.kind != Bound::kValue || max.kind != Bound::kValue) return false;
  const int c = min.value.compare(max.value);
  return c > 0 || (c == 0 && (min.exclusive || max.exclusive));
}

bool ParseLexRange(std::string_view min, std::string_view max, LexRange* out) {
  return ParseLexBound(min, &out->min) && ParseLexBound(max, &out->max);
}

void ForEachInScoreRange(const ZSetValue& zset, const ScoreRange& range, bool reverse,
                         const ZSetVisitor& fn) {
  if (range.Empty()) return;
  if (!reverse) {
    zset.for_each_from_score(range.min, range.min_exclusive, false,
                             [&](std::string_view member, double score) {
                               return range.BelowMax(score) && fn(member, score);
                             });
  } else {
    zset.for_each_from_score(range.max, range.max_exclusive, true,
                             [&](std::string_view member, double score) {
                               return range.AboveMin(score) && fn(member, score);
                             });
  }
}

void ForEachInLexRange(const ZSetValue& zset, const LexRange& range, bool reverse,
                       const ZSetVisitor& fn) {
  if (range.Empty()) return;
  const LexRange::Bound& start = reverse ? range.max : range.min;
  std::optional<std::string_view> from;
  if (start.kind == LexRange::Bound::kValue) from = start.value;
  zset.for_each_from_lex(
      from, start.exclusive, reverse, [&](std::string_view member, double score) {
        const bool inside = reverse ? range.AboveMin(member) : range.BelowMax(member);
        return inside && fn(member, score);
      });
}

}  // namespace kvstore::server
