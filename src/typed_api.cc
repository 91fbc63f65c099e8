// Copyright (c) the kvstore developers.
//
// KvStore's hash and sorted-set calls for embedding programs (kvstore.h):
// thin wrappers over update() + Transaction::apply for writes and view()
// for reads, copying results out. The server does not use them; its
// commands (server/cmd_hashes.cc, cmd_zsets.cc) build on the same ops.

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "error.h"
#include "kvstore/kvstore.h"

namespace kvstore {

namespace {

Error WrongType(std::string_view key, Type have, Type want) {
  return InvalidArgument("WRONGTYPE key '" + std::string(key) + "' holds a " +
                         std::string(TypeName(have)) + ", not a " + std::string(TypeName(want)));
}

// Runs fn(object of type want, or nullptr when absent) under the key's read
// lock; a key of another type is WrongType.
template <class T, class Fn>
Result<void> ReadAs(const KvStore& s, std::string_view key, Type want, Fn&& fn) {
  const Type have = s.view(key, [&](const Object& obj) {
    if (obj.type() == want) fn(static_cast<const T*>(&obj));
  });
  if (have == Type::kNone) fn(static_cast<const T*>(nullptr));
  if (have != Type::kNone && have != want) return WrongType(key, have, want);
  return {};
}

// One op on key in its own update; counts, through counter(object before
// the op or nullptr), what the reply reports.
template <class T, class Counter>
Result<std::size_t> WriteOp(KvStore& s, std::string_view key, Type want, OpCode code,
                            const std::vector<std::string_view>& args, const WriteOptions& write,
                            Counter&& counter) {
  std::size_t n = 0;
  std::optional<Error> wrong;
  auto r = s.update(
      {key},
      [&](Transaction& tx) {
        const Type have = tx.type(key);
        if (have != Type::kNone && have != want) {
          wrong = WrongType(key, have, want);
          return;
        }
        n = counter(static_cast<const T*>(tx.object(key)));
        tx.apply(key, code, args);
      },
      write);
  if (wrong) return *wrong;
  if (!r) return r.error();
  return n;
}

// How many distinct names pass keep(name).
template <class Names, class Name, class Keep>
std::size_t CountDistinct(const Names& names, Name name, Keep keep) {
  std::vector<std::string_view> seen;
  for (const auto& item : names) {
    const std::string_view n = name(item);
    if (keep(n) && std::find(seen.begin(), seen.end(), n) == seen.end()) seen.push_back(n);
  }
  return seen.size();
}
std::string_view Self(std::string_view n) { return n; }

}  // namespace

Result<std::size_t> KvStore::hset(
    std::string_view key, const std::vector<std::pair<std::string_view, std::string_view>>& fields,
    const WriteOptions& write) {
  if (fields.empty()) return std::size_t{0};
  std::vector<std::string_view> args;
  for (const auto& [f, v] : fields) {
    args.push_back(f);
    args.push_back(v);
  }
  return WriteOp<HashValue>(*this, key, Type::kHash, OpCode::kHashSet, args, write,
                            [&](const HashValue* h) {
                              return CountDistinct(
                                  fields, [](const auto& p) { return p.first; },
                                  [&](std::string_view f) { return h == nullptr || !h->get(f); });
                            });
}

Result<std::optional<std::string>> KvStore::hget(std::string_view key,
                                                 std::string_view field) const {
  std::optional<std::string> out;
  auto r = ReadAs<HashValue>(*this, key, Type::kHash, [&](const HashValue* h) {
    if (h == nullptr) return;
    if (auto v = h->get(field)) out = std::string(*v);
  });
  if (!r) return r.error();
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> KvStore::hgetall(
    std::string_view key) const {
  std::vector<std::pair<std::string, std::string>> out;
  auto r = ReadAs<HashValue>(*this, key, Type::kHash, [&](const HashValue* h) {
    if (h == nullptr) return;
    h->for_each([&](std::string_view f, std::string_view v) {
      out.emplace_back(f, v);
      return true;
    });
  });
  if (!r) return r.error();
  return out;
}

Result<std::size_t> KvStore::hdel(std::string_view key, const std::vector<std::string_view>& fields,
                                  const WriteOptions& write) {
  if (fields.empty()) return std::size_t{0};
  return WriteOp<HashValue>(*this, key, Type::kHash, OpCode::kHashDel, fields, write,
                            [&](const HashValue* h) {
                              return CountDistinct(fields, Self, [&](std::string_view f) {
                                return h != nullptr && h->get(f).has_value();
                              });
                            });
}

Result<std::size_t> KvStore::zadd(std::string_view key,
                                  const std::vector<std::pair<double, std::string_view>>& members,
                                  const WriteOptions& write) {
  if (members.empty()) return std::size_t{0};
  std::vector<std::string> scores;
  scores.reserve(members.size());
  for (const auto& [score, m] : members) {
    if (std::isnan(score)) return InvalidArgument("zadd: a score is NaN");
    scores.push_back(EncodeScore(score));
  }
  std::vector<std::string_view> args;
  for (std::size_t i = 0; i < members.size(); ++i) {
    args.push_back(scores[i]);
    args.push_back(members[i].second);
  }
  return WriteOp<ZSetValue>(*this, key, Type::kZSet, OpCode::kZSetAdd, args, write,
                            [&](const ZSetValue* z) {
                              return CountDistinct(
                                  members, [](const auto& p) { return p.second; },
                                  [&](std::string_view m) { return z == nullptr || !z->score(m); });
                            });
}

Result<std::optional<double>> KvStore::zscore(std::string_view key,
                                              std::string_view member) const {
  std::optional<double> out;
  auto r = ReadAs<ZSetValue>(*this, key, Type::kZSet, [&](const ZSetValue* z) {
    if (z != nullptr) out = z->score(member);
  });
  if (!r) return r.error();
  return out;
}

Result<std::vector<std::pair<std::string, double>>> KvStore::zrange(std::string_view key,
                                                                    std::size_t start,
                                                                    std::size_t stop) const {
  std::vector<std::pair<std::string, double>> out;
  auto r = ReadAs<ZSetValue>(*this, key, Type::kZSet, [&](const ZSetValue* z) {
    if (z == nullptr || start >= z->size() || start > stop) return;
    std::size_t n = std::min(stop, z->size() - 1) - start + 1;
    z->for_each_from_rank(start, false, [&](std::string_view m, double score) {
      out.emplace_back(m, score);
      return --n > 0;
    });
  });
  if (!r) return r.error();
  return out;
}

Result<std::size_t> KvStore::zrem(std::string_view key,
                                  const std::vector<std::string_view>& members,
                                  const WriteOptions& write) {
  if (members.empty()) return std::size_t{0};
  return WriteOp<ZSetValue>(*this, key, Type::kZSet, OpCode::kZSetRem, members, write,
                            [&](const ZSetValue* z) {
                              return CountDistinct(members, Self, [&](std::string_view m) {
                                return z != nullptr && z->score(m).has_value();
                              });
                            });
}

}  // namespace kvstore
