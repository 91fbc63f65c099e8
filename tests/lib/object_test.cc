// Copyright (c) the kvstore developers.
//
// The typed values (src/object.h, include/kvstore/types.h): every op on every
// type, the compact encodings' conversions at their exact limits (and never
// back), the read interfaces in both encodings, Clone, the ops' byte form,
// ApplyOp's refusal of bad arguments without changing the object, and a
// randomized comparison of each type against a plain reference model.

#include "object.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "counted_tree.h"
#include "decimal.h"
#include "list_object.h"

namespace kvstore {
namespace {

using Strings = std::vector<std::string>;

constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<std::string_view> Views(const Strings& args) {
  return std::vector<std::string_view>(args.begin(), args.end());
}

// Applies an op through its byte form (EncodeOp, DecodeOp), as replay does.
bool Apply(Object* obj, OpCode code, const Strings& args, const EncodingLimits& limits = {},
           std::string* why = nullptr) {
  std::string bytes;
  const auto views = Views(args);
  EncodeOp(code, views, &bytes);
  OpCode decoded;
  std::vector<std::string_view> decoded_args;
  EXPECT_TRUE(DecodeOp(bytes, &decoded, &decoded_args));
  EXPECT_EQ(decoded, code);
  EXPECT_EQ(decoded_args, views);
  std::string ignored;
  return ApplyOp(obj, code, decoded_args, limits, why != nullptr ? why : &ignored);
}

// The arguments of a ZSetAdd: score, member pairs.
Strings ZArgs(const std::vector<std::pair<double, std::string>>& pairs) {
  Strings args;
  for (const auto& [score, member] : pairs) {
    args.push_back(EncodeScore(score));
    args.push_back(member);
  }
  return args;
}

HashValue* H(const std::unique_ptr<Object>& o) { return static_cast<HashValue*>(o.get()); }
SetValue* S(const std::unique_ptr<Object>& o) { return static_cast<SetValue*>(o.get()); }
ZSetValue* Z(const std::unique_ptr<Object>& o) { return static_cast<ZSetValue*>(o.get()); }
ListValue* L(const std::unique_ptr<Object>& o) { return static_cast<ListValue*>(o.get()); }

std::vector<std::pair<std::string, std::string>> HashPairs(const HashValue& h) {
  std::vector<std::pair<std::string, std::string>> out;
  h.for_each([&](std::string_view f, std::string_view v) {
    out.emplace_back(f, v);
    return true;
  });
  return out;
}

Strings SetMembers(const SetValue& s) {
  Strings out;
  s.for_each([&](std::string_view m) {
    out.emplace_back(m);
    return true;
  });
  return out;
}

std::vector<std::pair<std::string, double>> ZFrom(const ZSetValue& z, std::size_t start,
                                                  bool reverse) {
  std::vector<std::pair<std::string, double>> out;
  z.for_each_from_rank(start, reverse, [&](std::string_view m, double s) {
    out.emplace_back(m, s);
    return true;
  });
  return out;
}

Strings ZMembers(const std::vector<std::pair<std::string, double>>& entries) {
  Strings out;
  for (const auto& e : entries) out.push_back(e.first);
  return out;
}

Strings ZByScore(const ZSetValue& z, double min, bool exclusive, bool reverse) {
  Strings out;
  z.for_each_from_score(min, exclusive, reverse, [&](std::string_view m, double) {
    out.emplace_back(m);
    return true;
  });
  return out;
}

Strings ZByLex(const ZSetValue& z, std::optional<std::string_view> min, bool exclusive,
               bool reverse) {
  Strings out;
  z.for_each_from_lex(min, exclusive, reverse, [&](std::string_view m, double) {
    out.emplace_back(m);
    return true;
  });
  return out;
}

Strings ListElements(const ListValue& l) {
  Strings out;
  if (l.size() == 0) return out;
  l.for_each_from(0, false, [&](std::string_view e) {
    out.emplace_back(e);
    return true;
  });
  return out;
}

// Everything an object holds, with its encoding, as text (for "unchanged").
std::string Dump(const Object& obj) {
  std::string out = std::string(TypeName(obj.type())) + "/" + std::string(obj.encoding()) + ":";
  switch (obj.type()) {
    case Type::kHash: {
      // Sorted: a hash table's order is its own (a copy may differ).
      auto pairs = HashPairs(static_cast<const HashValue&>(obj));
      std::sort(pairs.begin(), pairs.end());
      for (const auto& [f, v] : pairs) out += f + "=" + v + ";";
      break;
    }
    case Type::kSet: {
      Strings members = SetMembers(static_cast<const SetValue&>(obj));
      std::sort(members.begin(), members.end());
      for (const auto& m : members) out += m + ";";
      break;
    }
    case Type::kZSet:
      for (const auto& [m, s] : ZFrom(static_cast<const ZSetValue&>(obj), 0, false)) {
        out += m + "@" + std::to_string(s) + ";";
      }
      break;
    case Type::kList:
      for (const auto& e : ListElements(static_cast<const ListValue&>(obj))) out += e + ";";
      break;
    default:
      break;
  }
  return out;
}

// --- types.h helpers -----------------------------------------------------------

TEST(ObjectTest, TypeNamesAndOpTypes) {
  EXPECT_EQ(TypeName(Type::kNone), "none");
  EXPECT_EQ(TypeName(Type::kString), "string");
  EXPECT_EQ(TypeName(Type::kList), "list");
  EXPECT_EQ(TypeName(Type::kSet), "set");
  EXPECT_EQ(TypeName(Type::kZSet), "zset");
  EXPECT_EQ(TypeName(Type::kHash), "hash");
  EXPECT_EQ(OpType(OpCode::kHashSet), Type::kHash);
  EXPECT_EQ(OpType(OpCode::kHashDel), Type::kHash);
  EXPECT_EQ(OpType(OpCode::kSetAdd), Type::kSet);
  EXPECT_EQ(OpType(OpCode::kSetRem), Type::kSet);
  EXPECT_EQ(OpType(OpCode::kZSetAdd), Type::kZSet);
  EXPECT_EQ(OpType(OpCode::kZSetRem), Type::kZSet);
  for (uint8_t c = 7; c <= 12; ++c)
    EXPECT_EQ(OpType(static_cast<OpCode>(c)), Type::kList) << int{c};
  EXPECT_EQ(OpType(static_cast<OpCode>(0)), Type::kNone);
  EXPECT_EQ(OpType(static_cast<OpCode>(kMaxOpCode + 1)), Type::kNone);
}

TEST(ObjectTest, ScoreEncodingIsExact) {
  for (double d :
       {0.0, -0.0, 1.0, -1.5, 0.1, kInf, -kInf, std::numeric_limits<double>::denorm_min(),
        std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest()}) {
    const std::string bytes = EncodeScore(d);
    ASSERT_EQ(bytes.size(), 8u);
    const double back = DecodeScore(bytes);
    EXPECT_EQ(std::memcmp(&back, &d, 8), 0) << d;
  }
  // Little-endian IEEE 754: 1.0 is 0x3ff0000000000000.
  EXPECT_EQ(EncodeScore(1.0), std::string("\0\0\0\0\0\0\xf0\x3f", 8));
  EXPECT_TRUE(std::isnan(DecodeScore(EncodeScore(std::nan("")))));
}

TEST(ObjectTest, CanonicalIntegers) {
  int64_t v;
  for (const char* s : {"0", "1", "-1", "123", "9223372036854775807", "-9223372036854775808"}) {
    EXPECT_TRUE(ParseCanonicalInt64(s, &v)) << s;
    EXPECT_EQ(std::to_string(v), s);
  }
  for (const char* s :
       {"", "-", "-0", "+1", "01", "00", " 1", "1 ", "1a", "0x1", "9223372036854775808",
        "-9223372036854775809", "99999999999999999999", "1.0", "1e3"}) {
    EXPECT_FALSE(ParseCanonicalInt64(s, &v)) << s;
  }
}

TEST(ObjectTest, NewObjectStartsCompactAndEmpty) {
  EXPECT_EQ(NewObject(Type::kHash)->encoding(), "listpack");
  EXPECT_EQ(NewObject(Type::kSet)->encoding(), "intset");
  EXPECT_EQ(NewObject(Type::kZSet)->encoding(), "listpack");
  EXPECT_EQ(NewObject(Type::kList)->encoding(), "quicklist");
  for (Type t : {Type::kHash, Type::kSet, Type::kZSet, Type::kList}) {
    auto o = NewObject(t);
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->type(), t);
    EXPECT_EQ(o->size(), 0u);
  }
  EXPECT_EQ(NewObject(Type::kString), nullptr);
  EXPECT_EQ(NewObject(Type::kNone), nullptr);
}

// --- hash --------------------------------------------------------------------

TEST(ObjectTest, HashSetGetDelInInsertionOrder) {
  auto o = NewObject(Type::kHash);
  ASSERT_TRUE(Apply(o.get(), OpCode::kHashSet, {"b", "1", "a", "2", "c", "3"}));
  ASSERT_TRUE(Apply(o.get(), OpCode::kHashSet, {"a", "22"}));  // update keeps its place
  EXPECT_EQ(o->size(), 3u);
  EXPECT_EQ(H(o)->get("a"), "22");
  EXPECT_EQ(H(o)->get("zz"), std::nullopt);
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(HashPairs(*H(o)), (P{{"b", "1"}, {"a", "22"}, {"c", "3"}}));
  EXPECT_EQ(H(o)->at(0), std::make_pair(std::string_view("b"), std::string_view("1")));
  EXPECT_EQ(H(o)->at(2), std::make_pair(std::string_view("c"), std::string_view("3")));
  // The same field twice in one op: the last value wins.
  ASSERT_TRUE(Apply(o.get(), OpCode::kHashSet, {"d", "x", "d", "y"}));
  EXPECT_EQ(H(o)->get("d"), "y");
  ASSERT_TRUE(Apply(o.get(), OpCode::kHashDel, {"a", "missing", "d"}));
  EXPECT_EQ(HashPairs(*H(o)), (P{{"b", "1"}, {"c", "3"}}));
  // for_each stops when fn says so.
  int calls = 0;
  H(o)->for_each([&](std::string_view, std::string_view) { return ++calls < 1; });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(o->encoding(), "listpack");
}

TEST(ObjectTest, HashConvertsAtEntryLimitAndNeverBack) {
  EncodingLimits limits;
  limits.hash_max_listpack_entries = 4;
  auto o = NewObject(Type::kHash);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(Apply(o.get(), OpCode::kHashSet, {"f" + std::to_string(i), "v"}, limits));
  }
  EXPECT_EQ(o->encoding(), "listpack");  // exactly the limit: still compact
  ASSERT_TRUE(Apply(o.get(), OpCode::kHashSet, {"f0", "updated"}, limits));
  EXPECT_EQ(o->encoding(), "listpack");  // an update adds no entry
  ASSERT_TRUE(Apply(o.get(), OpCode::kHashSet, {"f4", "v"}, limits));
  EXPECT_EQ(o->encoding(), "hashtable");
  EXPECT_EQ(o->size(), 5u);
  EXPECT_EQ(H(o)->get("f0"), "updated");
  ASSERT_TRUE(Apply(o.get(), OpCode::kHashDel, {"f0", "f1", "f2", "f3"}, limits));
  EXPECT_EQ(o->encoding(), "hashtable");
  EXPECT_EQ(H(o)->get("f4"), "v");
  EXPECT_EQ(H(o)->at(0).first, "f4");
}

