// Copyright (c) the kvstore developers.
//
// SORT and SORT_RO (Redis 7.0's sort.c is the model): the elements of a
// list, set or sorted set, sorted as numbers or (ALPHA) as strings, by
// themselves or by the values of other keys (BY pattern, where '*' is
// replaced by the element and "->field" reads a hash field; a pattern
// without '*' does not sort), cut by LIMIT, answered as themselves or as
// the values GET patterns name ('#': the element), or stored as a list
// (STORE).
//
// The keys BY and GET read are known only once the elements are: the
// elements are read first, then one update locks the sorted key, the
// destination and every key the patterns name and checks that the elements
// are still those; if not, it starts again. Inside EXEC and scripts the
// command is flagged kWholeKeyspace, so the transaction holds every key.

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "command_handlers.h"
#include "keyspace.h"
#include "resp_parser.h"
#include "string_util.h"

namespace kvstore::server {

namespace {

struct SortOptions {
  std::string_view key;
  std::optional<std::string_view> by;  // BY pattern
  bool dont_sort = false;              // BY a pattern without '*'
  std::vector<std::string_view> gets;  // GET patterns, in order
  bool desc = false;
  bool alpha = false;
  int64_t offset = 0, count = -1;  // LIMIT (count -1: all)
  std::optional<std::string_view> store;
};

// Parses SORT's options (store_allowed: not SORT_RO), replying Redis's
// errors.
bool ParseSortOptions(CommandContext& ctx, bool store_allowed, SortOptions* o) {
  const auto& a = ctx.argv;
  o->key = a[1];
  for (std::size_t j = 2; j < a.size(); ++j) {
    const std::size_t left = a.size() - j - 1;
    if (EqualsIgnoreCase(a[j], "asc")) {
      o->desc = false;
    } else if (EqualsIgnoreCase(a[j], "desc")) {
      o->desc = true;
    } else if (EqualsIgnoreCase(a[j], "alpha")) {
      o->alpha = true;
    } else if (EqualsIgnoreCase(a[j], "limit") && left >= 2) {
      if (!ParseInt64(a[j + 1], &o->offset) || !ParseInt64(a[j + 2], &o->count)) {
        ctx.reply.Error(kNotIntegerError);
        return false;
      }
      j += 2;
    } else if (store_allowed && EqualsIgnoreCase(a[j], "store") && left >= 1) {
      o->store = a[++j];
    } else if (EqualsIgnoreCase(a[j], "by") && left >= 1) {
      o->by = a[++j];
      o->dont_sort = o->by->find('*') == std::string_view::npos;
    } else if (EqualsIgnoreCase(a[j], "get") && left >= 1) {
      o->gets.push_back(a[++j]);
    } else {
      ctx.reply.Error(kSyntaxError);
      return false;
    }
  }
  return true;
}

// A pattern with its '*' replaced by the element: the key to read and the
// hash field, if any (Redis's lookupKeyByPattern). nullopt: the pattern has
// no '*' (it names nothing).
struct PatternRef {
  std::string key;
  std::optional<std::string> field;
};
std::optional<PatternRef> Resolve(std::string_view pattern, std::string_view element) {
  const std::size_t star = pattern.find('*');
  if (star == std::string_view::npos) return std::nullopt;
  std::string_view rest = pattern.substr(star + 1);
  PatternRef ref;
  // "->field" after the '*', with a non-empty field, reads a hash field.
  if (const std::size_t arrow = rest.find("->");
      arrow != std::string_view::npos && arrow + 2 < rest.size()) {
    ref.field = std::string(rest.substr(arrow + 2));
    rest = rest.substr(0, arrow);
  }
  ref.key.reserve(star + element.size() + rest.size());
  ref.key.append(pattern.substr(0, star)).append(element).append(rest);
  return ref;
}

// The value a pattern names for an element ('#': the element itself):
// a string key's value, or a hash's field; nullopt otherwise.
std::optional<std::string> LookUp(Transaction& tx, std::string_view pattern,
                                  std::string_view element) {
  if (pattern == "#") return std::string(element);
  const std::optional<PatternRef> ref = Resolve(pattern, element);
  if (!ref) return std::nullopt;
  if (ref->field) {
    if (tx.type(ref->key) != Type::kHash) return std::nullopt;
    const auto* hash = static_cast<const HashValue*>(tx.object(ref->key));
    const std::optional<std::string_view> v = hash->get(*ref->field);
    if (!v) return std::nullopt;
    return std::string(*v);
  }
  if (tx.type(ref->key) != Type::kString) return std::nullopt;
  const std::optional<std::string_view> v = tx.get(ref->key);
  if (!v) return std::nullopt;
  return std::string(*v);
}

// The keys the patterns name for these elements (to declare in the update).
void PatternKeys(const SortOptions& o, const std::vector<std::string>& elements,
                 std::vector<std::string>* keys) {
  std::vector<std::string_view> patterns = o.gets;
  if (o.by && !o.dont_sort) patterns.push_back(*o.by);
  for (const std::string_view p : patterns) {
    if (p == "#" || p.find('*') == std::string_view::npos) continue;
    for (const std::string& e : elements) keys->push_back(Resolve(p, e)->key);
  }
}

enum class ReadResult { kOk, kWrongType };

// The elements of the sorted key, in the order SORT takes them without
// sorting: a list's, a set's iteration order, a sorted set's by score (a
// list and a sorted set reversed for DESC when not sorting, as Redis).
ReadResult ReadElements(Transaction& tx, const SortOptions& o, bool dont_sort,
                        std::vector<std::string>* out) {
  out->clear();
  switch (tx.type(o.key)) {
    case Type::kNone:
      return ReadResult::kOk;
    case Type::kList: {
      const auto* list = static_cast<const ListValue*>(tx.object(o.key));
      const bool reverse = dont_sort && o.desc;
      list->for_each_from(reverse ? list->size() - 1 : 0, reverse, [&](auto e) {
        out->emplace_back(e);
        return true;
      });
      return ReadResult::kOk;
    }
    case Type::kSet:
      static_cast<const SetValue*>(tx.object(o.key))->for_each([&](auto m) {
        out->emplace_back(m);
        return true;
      });
      return ReadResult::kOk;
    case Type::kZSet:
      static_cast<const ZSetValue*>(tx.object(o.key))
          ->for_each_from_rank(0, dont_sort && o.desc, [&](auto m, double) {
            out->emplace_back(m);
            return true;
          });
      return ReadResult::kOk;
    default:
      return ReadResult::kWrongType;
  }
}

// One element being sorted.
struct Item {
  std::string element;
  double score = 0;
  std::optional<std::string> by;  // ALPHA with BY: the value compared
};

// Reads, sorts and answers (or stores) in one update.
void SortGeneric(CommandContext& ctx, bool store_allowed) {
  SortOptions o;
  if (!ParseSortOptions(ctx, store_allowed, &o)) return;
  std::vector<std::string> seen;  // the elements the keys below were named for
  // Elements that keep changing between the read and the locked run (a hot
  // key written all the time) would retry without end: after a few tries the
  // sort runs once holding the whole keyspace, as it does inside EXEC.
  constexpr int kTriesBeforeWholeKeyspace = 4;
  for (int tries = 1;; ++tries) {
    std::vector<std::string> extra;
    PatternKeys(o, seen, &extra);
    std::vector<std::string_view> keys{o.key};
    if (o.store) keys.push_back(*o.store);
    keys.insert(keys.end(), extra.begin(), extra.end());
    bool retry = false;
    auto body = [&](Transaction& tx) {
      // A set is unordered: when it would not be sorted but the result
      // is stored, or computed in a script or EXEC, it is sorted as
      // strings (Redis does so for STORE and scripts, so that replicas
      // agree; here the WAL and the transaction's replay do). Only a BY
      // without '*' is dropped, which names no key.
      SortOptions eff = o;
      if (eff.dont_sort && tx.type(o.key) == Type::kSet && (o.store || ctx.tx != nullptr)) {
        eff.dont_sort = false;
        eff.alpha = true;
        eff.by.reset();
      }
      const bool dont_sort = eff.dont_sort, alpha = eff.alpha;
      const std::optional<std::string_view> by = eff.by;
      std::vector<std::string> elements;
      if (ReadElements(tx, eff, dont_sort, &elements) == ReadResult::kWrongType) {
        ctx.reply.Error(keyspace::kWrongTypeError);
        return;
      }
      // Outside EXEC only the declared keys may be read: the patterns'
      // keys must be those of these elements.
      if (ctx.tx == nullptr && elements != seen && (by || !eff.gets.empty())) {
        seen = std::move(elements);
        retry = true;
        return;
      }
      // LIMIT, as Redis clamps it.
      const int64_t n = static_cast<int64_t>(elements.size());
      int64_t start = o.offset < 0 ? 0 : o.offset;
      int64_t end = o.count < 0 ? n - 1 : start + o.count - 1;
      if (start >= n) {
        start = n - 1;
        end = n - 2;
      }
      if (end >= n) end = n - 1;
      std::vector<Item> items(elements.size());
      for (std::size_t i = 0; i < elements.size(); ++i) items[i].element = elements[i];
      if (!dont_sort) {
        for (Item& it : items) {
          std::optional<std::string> value;
          if (by) {
            value = LookUp(tx, *by, it.element);
            if (!value) continue;
          } else {
            value = it.element;
          }
          if (alpha) {
            if (by) it.by = std::move(value);
            continue;
          }
          errno = 0;
          char* rest = nullptr;
          it.score = std::strtod(value->c_str(), &rest);
          if (*rest != '\0' || errno == ERANGE || std::isnan(it.score)) {
            ctx.reply.Error("ERR One or more scores can't be converted into double");
            return;
          }
        }
        // Redis's sortCompare: numbers tie-break on the element's bytes;
        // BY values compared as strings do not (equal ones, and missing
        // ones, which come first, keep the elements' order).
        std::stable_sort(items.begin(), items.end(), [&](const Item& x, const Item& y) {
          int cmp = 0;
          if (!alpha) {
            cmp = x.score < y.score ? -1 : (x.score > y.score ? 1 : 0);
          } else if (by) {
            if (!x.by || !y.by) {
              cmp = x.by ? 1 : (y.by ? -1 : 0);
            } else {
              cmp = x.by->compare(*y.by);
            }
          }
          if (cmp == 0 && (!alpha || !by)) cmp = x.element.compare(y.element);
          cmp = cmp < 0 ? -1 : (cmp > 0 ? 1 : 0);
          return o.desc ? cmp > 0 : cmp < 0;
        });
      }
      const int64_t out_len = end >= start ? end - start + 1 : 0;
      std::vector<std::optional<std::string>> out;
      for (int64_t i = start; i < start + out_len; ++i) {
        const std::string& e = items[static_cast<std::size_t>(i)].element;
        if (eff.gets.empty()) out.emplace_back(e);
        for (const std::string_view g : eff.gets) out.push_back(LookUp(tx, g, e));
      }
      if (!o.store) {
        ctx.reply.ArrayHeader(out.size());
        for (const auto& v : out) {
          if (v) {
            ctx.reply.Bulk(*v);
          } else {
            ctx.reply.Null();
          }
        }
        return;
      }
      tx.remove(*o.store);
      if (!out.empty()) {
        std::vector<std::string_view> args{"R"};
        for (const auto& v : out) args.push_back(v ? std::string_view(*v) : "");
        tx.apply(*o.store, OpCode::kListPush, args);
      }
      ctx.reply.Integer(static_cast<int64_t>(out.size()));
    };
    if (ctx.tx == nullptr && tries > kTriesBeforeWholeKeyspace) {
      const Result<void> r = ctx.server.store->update_all(
          [&](Transaction& tx) {
            ctx.tx = &tx;
            keyspace::Update(ctx, keys, body);
            ctx.tx = nullptr;
          },
          ctx.durability.Deferred());
      ctx.durability.Record();
      if (!r) ReplyStoreError(ctx, r.error());
      return;
    }
    if (!keyspace::Update(ctx, keys, body)) return;
    if (!retry) return;
  }
}

}  // namespace

// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC]
//      [ALPHA] [STORE destination]
void SortCommand(CommandContext& ctx) { SortGeneric(ctx, true); }
// SORT_RO: SORT without STORE.
void SortRoCommand(CommandContext& ctx) { SortGeneric(ctx, false); }

}  // namespace kvstore::server
