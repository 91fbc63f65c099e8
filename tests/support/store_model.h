// Copyright (c) the kvstore developers.
//
// Helpers shared by the crash and fault tests: a reference model of the map,
// reading a store's whole contents over a known keyspace, and opening a store
// the way an application would after a crash.

#ifndef KVSTORE_TESTS_SUPPORT_STORE_MODEL_H_
#define KVSTORE_TESTS_SUPPORT_STORE_MODEL_H_

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

inline Options MakeOptions(std::shared_ptr<FaultInjectionFs> fs, SyncMode mode) {
  Options o;
  o.sync = mode;
  o.fs = std::move(fs);
  return o;
}

// Opens the store as an application would: from the snapshot if one exists,
// else from the WAL alone.
inline Result<KvStore> OpenStore(const std::shared_ptr<FaultInjectionFs>& fs,
                                 const std::string& snap, const std::string& wal, SyncMode mode) {
  if (fs->Exists(snap)) return KvStore::load_from_file(snap, wal, MakeOptions(fs, mode));
  return KvStore::open(wal, MakeOptions(fs, mode));
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