TEST(ObjectTest, HashConvertsOnLongFieldOrValue) {
  EncodingLimits limits;
  limits.hash_max_listpack_value = 8;
  const std::string eight(8, 'x'), nine(9, 'y');
  auto o = NewObject(Type::kHash);
  ASSERT_TRUE(Apply(o.get(), OpCode::kHashSet, {eight, eight}, limits));
  EXPECT_EQ(o->encoding(), "listpack");
  auto by_value = o->Clone();
  ASSERT_TRUE(Apply(by_value.get(), OpCode::kHashSet, {"f", nine}, limits));
  EXPECT_EQ(by_value->encoding(), "hashtable");
  EXPECT_EQ(H(by_value)->get("f"), nine);
  auto by_field = o->Clone();
  ASSERT_TRUE(Apply(by_field.get(), OpCode::kHashSet, {nine, "v"}, limits));
  EXPECT_EQ(by_field->encoding(), "hashtable");
  EXPECT_EQ(H(by_field)->get(eight), eight);
  // Shrinking the value back does not convert back.
  ASSERT_TRUE(Apply(by_value.get(), OpCode::kHashSet, {"f", "s"}, limits));
  EXPECT_EQ(by_value->encoding(), "hashtable");
}

TEST(ObjectTest, HashAtCoversEveryPairInBothEncodings) {
  EncodingLimits limits;
  limits.hash_max_listpack_entries = 3;
  auto o = NewObject(Type::kHash);
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 3; ++i) {
      const std::string f = "f" + std::to_string(round * 3 + i);
      ASSERT_TRUE(Apply(o.get(), OpCode::kHashSet, {f, "v" + f}, limits));
    }
    const auto pairs = HashPairs(*H(o));
    ASSERT_EQ(pairs.size(), o->size());
    for (std::size_t i = 0; i < o->size(); ++i) {
      EXPECT_EQ(H(o)->at(i).first, pairs[i].first);
      EXPECT_EQ(H(o)->at(i).second, pairs[i].second);
    }
  }
  EXPECT_EQ(o->encoding(), "hashtable");
}

// --- set ---------------------------------------------------------------------

TEST(ObjectTest, IntsetKeepsIntegersSortedAndAnswersAt) {
  auto o = NewObject(Type::kSet);
  ASSERT_TRUE(Apply(o.get(), OpCode::kSetAdd,
                    {"5", "-3", "100", "0", "5", "-9223372036854775808", "9223372036854775807"}));
  EXPECT_EQ(o->encoding(), "intset");
  EXPECT_EQ(o->size(), 6u);
  const Strings sorted = {"-9223372036854775808", "-3", "0", "5", "100", "9223372036854775807"};
  EXPECT_EQ(SetMembers(*S(o)), sorted);
  for (std::size_t i = 0; i < sorted.size(); ++i) EXPECT_EQ(std::string(S(o)->at(i)), sorted[i]);
  EXPECT_TRUE(S(o)->contains("100"));
  EXPECT_FALSE(S(o)->contains("101"));
  EXPECT_FALSE(S(o)->contains("0100"));  // not the canonical text of 100
  EXPECT_FALSE(S(o)->contains("abc"));
  // at()'s buffer is per thread: another thread's at() leaves this view alone.
  const std::string_view first = S(o)->at(0);
  std::thread other([&] {
    for (int i = 0; i < 100; ++i) EXPECT_EQ(S(o)->at(5), "9223372036854775807");
  });
  other.join();
  EXPECT_EQ(first, "-9223372036854775808");
  // for_each's text is its own: at() inside fn does not change it.
  S(o)->for_each([&](std::string_view m) {
    const std::string before(m);
    EXPECT_EQ(S(o)->at(2), "0");
    EXPECT_EQ(m, before);
    return true;
  });
  ASSERT_TRUE(Apply(o.get(), OpCode::kSetRem, {"-3", "7", "x"}));
  EXPECT_EQ(o->size(), 5u);
  EXPECT_FALSE(S(o)->contains("-3"));
  EXPECT_EQ(o->encoding(), "intset");
}

TEST(ObjectTest, NonCanonicalIntegersConvertTheIntset) {
  for (const char* member : {"-0", "+1", "01", " 1", "1 ", "", "9223372036854775808", "1.0", "a"}) {
    auto o = NewObject(Type::kSet);
    ASSERT_TRUE(Apply(o.get(), OpCode::kSetAdd, {"1", "2"}));
    ASSERT_EQ(o->encoding(), "intset");
    ASSERT_TRUE(Apply(o.get(), OpCode::kSetAdd, {member}));
    EXPECT_EQ(o->encoding(), "hashtable") << member;
    EXPECT_EQ(o->size(), 3u) << member;
    EXPECT_TRUE(S(o)->contains(member)) << member;
    EXPECT_TRUE(S(o)->contains("1"));
    EXPECT_TRUE(S(o)->contains("2"));
    // Removing the non-integer does not convert back.
    ASSERT_TRUE(Apply(o.get(), OpCode::kSetRem, {member}));
    EXPECT_EQ(o->encoding(), "hashtable");
    EXPECT_EQ(o->size(), 2u);
  }
}

TEST(ObjectTest, IntsetConvertsPastItsEntryLimit) {
  EncodingLimits limits;
  limits.set_max_intset_entries = 3;
  auto o = NewObject(Type::kSet);
  ASSERT_TRUE(Apply(o.get(), OpCode::kSetAdd, {"3", "1", "2"}, limits));
  EXPECT_EQ(o->encoding(), "intset");
  ASSERT_TRUE(Apply(o.get(), OpCode::kSetAdd, {"2"}, limits));  // present: no growth
  EXPECT_EQ(o->encoding(), "intset");
  ASSERT_TRUE(Apply(o.get(), OpCode::kSetAdd, {"4"}, limits));
  EXPECT_EQ(o->encoding(), "hashtable");
  Strings members = SetMembers(*S(o));
  std::sort(members.begin(), members.end());
  EXPECT_EQ(members, (Strings{"1", "2", "3", "4"}));
  ASSERT_TRUE(Apply(o.get(), OpCode::kSetRem, {"1", "2", "3"}, limits));
  EXPECT_EQ(o->encoding(), "hashtable");
  EXPECT_EQ(std::string(S(o)->at(0)), "4");
}

TEST(ObjectTest, SetHashtableAtStaysDenseAfterRemovals) {
  auto o = NewObject(Type::kSet);
  Strings all;
  for (int i = 0; i < 50; ++i) all.push_back("m" + std::to_string(i));
  ASSERT_TRUE(Apply(o.get(), OpCode::kSetAdd, all));
  ASSERT_TRUE(Apply(o.get(), OpCode::kSetRem, {"m0", "m49", "m17", "m25"}));
  EXPECT_EQ(o->size(), 46u);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < o->size(); ++i) seen.emplace(S(o)->at(i));
  std::set<std::string> expected(all.begin(), all.end());
  for (const char* gone : {"m0", "m49", "m17", "m25"}) expected.erase(gone);
  EXPECT_EQ(seen, expected);
  for (const auto& m : expected) EXPECT_TRUE(S(o)->contains(m)) << m;
}

// --- sorted set --------------------------------------------------------------

// Both encodings: the default limits, and a limit of 0 entries (skiplist at once).
std::vector<EncodingLimits> ZSetLimits() {
  EncodingLimits skiplist;
  skiplist.zset_max_listpack_entries = 0;
  return {EncodingLimits{}, skiplist};
}

TEST(ObjectTest, ZSetOrdersByScoreThenMember) {
  for (const EncodingLimits& limits : ZSetLimits()) {
    auto o = NewObject(Type::kZSet);
    ASSERT_TRUE(Apply(o.get(), OpCode::kZSetAdd,
                      ZArgs({{2, "b"},
                             {1, "z"},
                             {2, "a"},
                             {-kInf, "low"},
                             {kInf, "high"},
                             {1, "y"},
                             {2, "\xff"},
                             {2, "B"}}),
                      limits));
    SCOPED_TRACE(std::string(o->encoding()));
    const Strings order = {"low", "y", "z", "B", "a", "b", "\xff", "high"};
    EXPECT_EQ(ZMembers(ZFrom(*Z(o), 0, false)), order);
    for (std::size_t i = 0; i < order.size(); ++i) EXPECT_EQ(Z(o)->rank(order[i]), i);
    EXPECT_EQ(Z(o)->rank("missing"), std::nullopt);
    EXPECT_EQ(Z(o)->score("low"), -kInf);
    EXPECT_EQ(Z(o)->score("b"), 2.0);
    EXPECT_EQ(Z(o)->score("missing"), std::nullopt);
    // Moving a member reorders it; the same score again changes nothing.
    ASSERT_TRUE(Apply(o.get(), OpCode::kZSetAdd, ZArgs({{0, "high"}, {1, "y"}}), limits));
    EXPECT_EQ(ZMembers(ZFrom(*Z(o), 0, false)),
              (Strings{"low", "high", "y", "z", "B", "a", "b", "\xff"}));
    EXPECT_EQ(Z(o)->rank("high"), 1u);
    EXPECT_EQ(Z(o)->score("high"), 0.0);
    ASSERT_TRUE(Apply(o.get(), OpCode::kZSetRem, {"a", "missing", "low"}, limits));
    EXPECT_EQ(ZMembers(ZFrom(*Z(o), 0, false)), (Strings{"high", "y", "z", "B", "b", "\xff"}));
    EXPECT_EQ(Z(o)->rank("\xff"), 5u);
    EXPECT_EQ(o->size(), 6u);
  }
}

TEST(ObjectTest, ZSetRankWalksBothWays) {
  for (const EncodingLimits& limits : ZSetLimits()) {
    auto o = NewObject(Type::kZSet);
    std::vector<std::pair<double, std::string>> pairs;
    for (int i = 0; i < 20; ++i) pairs.emplace_back(i, "m" + std::to_string(100 + i));
    ASSERT_TRUE(Apply(o.get(), OpCode::kZSetAdd, ZArgs(pairs), limits));
    SCOPED_TRACE(std::string(o->encoding()));
    for (std::size_t start = 0; start < 21; ++start) {
      auto up = ZFrom(*Z(o), start, false);
      auto down = ZFrom(*Z(o), start, true);
      ASSERT_EQ(up.size(), start < 20 ? 20 - start : 0);
      ASSERT_EQ(down.size(), up.size());
      for (std::size_t i = 0; i < up.size(); ++i) {
        EXPECT_EQ(up[i].second, static_cast<double>(start + i));
        EXPECT_EQ(down[i].second, static_cast<double>(19 - start - i));
      }
    }
    EXPECT_TRUE(ZFrom(*Z(o), 1000, false).empty());
    // fn stops the walk.
    int calls = 0;
    Z(o)->for_each_from_rank(0, true, [&](std::string_view, double) { return ++calls < 3; });
    EXPECT_EQ(calls, 3);
  }
}

