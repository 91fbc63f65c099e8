// Copyright (c) the kvstore developers.
//
// Helpers shared by the crash and fault tests: a reference model of the map
// (and one that also holds each key's deadline), reading a store's whole
// contents over a known keyspace, and opening a store the way an application
// would after a crash.

#ifndef KVSTORE_TESTS_SUPPORT_STORE_MODEL_H_
#define KVSTORE_TESTS_SUPPORT_STORE_MODEL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kvstore/kvstore.h"
#include "support/fault_injection_fs.h"

namespace kvstore::testing {

using Model = std::map<std::string, std::string>;

inline std::string Describe(const Model& m) {
  std::string s = "{";
  for (const auto& [k, v] : m) {
    if (s.size() > 1) s += ", ";
    s += k + "=" + v;
  }
  return s + "}";
}

// The store's contents over `keys`. If the store holds a key outside `keys`
// (its size() disagrees), the result gets the marker key "<stray keys>".
inline Model ReadAll(const KvStore& store, const std::vector<std::string>& keys) {
  Model m;
  for (const auto& k : keys) {
    if (auto v = store.get(k)) m[k] = *v;
  }
  if (store.size() != m.size()) m["<stray keys>"] = std::to_string(store.size() - m.size());
  return m;
}

// A value with its deadline (kNoExpiry: none), and a model of both.
struct Timed {
  std::string value;
  int64_t deadline = kNoExpiry;
  bool operator==(const Timed&) const = default;
};
using TimedModel = std::map<std::string, Timed>;

inline std::string Describe(const TimedModel& m) {
  std::string s = "{";
  for (const auto& [k, t] : m) {
    if (s.size() > 1) s += ", ";
    s += k + "=" + t.value;
    if (t.deadline != kNoExpiry) s += "@" + std::to_string(t.deadline);
  }
  return s + "}";
}

// The model as the store must show it at now_ms: keys whose deadline has
// passed are gone (a key is visible through its deadline's millisecond).
inline TimedModel Unexpired(TimedModel m, int64_t now_ms) {
  std::erase_if(m, [&](const auto& kv) {
    return kv.second.deadline != kNoExpiry && kv.second.deadline < now_ms;
  });
  return m;
}

// How a model holds a list: "list:" and the elements, each followed by '|'
// (no string value a test writes starts with "list:").
inline std::string ListText(const std::vector<std::string>& elements) {
  std::string s = "list:";
  for (const auto& e : elements) s += e + "|";
  return s;
}
inline bool IsListText(const std::string& v) { return v.rfind("list:", 0) == 0; }

// As ReadAll, with each key's deadline (expire_time()).
// A list reads as ListText of its elements.
inline TimedModel ReadAllTimed(const KvStore& store, const std::vector<std::string>& keys) {
  TimedModel m;
  for (const auto& k : keys) {
    if (auto v = store.get(k)) m[k] = Timed{*v, store.expire_time(k)};
    std::vector<std::string> elements;
    const Type type = store.view(k, [&](const Object& obj) {
      if (obj.type() != Type::kList) return;
      static_cast<const ListValue&>(obj).for_each_from(0, false, [&](std::string_view e) {
        elements.emplace_back(e);
        return true;
      });
    });
    if (type == Type::kList) m[k] = Timed{ListText(elements), store.expire_time(k)};
  }
  if (store.size() != m.size()) m["<stray keys>"] = Timed{std::to_string(store.size() - m.size())};
  return m;
}

// clock: Options::clock (empty: the system clock).
inline Options MakeOptions(std::shared_ptr<FaultInjectionFs> fs, SyncMode mode,
                           std::function<int64_t()> clock = {}) {
  Options o;
  o.sync = mode;
  o.fs = std::move(fs);
  o.clock = std::move(clock);
  return o;
}

// Opens the store as an application would: from the snapshot if one exists,
// else from the WAL alone.
inline Result<KvStore> OpenStore(const std::shared_ptr<FaultInjectionFs>& fs,
                                 const std::string& snap, const std::string& wal, SyncMode mode,
                                 std::function<int64_t()> clock = {}) {
  if (fs->Exists(snap)) return KvStore::load_from_file(snap, wal, MakeOptions(fs, mode, clock));
  return KvStore::open(wal, MakeOptions(fs, mode, std::move(clock)));
}

inline const char* ModeName(SyncMode m) {
  switch (m) {
    case SyncMode::kAlways:
      return "kAlways";
    case SyncMode::kEverySecond:
      return "kEverySecond";
    case SyncMode::kNever:
      return "kNever";
  }
  return "?";
}

}  // namespace kvstore::testing

#endif  // KVSTORE_TESTS_SUPPORT_STORE_MODEL_H_