TEST(ObjectTest, ZSetFromScoreInclusiveAndExclusiveBothWays) {
  for (const EncodingLimits& limits : ZSetLimits()) {
    auto o = NewObject(Type::kZSet);
    ASSERT_TRUE(Apply(o.get(), OpCode::kZSetAdd,
                      ZArgs({{1, "a"}, {2, "b1"}, {2, "b2"}, {3, "c"}, {-kInf, "n"}, {kInf, "p"}}),
                      limits));
    SCOPED_TRACE(std::string(o->encoding()));
    const ZSetValue& z = *Z(o);
    EXPECT_EQ(ZByScore(z, 2, false, false), (Strings{"b1", "b2", "c", "p"}));
    EXPECT_EQ(ZByScore(z, 2, true, false), (Strings{"c", "p"}));
    EXPECT_EQ(ZByScore(z, 2, false, true), (Strings{"b2", "b1", "a", "n"}));
    EXPECT_EQ(ZByScore(z, 2, true, true), (Strings{"a", "n"}));
    EXPECT_EQ(ZByScore(z, 2.5, false, false), (Strings{"c", "p"}));
    EXPECT_EQ(ZByScore(z, 2.5, true, true), (Strings{"b2", "b1", "a", "n"}));
    EXPECT_EQ(ZByScore(z, -kInf, false, false).size(), 6u);
    EXPECT_EQ(ZByScore(z, -kInf, true, false).size(), 5u);
    EXPECT_EQ(ZByScore(z, kInf, false, true).size(), 6u);
    EXPECT_EQ(ZByScore(z, kInf, true, true).size(), 5u);
    EXPECT_TRUE(ZByScore(z, kInf, true, false).empty());
    EXPECT_TRUE(ZByScore(z, -kInf, true, true).empty());
  }
}

TEST(ObjectTest, ZSetFromLexInclusiveAndExclusiveBothWays) {
  for (const EncodingLimits& limits : ZSetLimits()) {
    auto o = NewObject(Type::kZSet);
    ASSERT_TRUE(Apply(o.get(), OpCode::kZSetAdd,
                      ZArgs({{0, "b"}, {0, "a"}, {0, "d"}, {0, "c"}, {0, "ca"}}), limits));
    SCOPED_TRACE(std::string(o->encoding()));
    const ZSetValue& z = *Z(o);
    EXPECT_EQ(ZByLex(z, "c", false, false), (Strings{"c", "ca", "d"}));
    EXPECT_EQ(ZByLex(z, "c", true, false), (Strings{"ca", "d"}));
    EXPECT_EQ(ZByLex(z, "c", false, true), (Strings{"c", "b", "a"}));
    EXPECT_EQ(ZByLex(z, "c", true, true), (Strings{"b", "a"}));
    EXPECT_EQ(ZByLex(z, "bb", false, false), (Strings{"c", "ca", "d"}));
    EXPECT_EQ(ZByLex(z, "bb", true, true), (Strings{"b", "a"}));
    EXPECT_EQ(ZByLex(z, std::nullopt, false, false), (Strings{"a", "b", "c", "ca", "d"}));
    EXPECT_EQ(ZByLex(z, std::nullopt, false, true), (Strings{"d", "ca", "c", "b", "a"}));
    EXPECT_TRUE(ZByLex(z, "e", false, false).empty());
    EXPECT_TRUE(ZByLex(z, "", true, true).empty());
    EXPECT_EQ(ZByLex(z, "", false, false).size(), 5u);
  }
}

TEST(ObjectTest, ZSetConvertsAtEntryAndLengthLimits) {
  EncodingLimits limits;
  limits.zset_max_listpack_entries = 3;
  limits.zset_max_listpack_value = 4;
  auto o = NewObject(Type::kZSet);
  ASSERT_TRUE(Apply(o.get(), OpCode::kZSetAdd, ZArgs({{1, "aaaa"}, {2, "b"}, {3, "c"}}), limits));
  EXPECT_EQ(o->encoding(), "listpack");  // 3 entries, 4-byte member: at the limits
  ASSERT_TRUE(Apply(o.get(), OpCode::kZSetAdd, ZArgs({{0, "c"}}), limits));  // update only
  EXPECT_EQ(o->encoding(), "listpack");
  auto long_member = o->Clone();
  ASSERT_TRUE(Apply(o.get(), OpCode::kZSetAdd, ZArgs({{4, "d"}}), limits));
  EXPECT_EQ(o->encoding(), "skiplist");
  EXPECT_EQ(ZMembers(ZFrom(*Z(o), 0, false)), (Strings{"c", "aaaa", "b", "d"}));
  ASSERT_TRUE(Apply(o.get(), OpCode::kZSetRem, {"aaaa", "b", "c"}, limits));
  EXPECT_EQ(o->encoding(), "skiplist");
  EXPECT_EQ(Z(o)->rank("d"), 0u);

  ASSERT_TRUE(Apply(long_member.get(), OpCode::kZSetRem, {"b"}, limits));
  ASSERT_TRUE(Apply(long_member.get(), OpCode::kZSetAdd, ZArgs({{9, "eeeee"}}), limits));
  EXPECT_EQ(long_member->encoding(), "skiplist");
  EXPECT_EQ(ZMembers(ZFrom(*Z(long_member), 0, false)), (Strings{"c", "aaaa", "eeeee"}));
}

// --- list --------------------------------------------------------------------

TEST(ObjectTest, ListPushPopSetInsert) {
  auto o = NewObject(Type::kList);
  ASSERT_TRUE(Apply(o.get(), OpCode::kListPush, {"L", "a", "b", "c"}));
  EXPECT_EQ(ListElements(*L(o)), (Strings{"c", "b", "a"}));
  ASSERT_TRUE(Apply(o.get(), OpCode::kListPush, {"R", "x", "y"}));
  EXPECT_EQ(ListElements(*L(o)), (Strings{"c", "b", "a", "x", "y"}));
  EXPECT_EQ(o->encoding(), "quicklist");
  EXPECT_EQ(L(o)->at(0), "c");
  EXPECT_EQ(L(o)->at(4), "y");
  ASSERT_TRUE(Apply(o.get(), OpCode::kListSet, {"1", "B"}));
  ASSERT_TRUE(Apply(o.get(), OpCode::kListInsert, {"0", "head"}));
  ASSERT_TRUE(Apply(o.get(), OpCode::kListInsert, {"6", "tail"}));
  ASSERT_TRUE(Apply(o.get(), OpCode::kListInsert, {"3", "mid"}));
  EXPECT_EQ(ListElements(*L(o)), (Strings{"head", "c", "B", "mid", "a", "x", "y", "tail"}));
  Strings back;
  L(o)->for_each_from(3, true, [&](std::string_view e) {
    back.emplace_back(e);
    return true;
  });
  EXPECT_EQ(back, (Strings{"mid", "B", "c", "head"}));
  ASSERT_TRUE(Apply(o.get(), OpCode::kListPop, {"L", "2"}));
  ASSERT_TRUE(Apply(o.get(), OpCode::kListPop, {"R", "1"}));
  ASSERT_TRUE(Apply(o.get(), OpCode::kListPop, {"R", "0"}));
  EXPECT_EQ(ListElements(*L(o)), (Strings{"B", "mid", "a", "x", "y"}));
  ASSERT_TRUE(Apply(o.get(), OpCode::kListPop, {"L", "100"}));
  EXPECT_EQ(o->size(), 0u);
  ASSERT_TRUE(Apply(o.get(), OpCode::kListPop, {"R", "1"}));  // empty: nothing to do
  EXPECT_EQ(o->size(), 0u);
}

TEST(ObjectTest, ListRemFromHeadTailOrAll) {
  const Strings start = {"a", "x", "b", "x", "c", "x", "d"};
  struct Case {
    std::string count;
    Strings expected;
  };
  for (const Case& c : std::vector<Case>{
           {"1", {"a", "b", "x", "c", "x", "d"}},
           {"2", {"a", "b", "c", "x", "d"}},
           {"5", {"a", "b", "c", "d"}},
           {"-1", {"a", "x", "b", "x", "c", "d"}},
           {"-2", {"a", "x", "b", "c", "d"}},
           {"-9223372036854775808", {"a", "b", "c", "d"}},
           {"0", {"a", "b", "c", "d"}},
       }) {
    auto o = NewObject(Type::kList);
    Strings push = {"R"};
    push.insert(push.end(), start.begin(), start.end());
    ASSERT_TRUE(Apply(o.get(), OpCode::kListPush, push));
    ASSERT_TRUE(Apply(o.get(), OpCode::kListRem, {c.count, "x"}));
    EXPECT_EQ(ListElements(*L(o)), c.expected) << c.count;
    ASSERT_TRUE(Apply(o.get(), OpCode::kListRem, {c.count, "absent"}));
    EXPECT_EQ(ListElements(*L(o)), c.expected) << c.count;
  }
}

TEST(ObjectTest, ListTrimEdges) {
  struct Case {
    std::string start, stop;
    Strings expected;
  };
  for (const Case& c : std::vector<Case>{
           {"0", "4", {"0", "1", "2", "3", "4"}},
           {"0", "100", {"0", "1", "2", "3", "4"}},
           {"1", "3", {"1", "2", "3"}},
           {"2", "2", {"2"}},
           {"4", "9", {"4"}},
           {"3", "2", {}},
           {"5", "9", {}},
           {"100", "200", {}},
           {"0", "0", {"0"}},
       }) {
    auto o = NewObject(Type::kList);
    ASSERT_TRUE(Apply(o.get(), OpCode::kListPush, {"R", "0", "1", "2", "3", "4"}));
    ASSERT_TRUE(Apply(o.get(), OpCode::kListTrim, {c.start, c.stop}));
    EXPECT_EQ(ListElements(*L(o)), c.expected) << c.start << ".." << c.stop;
  }
}

const ListObject& LO(const std::unique_ptr<Object>& o) {
  return static_cast<const ListObject&>(*o);
}

// Pushes "element:<i>" for i in [first, first + n), in ops of 1000.
void PushNumbered(Object* o, bool front, int first, int n) {
  for (int done = 0; done < n;) {
    Strings args = {front ? "L" : "R"};
    for (; done < n && args.size() <= 1000; ++done) {
      args.push_back("element:" + std::to_string(first + done));
    }
    ASSERT_TRUE(Apply(o, OpCode::kListPush, args));
  }
}

// The packed layout's point: short elements cost little more than their
// bytes (a std::string per element alone would be 32), pushed at either end.
// Redis 7.0's quicklist takes about 17 bytes per such element.
TEST(ObjectTest, ListOfShortElementsIsPacked) {
  constexpr int kN = 100000;
  for (bool front : {false, true}) {
    SCOPED_TRACE(front ? "LPUSH" : "RPUSH");
    auto o = NewObject(Type::kList);
    PushNumbered(o.get(), front, 0, kN);
    ASSERT_EQ(o->size(), std::size_t{kN});
    EXPECT_EQ(L(o)->at(0), front ? "element:99999" : "element:0");
    EXPECT_EQ(L(o)->at(kN / 2), front ? "element:49999" : "element:50000");
    std::size_t element_bytes = 0;
    for (int i = 0; i < kN; ++i) element_bytes += ("element:" + std::to_string(i)).size();
    const std::size_t bytes = ObjectBytes(*o);
    EXPECT_GE(bytes, element_bytes);
    EXPECT_LT(static_cast<double>(bytes) / kN, 17.0) << bytes;
    // About 8 KiB per chunk.
    EXPECT_LE(LO(o).chunk_count(), bytes / 8000 + 1);
    EXPECT_GE(LO(o).chunk_count(), bytes / ListObject::kChunkBlock);
    // Trimming to 1000 elements frees the rest.
    ASSERT_TRUE(Apply(o.get(), OpCode::kListTrim, {"50000", "50999"}));
    EXPECT_EQ(L(o)->at(0), front ? "element:49999" : "element:50000");
    EXPECT_LT(ObjectBytes(*o), std::size_t{1000 * 17 + 2 * ListObject::kChunkBlock});
    // And popping (from the other end) all but one leaves one small chunk.
    ASSERT_TRUE(Apply(o.get(), OpCode::kListPop, {front ? "R" : "L", "999"}));
    ASSERT_EQ(o->size(), 1u);
    EXPECT_EQ(LO(o).chunk_count(), 1u);
    EXPECT_LT(LO(o).HeapBytes(), 512u);
  }
}

// An element longer than a chunk is alone in its own; short ones around it
// go to their own chunks, and it can be replaced by a short one and back.
TEST(ObjectTest, ListLongElementHasAChunkOfItsOwn) {
  auto o = NewObject(Type::kList);
  const std::string big(20000, 'b');
  ASSERT_TRUE(Apply(o.get(), OpCode::kListPush, {"R", "a1", "a2", big, "c1", "c2"}));
  EXPECT_EQ(LO(o).chunk_count(), 3u);
  EXPECT_EQ(L(o)->at(2), big);
  EXPECT_GE(LO(o).HeapBytes(), big.size());
  ASSERT_TRUE(Apply(o.get(), OpCode::kListPush, {"L", big}));
  EXPECT_EQ(LO(o).chunk_count(), 4u);
  ASSERT_TRUE(Apply(o.get(), OpCode::kListSet, {"3", "short"}));
  EXPECT_LT(LO(o).HeapBytes(), big.size() + 1024);  // the long one's block went back
  ASSERT_TRUE(Apply(o.get(), OpCode::kListSet, {"1", big + big}));
  EXPECT_EQ(ListElements(*L(o)), (Strings{big, big + big, "a2", "short", "c1", "c2"}));
  ASSERT_TRUE(Apply(o.get(), OpCode::kListInsert, {"2", big}));
  EXPECT_EQ(ListElements(*L(o)), (Strings{big, big + big, big, "a2", "short", "c1", "c2"}));
  ASSERT_TRUE(Apply(o.get(), OpCode::kListRem, {"0", big}));
  EXPECT_EQ(ListElements(*L(o)), (Strings{big + big, "a2", "short", "c1", "c2"}));
}

// Removing most elements from the middle does not leave a trail of nearly
// empty chunks: they merge.
TEST(ObjectTest, ListRemMergesSparseChunks) {
  auto o = NewObject(Type::kList);
  Strings args = {"R"};
  Strings kept;
  for (int i = 0; i < 20000; ++i) {
    if (i % 10 == 0) {
      kept.push_back("k" + std::to_string(i));
      args.push_back(kept.back());
    } else {
      args.push_back("dropped-element");
    }
  }
  ASSERT_TRUE(Apply(o.get(), OpCode::kListPush, args));
  const std::size_t chunks_before = LO(o).chunk_count();
  EXPECT_GE(chunks_before, 30u);
  ASSERT_TRUE(Apply(o.get(), OpCode::kListRem, {"0", "dropped-element"}));
  EXPECT_EQ(ListElements(*L(o)), kept);
  // 2000 kept entries of about 8 bytes: 16 KB, 2 to 4 chunks.
  EXPECT_LE(LO(o).chunk_count(), 5u) << chunks_before;
  EXPECT_LT(LO(o).HeapBytes(), std::size_t{6 * ListObject::kChunkBlock});
}

// LINSERT in the middle of full chunks splits them; the order holds.
TEST(ObjectTest, ListInsertSplitsFullChunks) {
  auto o = NewObject(Type::kList);
  PushNumbered(o.get(), false, 0, 5000);
  const std::size_t chunks_before = LO(o).chunk_count();
  std::vector<std::string> ref;
  for (int i = 0; i < 5000; ++i) ref.push_back("element:" + std::to_string(i));
  for (int k = 0; k < 200; ++k) {
    const std::size_t at = 1 + (k * 997) % (ref.size() - 1);
    const std::string e = "inserted-" + std::to_string(k);
    ASSERT_TRUE(Apply(o.get(), OpCode::kListInsert, {std::to_string(at), e}));
    ref.insert(ref.begin() + static_cast<std::ptrdiff_t>(at), e);
  }
  EXPECT_EQ(ListElements(*L(o)), ref);
  EXPECT_GT(LO(o).chunk_count(), chunks_before);
  for (std::size_t i = 0; i < ref.size(); i += 37) ASSERT_EQ(L(o)->at(i), ref[i]) << i;
}

// --- every type --------------------------------------------------------------

TEST(ObjectTest, BadArgumentsLeaveTheObjectUnchanged) {
  EncodingLimits limits;
  limits.set_max_intset_entries = 2;
  struct Case {
    Type type;
    OpCode code;
    Strings args;
  };
  const std::string nan = EncodeScore(std::nan(""));
  const std::vector<Case> cases = {
      {Type::kHash, OpCode::kHashSet, {}},
      {Type::kHash, OpCode::kHashSet, {"f"}},
      {Type::kHash, OpCode::kHashSet, {"f", "v", "g"}},
      {Type::kHash, OpCode::kHashDel, {}},
      {Type::kSet, OpCode::kSetAdd, {}},
      {Type::kSet, OpCode::kSetRem, {}},
      {Type::kZSet, OpCode::kZSetAdd, {}},
      {Type::kZSet, OpCode::kZSetAdd, {EncodeScore(1)}},
      {Type::kZSet, OpCode::kZSetAdd, {EncodeScore(1), "m", EncodeScore(2)}},
      {Type::kZSet, OpCode::kZSetAdd, {"1234567", "m"}},
      {Type::kZSet, OpCode::kZSetAdd, {"123456789", "m"}},
      // A good pair first: nothing is applied when a later one is bad.
      {Type::kZSet, OpCode::kZSetAdd, {EncodeScore(1), "new", nan, "m"}},
      {Type::kZSet, OpCode::kZSetRem, {}},
      {Type::kList, OpCode::kListPush, {}},
      {Type::kList, OpCode::kListPush, {"L"}},
      {Type::kList, OpCode::kListPush, {"X", "e"}},
      {Type::kList, OpCode::kListPush, {"l", "e"}},
      {Type::kList, OpCode::kListPop, {"L"}},
      {Type::kList, OpCode::kListPop, {"L", "1", "2"}},
      {Type::kList, OpCode::kListPop, {"M", "1"}},
      {Type::kList, OpCode::kListPop, {"L", "-1"}},
      {Type::kList, OpCode::kListPop, {"L", "+1"}},
      {Type::kList, OpCode::kListPop, {"L", ""}},
      {Type::kList, OpCode::kListSet, {"3", "e"}},
      {Type::kList, OpCode::kListSet, {"-1", "e"}},
      {Type::kList, OpCode::kListSet, {"01", "e"}},
      {Type::kList, OpCode::kListSet, {"0"}},
      {Type::kList, OpCode::kListInsert, {"4", "e"}},
      {Type::kList, OpCode::kListInsert, {"-0", "e"}},
      {Type::kList, OpCode::kListInsert, {"1"}},
      {Type::kList, OpCode::kListRem, {"x", "e"}},
      {Type::kList, OpCode::kListRem, {" 1", "e"}},
      {Type::kList, OpCode::kListRem, {"1"}},
      {Type::kList, OpCode::kListTrim, {"0"}},
      {Type::kList, OpCode::kListTrim, {"-1", "2"}},
      {Type::kList, OpCode::kListTrim, {"0", "1x"}},
      {Type::kList, OpCode::kListTrim, {"0", "1", "2"}},
      // An op of another type.
      {Type::kList, OpCode::kHashSet, {"f", "v"}},
      {Type::kHash, OpCode::kSetAdd, {"m"}},
      {Type::kSet, OpCode::kZSetRem, {"m"}},
      {Type::kZSet, OpCode::kListPush, {"L", "e"}},
  };
  for (const Case& c : cases) {
    auto o = NewObject(c.type);
    switch (c.type) {
      case Type::kHash:
        ASSERT_TRUE(Apply(o.get(), OpCode::kHashSet, {"f", "v"}, limits));
        break;
      case Type::kSet:
        ASSERT_TRUE(Apply(o.get(), OpCode::kSetAdd, {"1", "2"}, limits));
        break;
      case Type::kZSet:
        ASSERT_TRUE(Apply(o.get(), OpCode::kZSetAdd, ZArgs({{1, "m"}}), limits));
        break;
      case Type::kList:
        ASSERT_TRUE(Apply(o.get(), OpCode::kListPush, {"R", "a", "b", "c"}, limits));
        break;
      default:
        FAIL();
    }
    const std::string before = Dump(*o);
    std::string why;
    EXPECT_FALSE(Apply(o.get(), c.code, c.args, limits, &why))
        << static_cast<int>(c.code) << " argc " << c.args.size();
    EXPECT_FALSE(why.empty()) << static_cast<int>(c.code);
    EXPECT_EQ(Dump(*o), before) << static_cast<int>(c.code);
  }
  std::string why;
  EXPECT_FALSE(ApplyOp(nullptr, OpCode::kSetAdd, {}, limits, &why));
  auto o = NewObject(Type::kSet);
  EXPECT_FALSE(ApplyOp(o.get(), static_cast<OpCode>(0), {}, limits, &why));
  EXPECT_FALSE(ApplyOp(o.get(), static_cast<OpCode>(kMaxOpCode + 1), {}, limits, &why));
}

TEST(ObjectTest, CloneIsDeepAndKeepsTheEncoding) {
  EncodingLimits small;
  small.hash_max_listpack_entries = 2;
  small.set_max_intset_entries = 2;
  small.zset_max_listpack_entries = 2;
  for (bool big : {false, true}) {
    SCOPED_TRACE(big ? "converted" : "compact");
    const int n = big ? 5 : 2;
    auto h = NewObject(Type::kHash);
    auto s = NewObject(Type::kSet);
    auto z = NewObject(Type::kZSet);
    auto l = NewObject(Type::kList);
    for (int i = 0; i < n; ++i) {
      const std::string k = std::to_string(i);
      ASSERT_TRUE(Apply(h.get(), OpCode::kHashSet, {"f" + k, "v" + k}, small));
      ASSERT_TRUE(Apply(s.get(), OpCode::kSetAdd, {k}, small));
      ASSERT_TRUE(Apply(z.get(), OpCode::kZSetAdd, ZArgs({{i * 1.0, "m" + k}}), small));
      ASSERT_TRUE(Apply(l.get(), OpCode::kListPush, {"R", k}, small));
    }
    const std::vector<std::pair<OpCode, Strings>> changes = {
        {OpCode::kHashSet, {"f0", "changed"}},
        {OpCode::kSetRem, {"0"}},
        {OpCode::kZSetAdd, ZArgs({{100, "m0"}})},
        {OpCode::kListSet, {"0", "changed"}},
    };
    std::vector<std::unique_ptr<Object>*> objects = {&h, &s, &z, &l};
    for (std::size_t i = 0; i < objects.size(); ++i) {
      Object& original = **objects[i];
      const std::string before = Dump(original);
      auto copy = original.Clone();
      EXPECT_EQ(copy->type(), original.type());
      EXPECT_EQ(copy->encoding(), original.encoding());
      EXPECT_EQ(Dump(*copy), before);
      ASSERT_TRUE(Apply(copy.get(), changes[i].first, changes[i].second, small));
      EXPECT_NE(Dump(*copy), before);
      EXPECT_EQ(Dump(original), before);
      // And the other way: changing the original leaves the copy alone.
      const std::string copy_now = Dump(*copy);
      copy.swap(*objects[i]);
      ASSERT_TRUE(Apply(copy.get(), changes[i].first, changes[i].second, small));
      EXPECT_EQ(Dump(**objects[i]), copy_now);
    }
  }
}

TEST(ObjectTest, ObjectBytesGrowsWithContent) {
  for (Type t : {Type::kHash, Type::kSet, Type::kZSet, Type::kList}) {
    auto o = NewObject(t);
    const std::size_t empty = ObjectBytes(*o);
    EXPECT_GT(empty, 0u);
    std::size_t last = empty;
    for (int round = 0; round < 3; ++round) {
      Strings args;
      if (t == Type::kList) args.push_back("R");
      for (int i = 0; i < 300; ++i) {
        const std::string m = std::string(40, 'x') + std::to_string(round * 1000 + i);
        if (t == Type::kZSet) args.push_back(EncodeScore(i));
        args.push_back(m);
        if (t == Type::kHash) args.push_back(m);
      }
      const OpCode code = t == Type::kHash   ? OpCode::kHashSet
                          : t == Type::kSet  ? OpCode::kSetAdd
                          : t == Type::kZSet ? OpCode::kZSetAdd
                                             : OpCode::kListPush;
      ASSERT_TRUE(Apply(o.get(), code, args));
      const std::size_t now = ObjectBytes(*o);
      EXPECT_GT(now, last) << TypeName(t);
      // At least the members' bytes (41+ each), at most a generous multiple.
      EXPECT_GE(now, o->size() * 41) << TypeName(t);
      EXPECT_LE(now, o->size() * 1000) << TypeName(t);
      last = now;
    }
  }
}

// --- byte form ---------------------------------------------------------------

TEST(ObjectTest, EncodeDecodeRoundTrip) {
  const std::vector<Strings> arg_lists = {
      {},
      {""},
      {"a", "bc", std::string("\0\xff", 2)},
      {std::string(127, 'x'), std::string(128, 'y'), std::string(70000, 'z')},
  };
  for (uint8_t c = 1; c <= kMaxOpCode; ++c) {
    for (const Strings& args : arg_lists) {
      const auto views = Views(args);
      std::string bytes = "prefix";
      EncodeOp(static_cast<OpCode>(c), views, &bytes);
      ASSERT_EQ(bytes.substr(0, 6), "prefix");  // appends
      std::string_view form = std::string_view(bytes).substr(6);
      OpCode code;
      std::vector<std::string_view> decoded;
      ASSERT_TRUE(DecodeOp(form, &code, &decoded));
      EXPECT_EQ(code, static_cast<OpCode>(c));
      EXPECT_EQ(decoded, views);
    }
  }
  // The documented layout.
  std::string bytes;
  const Strings args = {"f", "vv"};
  EncodeOp(OpCode::kHashSet, Views(args), &bytes);
  EXPECT_EQ(bytes, std::string("\x01\x02\x01"
                               "f\x02"
                               "vv"));
}

TEST(ObjectTest, DecodeRejectsEveryTruncationAndTrailingBytes) {
  const Strings args = {"field", std::string(300, 'v'), "", "x"};
  std::string bytes;
  EncodeOp(OpCode::kHashSet, Views(args), &bytes);
  OpCode code;
  std::vector<std::string_view> decoded;
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeOp(std::string_view(bytes).substr(0, n), &code, &decoded)) << n;
  }
  EXPECT_TRUE(DecodeOp(bytes, &code, &decoded));
  EXPECT_FALSE(DecodeOp(bytes + '\0', &code, &decoded));
  // Unknown codes.
  for (int c : {0, kMaxOpCode + 1, 255}) {
    std::string bad = bytes;
    bad[0] = static_cast<char>(c);
    EXPECT_FALSE(DecodeOp(bad, &code, &decoded)) << c;
  }
  // An argument count far beyond the bytes, and a varint longer than 5 bytes.
  EXPECT_FALSE(DecodeOp(std::string("\x03\xff\xff\xff\xff\x0f", 6), &code, &decoded));
  EXPECT_FALSE(DecodeOp(std::string("\x03\x80\x80\x80\x80\x80\x00", 7), &code, &decoded));
  // A length past the end.
  EXPECT_FALSE(DecodeOp(std::string("\x03\x01\x05"
                                    "abcd",
                                    7),
                        &code, &decoded));
}

// --- randomized comparison with reference models -----------------------------

// Many short runs, each from an empty object, with members from a small pool
// and adds about as likely as removals, so that sizes hover around the small
// limits and both encodings get many steps.
constexpr int kRandomOps = 4000;
constexpr int kRandomRuns = 40;

std::string RandomMember(std::mt19937_64& rng, std::size_t max_len) {
  std::uniform_int_distribution<int> kind(0, 9);
  if (kind(rng) < 4) {
    // Integers, including non-canonical forms now and then.
    static const char* kInts[] = {"0", "1", "2", "3", "-1", "17", "42", "-0", "01", "+5"};
    return kInts[std::uniform_int_distribution<int>(0, 9)(rng)];
  }
  std::uniform_int_distribution<std::size_t> len(1, max_len);
  std::string s(len(rng), 'a');
  for (char& c : s) c = static_cast<char>('a' + std::uniform_int_distribution<int>(0, 2)(rng));
  return s;
}

TEST(ObjectRandomTest, HashMatchesReference) {
  std::mt19937_64 rng(1);
  EncodingLimits limits;
  limits.hash_max_listpack_entries = 8;
  limits.hash_max_listpack_value = 4;
  // Both encodings get a fair share of the steps.
  int compact_steps = 0;
  int converted_steps = 0;
  for (int run = 0; run < kRandomRuns; ++run) {
    auto o = NewObject(Type::kHash);
    std::vector<std::pair<std::string, std::string>> ref;  // insertion order
    bool converted = false;
    for (int step = 0; step < kRandomOps / kRandomRuns; ++step) {
      std::uniform_int_distribution<int> n(1, 3);
      Strings args;
      const bool set = rng() % 2 == 0;
      for (int i = n(rng); i > 0; --i) {
        // Now and then one longer than the limit (4).
        args.push_back(RandomMember(rng, rng() % 100 == 0 ? 5 : 2));
        if (set) args.push_back(RandomMember(rng, rng() % 100 == 0 ? 5 : 4));
      }
      ASSERT_TRUE(Apply(o.get(), set ? OpCode::kHashSet : OpCode::kHashDel, args, limits));
      for (std::size_t i = 0; i < args.size(); i += set ? 2 : 1) {
        auto it = std::find_if(ref.begin(), ref.end(), [&](auto& p) { return p.first == args[i]; });
        if (set) {
          if (args[i].size() > 4 || args[i + 1].size() > 4) converted = true;
          if (it != ref.end()) {
            it->second = args[i + 1];
          } else {
            ref.emplace_back(args[i], args[i + 1]);
          }
          if (ref.size() > 8) converted = true;
        } else if (it != ref.end()) {
          ref.erase(it);
        }
      }
      ASSERT_EQ(o->encoding(), converted ? "hashtable" : "listpack") << step;
      ++(converted ? converted_steps : compact_steps);
      ASSERT_EQ(o->size(), ref.size());
      auto pairs = HashPairs(*H(o));
      if (!converted) {
        ASSERT_EQ(pairs, ref);
      } else {
        auto sorted_ref = ref;
        std::sort(pairs.begin(), pairs.end());
        std::sort(sorted_ref.begin(), sorted_ref.end());
        ASSERT_EQ(pairs, sorted_ref);
      }
      for (const auto& [f, v] : ref) ASSERT_EQ(H(o)->get(f), v);
      if (!ref.empty()) {
        const std::size_t i = rng() % ref.size();
        const auto [f, v] = H(o)->at(i);
        ASSERT_EQ(H(o)->get(f), v);
      }
      if (step % 50 == 0) o = o->Clone();
    }
  }
  EXPECT_GT(compact_steps, kRandomOps / 10);
  EXPECT_GT(converted_steps, kRandomOps / 10);
}

TEST(ObjectRandomTest, SetMatchesReference) {
  std::mt19937_64 rng(2);
  EncodingLimits limits;
  limits.set_max_intset_entries = 6;
  // Both encodings get a fair share of the steps.
  int compact_steps = 0;
  int converted_steps = 0;
  for (int run = 0; run < kRandomRuns; ++run) {
    auto o = NewObject(Type::kSet);
    std::set<std::string> ref;
    bool converted = false;
    // Most runs add integers only (ten of them), so that the entry limit is
    // what converts; the others add non-integers too.
    const bool ints_only = run % 4 != 0;
    for (int step = 0; step < kRandomOps / kRandomRuns; ++step) {
      Strings args;
      const bool add = rng() % 2 == 0;
      for (int i = std::uniform_int_distribution<int>(1, 3)(rng); i > 0; --i) {
        args.push_back(ints_only ? std::to_string(static_cast<int>(rng() % 10) - 3)
                                 : RandomMember(rng, 2));
      }
      ASSERT_TRUE(Apply(o.get(), add ? OpCode::kSetAdd : OpCode::kSetRem, args, limits));
      for (const auto& m : args) {
        if (add) {
          int64_t v;
          if (!ParseCanonicalInt64(m, &v)) converted = true;
          ref.insert(m);
          if (ref.size() > 6) converted = true;
        } else {
          ref.erase(m);
        }
      }
      ASSERT_EQ(o->encoding(), converted ? "hashtable" : "intset") << step;
      ++(converted ? converted_steps : compact_steps);
      ASSERT_EQ(o->size(), ref.size());
      Strings members = SetMembers(*S(o));
      if (!converted) {
        // Ascending numeric order.
        ASSERT_TRUE(std::is_sorted(members.begin(), members.end(),
                                   [](auto& a, auto& b) { return std::stoll(a) < std::stoll(b); }));
      }
      for (std::size_t i = 0; i < members.size(); ++i) ASSERT_EQ(S(o)->at(i), members[i]);
      std::sort(members.begin(), members.end());
      ASSERT_EQ(members, Strings(ref.begin(), ref.end()));
      for (const char* probe : {"0", "1", "-1", "a", "-0", "01", "zzz"}) {
        ASSERT_EQ(S(o)->contains(probe), ref.count(probe) == 1) << probe;
      }
      if (step % 50 == 0) o = o->Clone();
    }
  }
  EXPECT_GT(compact_steps, kRandomOps / 10);
  EXPECT_GT(converted_steps, kRandomOps / 10);
}

// The "hashtable" layouts at size: hundreds of fields or members with values
// of every length class (empty, short, past the one-byte length, long), so
// that in-place rewrites, moves to a new block, deletes and the set's
// move-last-into-the-hole all happen many times; Clones are mutated on both
// sides and compared with a frozen copy of the model.

// A string of a random length class, distinct per n.
std::string TableString(std::mt19937_64& rng, const std::string& prefix, int n) {
  static const std::size_t kLens[] = {0, 1, 5, 12, 30, 120, 127, 128, 300, 5000};
  std::string s = prefix + std::to_string(n);
  s.append(kLens[rng() % 10], static_cast<char>('a' + rng() % 26));
  return s;
}

void CheckHashTable(const HashValue& h, const std::map<std::string, std::string>& ref) {
  ASSERT_EQ(h.encoding(), "hashtable");
  ASSERT_EQ(h.size(), ref.size());
  std::map<std::string, std::string> seen;
  for (std::size_t i = 0; i < h.size(); ++i) {
    const auto [f, v] = h.at(i);
    ASSERT_TRUE(seen.emplace(f, v).second) << "at() repeats " << f;
  }
  ASSERT_EQ(seen, ref);
  auto pairs = HashPairs(h);
  const std::map<std::string, std::string> listed(pairs.begin(), pairs.end());
  ASSERT_EQ(listed, ref);
  for (const auto& [f, v] : ref) ASSERT_EQ(h.get(f), v) << f;
  ASSERT_EQ(h.get("absent-field"), std::nullopt);
}

TEST(ObjectRandomTest, HashTableLayoutAtSize) {
  std::mt19937_64 rng(5);
  auto o = NewObject(Type::kHash);
  std::map<std::string, std::string> ref;
  std::unique_ptr<Object> clone;
  std::map<std::string, std::string> clone_ref;
  for (int step = 0; step < 6000; ++step) {
    const int op = static_cast<int>(rng() % 10);
    const std::string field = "f" + std::to_string(rng() % 600);
    if (op < 7) {
      const std::string value = TableString(rng, "v", step);
      ASSERT_TRUE(Apply(o.get(), OpCode::kHashSet, {field, value}));
      ref[field] = value;
    } else {
      ASSERT_TRUE(Apply(o.get(), OpCode::kHashDel, {field}));
      ref.erase(field);
    }
    if (ref.size() > 128) {
      ASSERT_EQ(o->encoding(), "hashtable");
    }
    if (step % 500 == 499) {
      ASSERT_NO_FATAL_FAILURE(CheckHashTable(*H(o), ref));
      if (clone) {
        // The original changed since the copy was made; the copy did not.
        ASSERT_NO_FATAL_FAILURE(CheckHashTable(*H(clone), clone_ref));
      }
      clone = o->Clone();
      clone_ref = ref;
      // Change the clone: overwrite, add and delete; the original keeps ref.
      for (int i = 0; i < 50; ++i) {
        const std::string f = "f" + std::to_string(rng() % 700);
        if (i % 3 == 2) {
          ASSERT_TRUE(Apply(clone.get(), OpCode::kHashDel, {f}));
          clone_ref.erase(f);
        } else {
          const std::string v = TableString(rng, "c", i);
          ASSERT_TRUE(Apply(clone.get(), OpCode::kHashSet, {f, v}));
          clone_ref[f] = v;
        }
      }
      ASSERT_NO_FATAL_FAILURE(CheckHashTable(*H(o), ref));
      ASSERT_NO_FATAL_FAILURE(CheckHashTable(*H(clone), clone_ref));
    }
  }
  // Empty it completely, then refill.
  for (const auto& [f, v] : std::map<std::string, std::string>(ref)) {
    ASSERT_TRUE(Apply(o.get(), OpCode::kHashDel, {f}));
    ref.erase(f);
  }
  EXPECT_EQ(o->size(), 0u);
  EXPECT_EQ(o->encoding(), "hashtable");
  ASSERT_TRUE(Apply(o.get(), OpCode::kHashSet, {"again", "x"}));
  ref["again"] = "x";
  ASSERT_NO_FATAL_FAILURE(CheckHashTable(*H(o), ref));
}

void CheckSetTable(const SetValue& s, const std::set<std::string>& ref) {
  ASSERT_EQ(s.encoding(), "hashtable");
  ASSERT_EQ(s.size(), ref.size());
  const Strings members = SetMembers(s);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < s.size(); ++i) {
    ASSERT_EQ(s.at(i), members[i]) << i;
    ASSERT_TRUE(seen.emplace(s.at(i)).second) << "at() repeats " << s.at(i);
  }
  ASSERT_EQ(seen, ref);
  for (const auto& m : ref) ASSERT_TRUE(s.contains(m)) << m;
  ASSERT_FALSE(s.contains("absent-member"));
}

TEST(ObjectRandomTest, SetTableLayoutAtSize) {
  std::mt19937_64 rng(6);
  auto o = NewObject(Type::kSet);
  std::set<std::string> ref;
  std::map<int, std::string> names;  // member number -> its text (fixed)
  auto name = [&](int n) -> const std::string& {
    auto it = names.find(n);
    if (it == names.end()) it = names.emplace(n, TableString(rng, "m", n)).first;
    return it->second;
  };
  std::unique_ptr<Object> clone;
  std::set<std::string> clone_ref;
  for (int step = 0; step < 8000; ++step) {
    const std::string& m = name(static_cast<int>(rng() % 700));
    if (rng() % 10 < 6) {
      ASSERT_TRUE(Apply(o.get(), OpCode::kSetAdd, {m}));
      ref.insert(m);
    } else {
      // Mostly the last member (the hole is then the end), else any.
      const std::string victim =
          (rng() % 4 == 0 && o->size() > 0) ? std::string(S(o)->at(o->size() - 1)) : m;
      ASSERT_TRUE(Apply(o.get(), OpCode::kSetRem, {victim}));
      ref.erase(victim);
    }
    if (step % 500 == 499) {
      ASSERT_NO_FATAL_FAILURE(CheckSetTable(*S(o), ref));
      if (clone) {
        ASSERT_NO_FATAL_FAILURE(CheckSetTable(*S(clone), clone_ref));
      }
      clone = o->Clone();
      clone_ref = ref;
      for (int i = 0; i < 60; ++i) {
        const std::string& c = name(static_cast<int>(rng() % 800));
        if (i % 2 == 0) {
          ASSERT_TRUE(Apply(clone.get(), OpCode::kSetRem, {c}));
          clone_ref.erase(c);
        } else {
          ASSERT_TRUE(Apply(clone.get(), OpCode::kSetAdd, {c}));
          clone_ref.insert(c);
        }
      }
      ASSERT_NO_FATAL_FAILURE(CheckSetTable(*S(o), ref));
      ASSERT_NO_FATAL_FAILURE(CheckSetTable(*S(clone), clone_ref));
    }
  }
  // Empty it from the front (every removal moves the last member), refill.
  while (o->size() > 0) {
    const std::string first(S(o)->at(0));
    ASSERT_TRUE(Apply(o.get(), OpCode::kSetRem, {first}));
    ref.erase(first);
    if (o->size() % 97 == 0) {
      ASSERT_NO_FATAL_FAILURE(CheckSetTable(*S(o), ref));
    }
  }
  EXPECT_TRUE(ref.empty());
  ASSERT_TRUE(Apply(o.get(), OpCode::kSetAdd, {"again", "7"}));
  ASSERT_NO_FATAL_FAILURE(CheckSetTable(*S(o), {"again", "7"}));
}

// The sorted-set table layout's model: member -> score, and the same in
// (score, member) order.
using ZModel = std::map<std::string, double>;

std::vector<std::pair<double, std::string>> ZSorted(const ZModel& ref) {
  std::vector<std::pair<double, std::string>> sorted;
  for (const auto& [m, s] : ref) sorted.emplace_back(s, m);
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

// Up to `limit` (member, score) entries a walk visits before it is stopped.
using ZWalk = std::function<void(const std::function<bool(std::string_view, double)>&)>;
std::vector<std::pair<std::string, double>> ZTake(const ZWalk& walk, std::size_t limit) {
  std::vector<std::pair<std::string, double>> out;
  walk([&](std::string_view m, double s) {
    out.emplace_back(m, s);
    return out.size() < limit;
  });
  return out;
}

// What a walk over sorted (ascending) from position `first` visits: up
// (reverse false) or down, at most limit entries; first may be sorted.size()
// (or -1 going down) for nothing.
std::vector<std::pair<std::string, double>> ZExpected(
    const std::vector<std::pair<double, std::string>>& sorted, std::ptrdiff_t first, bool reverse,
    std::size_t limit) {
  std::vector<std::pair<std::string, double>> out;
  for (std::ptrdiff_t i = first;
       i >= 0 && i < static_cast<std::ptrdiff_t>(sorted.size()) && out.size() < limit;
       i += reverse ? -1 : 1) {
    out.emplace_back(sorted[i].second, sorted[i].first);
  }
  return out;
}

void CheckZSetTable(const ZSetValue& z, const ZModel& ref, bool same_score, std::mt19937_64& rng) {
  ASSERT_EQ(z.encoding(), "skiplist");
  ASSERT_EQ(z.size(), ref.size());
  const auto sorted = ZSorted(ref);
  const auto n = static_cast<std::ptrdiff_t>(sorted.size());
  const std::size_t all = sorted.size() + 1;
  ASSERT_EQ(ZFrom(z, 0, false), ZExpected(sorted, 0, false, all));
  ASSERT_EQ(ZFrom(z, 0, true), ZExpected(sorted, n - 1, true, all));
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    ASSERT_EQ(z.score(sorted[i].second), sorted[i].first) << sorted[i].second;
  }
  for (int k = 0; k < 20 && n > 0; ++k) {
    const std::ptrdiff_t i = static_cast<std::ptrdiff_t>(rng() % sorted.size());
    ASSERT_EQ(z.rank(sorted[i].second), static_cast<std::size_t>(i)) << sorted[i].second;
  }
  ASSERT_EQ(z.score("absent-member"), std::nullopt);
  ASSERT_EQ(z.rank("absent-member"), std::nullopt);
  for (int k = 0; k < 10; ++k) {
    const bool reverse = rng() % 2 == 0;
    const std::size_t limit = 1 + rng() % 40;
    // Ranks: any start, including past the end.
    const std::size_t start = rng() % (sorted.size() + 2);
    const std::ptrdiff_t first =
        reverse ? n - 1 - static_cast<std::ptrdiff_t>(start) : static_cast<std::ptrdiff_t>(start);
    ASSERT_EQ(ZTake([&](const auto& fn) { z.for_each_from_rank(start, reverse, fn); }, limit),
              ZExpected(sorted, start >= sorted.size() ? -2 : first, reverse, limit))
        << start << reverse;
    // Scores: a present score (exact boundaries) or a random one.
    const double min = (n > 0 && rng() % 2 == 0) ? sorted[rng() % sorted.size()].first
                                                 : std::uniform_real_distribution<>(-3, 3)(rng);
    const bool exclusive = rng() % 2 == 0;
    // Ascending from the first entry above min (at or above, inclusive);
    // descending from the last below min (at or below, inclusive).
    std::ptrdiff_t from = 0;
    if (reverse) {
      from = n - 1;
      while (from >= 0 && (exclusive ? sorted[from].first >= min : sorted[from].first > min)) {
        --from;
      }
    } else {
      while (from < n && (exclusive ? sorted[from].first <= min : sorted[from].first < min)) {
        ++from;
      }
    }
    ASSERT_EQ(
        ZTake([&](const auto& fn) { z.for_each_from_score(min, exclusive, reverse, fn); }, limit),
        ZExpected(sorted, from, reverse, limit))
        << min << exclusive << reverse;
    if (!same_score) continue;
    // Lex (every score equal): a present member or a random prefix.
    const std::string lex = (n > 0 && rng() % 2 == 0) ? sorted[rng() % sorted.size()].second
                                                      : "m" + std::to_string(rng() % 800);
    if (reverse) {
      from = n - 1;
      while (from >= 0 && (exclusive ? sorted[from].second >= lex : sorted[from].second > lex)) {
        --from;
      }
    } else {
      from = 0;
      while (from < n && (exclusive ? sorted[from].second <= lex : sorted[from].second < lex)) {
        ++from;
      }
    }
    ASSERT_EQ(
        ZTake([&](const auto& fn) { z.for_each_from_lex(lex, exclusive, reverse, fn); }, limit),
        ZExpected(sorted, from, reverse, limit))
        << lex << exclusive << reverse;
  }
}

// The "skiplist" layout against a model: thousands of ZADDs (new members,
// score changes, equal scores ordered by member), ZREMs, walks from ranks,
// scores and members both ways, and clones changed after the copy. Once with
// every score equal (lex walks), once with scores from a few values (ties)
// and random ones.
TEST(ObjectRandomTest, ZSetTableLayoutAtSize) {
  for (const bool same_score : {true, false}) {
    std::mt19937_64 rng(same_score ? 7 : 8);
    std::map<int, std::string> names;  // member number -> its text (fixed)
    auto name = [&](int n) -> const std::string& {
      auto it = names.find(n);
      if (it == names.end()) it = names.emplace(n, TableString(rng, "m", n)).first;
      return it->second;
    };
    static const double kTies[] = {-kInf, -2.5, -1, 0, 1, 1.5, 1e9, kInf};
    auto score = [&]() -> double {
      if (same_score) return 0;
      if (rng() % 2 == 0) return kTies[rng() % 8];
      return std::uniform_real_distribution<>(-3, 3)(rng);
    };
    auto o = NewObject(Type::kZSet);
    ZModel ref;
    std::unique_ptr<Object> clone;
    ZModel clone_ref;
    for (int step = 0; step < 6000; ++step) {
      if (rng() % 10 < 7) {
        std::vector<std::pair<double, std::string>> pairs;
        for (int i = 1 + static_cast<int>(rng() % 3); i > 0; --i) {
          pairs.emplace_back(score(), name(static_cast<int>(rng() % 700)));
        }
        ASSERT_TRUE(Apply(o.get(), OpCode::kZSetAdd, ZArgs(pairs)));
        for (const auto& [s, m] : pairs) ref[m] = s;
      } else {
        // Mostly a present member (the first, the last or any), else any.
        std::string victim = name(static_cast<int>(rng() % 700));
        if (!ref.empty() && rng() % 2 == 0) {
          const auto sorted = ZSorted(ref);
          victim = sorted[rng() % 3 == 0 ? 0 : rng() % sorted.size()].second;
        }
        ASSERT_TRUE(Apply(o.get(), OpCode::kZSetRem, {victim}));
        ref.erase(victim);
      }
      if (ref.size() > 128) {
        ASSERT_EQ(o->encoding(), "skiplist");
      }
      if (o->encoding() == "skiplist" && step % 400 == 399) {
        ASSERT_NO_FATAL_FAILURE(CheckZSetTable(*Z(o), ref, same_score, rng));
        if (clone) {
          // The original changed since the copy was made; the copy did not.
          ASSERT_NO_FATAL_FAILURE(CheckZSetTable(*Z(clone), clone_ref, same_score, rng));
        }
        clone = o->Clone();
        clone_ref = ref;
        // Change the clone: new members, new scores, removals.
        for (int i = 0; i < 60; ++i) {
          const std::string& c = name(static_cast<int>(rng() % 800));
          if (i % 3 == 2) {
            ASSERT_TRUE(Apply(clone.get(), OpCode::kZSetRem, {c}));
            clone_ref.erase(c);
          } else {
            const double s = score();
            ASSERT_TRUE(Apply(clone.get(), OpCode::kZSetAdd, ZArgs({{s, c}})));
            clone_ref[c] = s;
          }
        }
        ASSERT_NO_FATAL_FAILURE(CheckZSetTable(*Z(o), ref, same_score, rng));
        ASSERT_NO_FATAL_FAILURE(CheckZSetTable(*Z(clone), clone_ref, same_score, rng));
      }
    }
    ASSERT_EQ(o->encoding(), "skiplist");
    // Empty it from the front, then refill.
    while (!ref.empty()) {
      const std::string first = ZSorted(ref).front().second;
      ASSERT_TRUE(Apply(o.get(), OpCode::kZSetRem, {first}));
      ref.erase(first);
      if (ref.size() % 97 == 0) {
        ASSERT_NO_FATAL_FAILURE(CheckZSetTable(*Z(o), ref, same_score, rng));
      }
    }
    ASSERT_TRUE(Apply(o.get(), OpCode::kZSetAdd, ZArgs({{0, "again"}, {0, "7"}})));
    ASSERT_NO_FATAL_FAILURE(CheckZSetTable(*Z(o), {{"again", 0}, {"7", 0}}, true, rng));
  }
}

// 100k "member:123456" members with random scores: the "skiplist" layout
// keeps each member once, in a block with its score. It costs well under
// what a B-tree of (score, std::string) plus a map of std::string to score
// (about 140 bytes a member) did, whichever allocator serves.
TEST(ObjectTest, ZSetTableLayoutIsPackedPerElement) {
  constexpr int kElements = 100000;
  std::mt19937_64 rng(9);
  auto z = NewObject(Type::kZSet);
  for (int i = 0; i < kElements; i += 1000) {
    std::vector<std::pair<double, std::string>> pairs;
    for (int j = i; j < i + 1000; ++j) {
      pairs.emplace_back(std::uniform_real_distribution<>(0, 1)(rng),
                         "member:" + std::to_string(100000 + j));
    }
    ASSERT_TRUE(Apply(z.get(), OpCode::kZSetAdd, ZArgs(pairs)));
  }
  ASSERT_EQ(z->size(), static_cast<std::size_t>(kElements));
  ASSERT_EQ(z->encoding(), "skiplist");
  const double per = static_cast<double>(ObjectBytes(*z)) / kElements;
  // Each member's 14 packed bytes and its score's 8, and a 16-byte entry.
  EXPECT_GE(per, 38.0);
  EXPECT_LT(per, 80.0);
}

// 100k short fields or members ("field:123456" and so on): the packed layouts
// cost well under what a map of std::string pairs (a 64-byte slot per bucket,
// about 85 bytes a field) or a vector of std::string plus a map of string to
// position (about 96 bytes a member) did, whichever allocator serves.
TEST(ObjectTest, TableLayoutsArePackedPerElement) {
  constexpr int kElements = 100000;
  auto h = NewObject(Type::kHash);
  auto s = NewObject(Type::kSet);
  for (int i = 0; i < kElements; i += 1000) {
    Strings pairs;
    Strings members;
    for (int j = i; j < i + 1000; ++j) {
      const std::string n = std::to_string(100000 + j);
      pairs.push_back("field:" + n);
      pairs.push_back("value:" + n);
      members.push_back("member:" + n);
    }
    ASSERT_TRUE(Apply(h.get(), OpCode::kHashSet, pairs));
    ASSERT_TRUE(Apply(s.get(), OpCode::kSetAdd, members));
  }
  ASSERT_EQ(h->size(), static_cast<std::size_t>(kElements));
  ASSERT_EQ(s->size(), static_cast<std::size_t>(kElements));
  const double hash_per = static_cast<double>(ObjectBytes(*h)) / kElements;
  const double set_per = static_cast<double>(ObjectBytes(*s)) / kElements;
  // Each pair's 26 packed bytes and each member's 14 at least.
  EXPECT_GE(hash_per, 26.0);
  EXPECT_GE(set_per, 14.0);
  EXPECT_LT(hash_per, 64.0);
  EXPECT_LT(set_per, 56.0);
}

void CheckZSetAgainst(const ZSetValue& z, const std::map<std::string, double>& ref, bool same_score,
                      std::mt19937_64& rng) {
  std::vector<std::pair<double, std::string>> sorted;
  for (const auto& [m, s] : ref) sorted.emplace_back(s, m);
  std::sort(sorted.begin(), sorted.end());
  ASSERT_EQ(z.size(), sorted.size());
  const auto all = ZFrom(z, 0, false);
  ASSERT_EQ(all.size(), sorted.size());
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    ASSERT_EQ(all[i].first, sorted[i].second);
    ASSERT_EQ(all[i].second, sorted[i].first);
    ASSERT_EQ(z.rank(sorted[i].second), i);
    ASSERT_EQ(z.score(sorted[i].second), sorted[i].first);
  }
  ASSERT_EQ(z.rank("not-a-member"), std::nullopt);
  if (!sorted.empty()) {
    const std::size_t start = rng() % sorted.size();
    const bool reverse = rng() % 2 == 0;
    auto from = ZFrom(z, start, reverse);
    ASSERT_EQ(from.size(), sorted.size() - start);
    const std::size_t first = reverse ? sorted.size() - 1 - start : start;
    ASSERT_EQ(from.front().first, sorted[first].second);
  }
  // Score ranges, brute force.
  static const double kScores[] = {-kInf, -1, -0.5, 0, 0.5, 1, 2, kInf};
  const double min = kScores[rng() % 8];
  const bool exclusive = rng() % 2 == 0;
  const bool reverse = rng() % 2 == 0;
  Strings expected;
  for (const auto& [s, m] : sorted) {
    if (reverse ? (exclusive ? s < min : s <= min) : (exclusive ? s > min : s >= min)) {
      expected.push_back(m);
    }
  }
  if (reverse) std::reverse(expected.begin(), expected.end());
  ASSERT_EQ(ZByScore(z, min, exclusive, reverse), expected) << min << exclusive << reverse;
  if (same_score) {
    const std::string lex_min = RandomMember(rng, 3);
    expected.clear();
    for (const auto& [s, m] : sorted) {
      if (reverse ? (exclusive ? m < lex_min : m <= lex_min)
                  : (exclusive ? m > lex_min : m >= lex_min)) {
        expected.push_back(m);
      }
    }
    if (reverse) std::reverse(expected.begin(), expected.end());
    ASSERT_EQ(ZByLex(z, lex_min, exclusive, reverse), expected) << lex_min;
  }
}

// A big "skiplist" set (200k members, in random order, then a third of them
// moved or removed): rank() of sampled members and walks from sampled ranks
// both ways against a sorted model, and both touch O(log n) of the ordered
// index's chunks (its test hook), where counting the entries before a member
// would cross about a thousand chunk boundaries.
TEST(ObjectRandomTest, ZSetRankAndRankWalksAreLogarithmicAtSize) {
  constexpr int kN = 200000;
  std::mt19937_64 rng(11);
  auto o = NewObject(Type::kZSet);
  ZModel ref;
  auto random_score = [&] { return static_cast<double>(rng() % 1000000) / 8; };
  for (int done = 0; done < kN; done += 5000) {
    std::vector<std::pair<double, std::string>> pairs;
    for (int i = done; i < done + 5000; ++i)
      pairs.emplace_back(random_score(), "m" + std::to_string(i));
    ASSERT_TRUE(Apply(o.get(), OpCode::kZSetAdd, ZArgs(pairs)));
    for (const auto& [score, m] : pairs) ref[m] = score;
  }
  for (int i = 0; i < kN / 3; ++i) {
    const std::string m = "m" + std::to_string(rng() % kN);
    if (rng() % 2 == 0) {
      const double score = random_score();
      ASSERT_TRUE(Apply(o.get(), OpCode::kZSetAdd, ZArgs({{score, m}})));
      ref[m] = score;
    } else {
      ASSERT_TRUE(Apply(o.get(), OpCode::kZSetRem, {m}));
      ref.erase(m);
    }
  }
  ASSERT_EQ(o->encoding(), "skiplist");
  ASSERT_EQ(o->size(), ref.size());
  const auto sorted = ZSorted(ref);  // (score, member), ascending
  const ZSetValue& z = *Z(o);
  const std::size_t n = sorted.size();
  const std::size_t bound = 2 * static_cast<std::size_t>(std::log2(n)) + 4;
  std::size_t& steps = CountedTreeStepsForTest();
  for (int i = 0; i < 300; ++i) {
    const std::size_t r = rng() % n;
    steps = 0;
    ASSERT_EQ(z.rank(sorted[r].second), r);
    EXPECT_LE(steps, bound);
    for (const bool reverse : {false, true}) {
      // Five members from rank r (counted from the top when reverse).
      std::vector<std::pair<std::string, double>> got;
      steps = 0;
      z.for_each_from_rank(r, reverse, [&](std::string_view m, double score) {
        got.emplace_back(m, score);
        return got.size() < 5;
      });
      EXPECT_LE(steps, bound);
      ASSERT_EQ(got.size(), std::min<std::size_t>(5, n - r));
      for (std::size_t j = 0; j < got.size(); ++j) {
        const auto& want = sorted[reverse ? n - 1 - r - j : r + j];
        ASSERT_EQ(got[j].first, want.second);
        ASSERT_EQ(got[j].second, want.first);
      }
    }
  }
  EXPECT_EQ(z.rank("m-absent"), std::nullopt);
  EXPECT_TRUE(ZFrom(z, n, false).empty());
  EXPECT_TRUE(ZFrom(z, n, true).empty());
  EXPECT_EQ(ZFrom(z, n - 1, true).size(), 1u);
}

TEST(ObjectRandomTest, ZSetMatchesReference) {
  std::mt19937_64 rng(3);
  EncodingLimits limits;
  limits.zset_max_listpack_entries = 8;
  limits.zset_max_listpack_value = 3;
  static const double kScores[] = {-kInf, -1, 0, 0.5, 1, 2, kInf};
  // Both encodings get a fair share of the steps.
  int compact_steps = 0;
  int converted_steps = 0;
  for (int run = 0; run < kRandomRuns; ++run) {
    const bool same_score = run % 2 == 0;
    auto o = NewObject(Type::kZSet);
    std::map<std::string, double> ref;
    bool converted = false;
    for (int step = 0; step < kRandomOps / kRandomRuns; ++step) {
      const bool add = rng() % 2 == 0;
      Strings args;
      std::vector<std::pair<double, std::string>> pairs;
      for (int i = std::uniform_int_distribution<int>(1, 3)(rng); i > 0; --i) {
        const std::string m = RandomMember(rng, rng() % 100 == 0 ? 4 : 2);  // limit: 3
        if (add) {
          pairs.emplace_back(same_score ? 0 : kScores[rng() % 7], m);
        } else {
          args.push_back(m);
        }
      }
      if (add) args = ZArgs(pairs);
      ASSERT_TRUE(Apply(o.get(), add ? OpCode::kZSetAdd : OpCode::kZSetRem, args, limits));
      if (add) {
        for (const auto& [s, m] : pairs) {
          if (!ref.contains(m) && (ref.size() + 1 > 8 || m.size() > 3)) converted = true;
          ref[m] = s;
        }
      } else {
        for (const auto& m : args) ref.erase(m);
      }
      ASSERT_EQ(o->encoding(), converted ? "skiplist" : "listpack") << step;
      ++(converted ? converted_steps : compact_steps);
      CheckZSetAgainst(*Z(o), ref, same_score, rng);
      if (step % 50 == 0) o = o->Clone();
    }
  }
  EXPECT_GT(compact_steps, kRandomOps / 10);
  EXPECT_GT(converted_steps, kRandomOps / 10);
}

// The list against a vector: random pushes (batches at either end), pops,
// LSET, inserts, LREM, LTRIM and clones, with elements from make_element and
// batches and pop counts up to max_batch. After each step the whole list,
// at() and a reverse walk from a random index must match, and no chunk may
// be empty.
// Whether list holds exactly ref's elements, in order (walked, not copied).
::testing::AssertionResult SameElements(const ListValue& list, const std::deque<std::string>& ref) {
  if (list.size() != ref.size()) {
    return ::testing::AssertionFailure() << "size " << list.size() << " != " << ref.size();
  }
  std::size_t i = 0;
  bool same = true;
  if (!ref.empty()) {
    list.for_each_from(0, false, [&](std::string_view e) {
      same = i < ref.size() && e == ref[i];
      ++i;
      return same;
    });
  }
  if (!same) return ::testing::AssertionFailure() << "element " << i - 1 << " differs";
  if (i != ref.size()) return ::testing::AssertionFailure() << i << " elements walked";
  return ::testing::AssertionSuccess();
}

void ListAgainstReference(uint64_t seed, int steps, std::size_t max_batch,
                          const std::function<std::string(std::mt19937_64&)>& make_element,
                          std::size_t soft_max_size) {
  std::mt19937_64 rng(seed);
  auto o = NewObject(Type::kList);
  std::unique_ptr<Object> clone;           // a clone with the list as it was then
  std::deque<std::string> ref, clone_ref;  // pushes at the head are cheap
  auto upto = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n)(rng); };
  for (int step = 0; step < steps; ++step) {
    SCOPED_TRACE(step);
    int op = static_cast<int>(rng() % 8);
    // Past the soft maximum, shrink: a pop or a trim.
    if (ref.size() > soft_max_size) op = rng() % 2 == 0 ? 1 : 5;
    Strings args;
    OpCode code = OpCode::kListPush;
    const std::size_t n = ref.size();
    switch (op) {
      case 0:
      case 7: {
        code = OpCode::kListPush;
        const bool front = rng() % 2 == 0;
        args.push_back(front ? "L" : "R");
        for (std::size_t i = 1 + upto(max_batch - 1); i > 0; --i) {
          args.push_back(make_element(rng));
          if (front) {
            ref.insert(ref.begin(), args.back());
          } else {
            ref.push_back(args.back());
          }
        }
        break;
      }
      case 1: {
        code = OpCode::kListPop;
        const bool front = rng() % 2 == 0;
        const std::size_t count = upto(std::min(max_batch, n + 1));  // now and then more than n
        args = {front ? "L" : "R", std::to_string(count)};
        const std::size_t popped = std::min(count, n);
        if (front) {
          ref.erase(ref.begin(), ref.begin() + static_cast<std::ptrdiff_t>(popped));
        } else {
          ref.resize(n - popped);
        }
        break;
      }
      case 2: {
        if (n == 0) continue;
        code = OpCode::kListSet;
        const std::size_t i = rng() % n;
        args = {std::to_string(i), make_element(rng)};
        ref[i] = args[1];
        break;
      }
      case 3: {
        code = OpCode::kListInsert;
        const std::size_t i = rng() % (n + 1);
        args = {std::to_string(i), make_element(rng)};
        ref.insert(ref.begin() + static_cast<std::ptrdiff_t>(i), args[1]);
        break;
      }
      case 4: {
        code = OpCode::kListRem;
        const int64_t count = static_cast<int64_t>(rng() % 7) - 3;
        args = {std::to_string(count), make_element(rng)};
        std::deque<std::string> kept;
        if (count >= 0) {
          int64_t left = count;
          for (const auto& e : ref) {
            if (e == args[1] && (count == 0 || left > 0)) {
              --left;
              continue;
            }
            kept.push_back(e);
          }
        } else {
          int64_t left = -count;
          for (auto it = ref.rbegin(); it != ref.rend(); ++it) {
            if (*it == args[1] && left > 0) {
              --left;
              continue;
            }
            kept.push_front(*it);
          }
        }
        ref = kept;
        break;
      }
      case 5: {
        if (rng() % 3 != 0 && n <= soft_max_size) continue;  // trims shrink fast: fewer of them
        code = OpCode::kListTrim;
        // Mostly a few elements off either end; now and then anything.
        std::size_t start = upto(max_batch), stop = n - std::min(n, upto(max_batch));
        if (rng() % 4 == 0) {
          start = rng() % (n + 2);
          stop = rng() % (n + 2);
        }
        args = {std::to_string(start), std::to_string(stop)};
        if (start > stop || start >= n) {
          ref.clear();
        } else {
          ref.erase(ref.begin() + static_cast<std::ptrdiff_t>(std::min(stop, n - 1)) + 1,
                    ref.end());
          ref.erase(ref.begin(), ref.begin() + static_cast<std::ptrdiff_t>(start));
        }
        break;
      }
      default: {
        // A clone must be equal and independent: the last one kept its
        // elements while the original changed.
        if (clone != nullptr) {
          ASSERT_TRUE(SameElements(*L(clone), clone_ref));
        }
        clone = o->Clone();
        clone_ref = ref;
        if (rng() % 2 == 0) o.swap(clone);  // go on with the clone
        continue;
      }
    }
    ASSERT_TRUE(Apply(o.get(), code, args)) << static_cast<int>(code);
    ASSERT_EQ(o->encoding(), "quicklist");
    ASSERT_EQ(o->size(), ref.size());
    ASSERT_TRUE(SameElements(*L(o), ref));
    const auto& list = static_cast<const ListObject&>(*o);
    ASSERT_LE(list.chunk_count(), ref.size());  // no empty chunk
    if (!ref.empty()) {
      ASSERT_GE(list.chunk_count(), 1u);
      for (int k = 0; k < 3; ++k) {
        const std::size_t i = k == 0 ? 0 : k == 1 ? ref.size() - 1 : rng() % ref.size();
        ASSERT_EQ(L(o)->at(i), ref[i]) << i;
      }
      // From a random index to the head, and a few towards the tail.
      const std::size_t i = rng() % ref.size();
      std::size_t at = i + 1, walked = 0;
      bool same = true;
      L(o)->for_each_from(i, true, [&](std::string_view e) {
        same = at > 0 && e == ref[--at];
        ++walked;
        return same;
      });
      ASSERT_TRUE(same && walked == i + 1) << i << ": reverse walk differs at " << at;
      at = i;
      L(o)->for_each_from(i, false, [&](std::string_view e) {
        same = at < ref.size() && e == ref[at++];
        return same && at < i + 5;
      });
      ASSERT_TRUE(same && at == std::min(ref.size(), i + 5)) << i << ": forward walk differs";
    }
  }
  if (clone != nullptr) {
    ASSERT_TRUE(SameElements(*L(clone), clone_ref));
  }
}

// Short lists of one-letter elements: every op at small sizes, in one chunk.
TEST(ObjectRandomTest, ListMatchesReference) {
  ListAgainstReference(
      4, kRandomOps, 4,
      [](std::mt19937_64& rng) { return std::string(1, static_cast<char>('a' + rng() % 4)); }, 64);
}

// Lists of thousands of elements over many chunks, with elements of every
// length: short ones, some of hundreds and thousands of bytes, and some
// about as long as a chunk or longer (alone in their chunk); each length
// comes in few contents so LREM and LSET find matches across chunks.
std::string ChunkTestElement(std::mt19937_64& rng) {
  static const std::size_t kLong[] = {
      300, 2500, 6000,
      // A chunk holds 8176 bytes of entries; an entry of n bytes (n > 127)
      // takes n + 4: 8172 fills a chunk exactly, 8173 does not fit one.
      8171, 8172, 8173, 8174, 20000};
  const uint64_t kind = rng() % 100;
  if (kind < 80) return "element:" + std::to_string(rng() % 50);
  // Around the length where the entry's lengths take a second byte.
  if (kind < 90) return std::string(126 + rng() % 4, static_cast<char>('p' + rng() % 2));
  if (kind < 95) return rng() % 2 == 0 ? "" : "z";
  const std::size_t len = kLong[rng() % std::size(kLong)];
  return std::string(len, static_cast<char>('A' + rng() % 2));
}

TEST(ObjectRandomTest, ListAcrossChunksMatchesReference) {
  for (uint64_t seed : {11, 12, 13}) {
    SCOPED_TRACE(seed);
    ListAgainstReference(seed, 1500, 500, ChunkTestElement, 4000);
  }
}

}  // namespace
}  // namespace kvstore
