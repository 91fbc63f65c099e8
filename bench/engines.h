// Copyright (c) the kvstore developers.
//
// The competitors behind one small interface, so that every workload runs
// the same loop against each of them. The virtual call costs the same few
// nanoseconds for everyone.

#ifndef KVSTORE_BENCH_ENGINES_H_
#define KVSTORE_BENCH_ENGINES_H_

#include <absl/container/flat_hash_map.h>
#include <kvstore/kvstore.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "seed_baseline.h"

#ifdef KVBENCH_HAVE_LEVELDB
#include <leveldb/db.h>
#include <leveldb/options.h>
#endif

namespace kvbench {

class Engine {
 public:
  virtual ~Engine() = default;
  // Looks key up and copies its value into *value through the engine's own
  // read: into the caller's string where the API takes one (kvstore's
  // get(key, &value), LevelDB's Get, the ceiling), or by moving in the new
  // string the API returns (the seed's get, as in the seed: an owned copy
  // per call). True if found.
  virtual bool Get(std::string_view key, std::string* value) = 0;
  // Sets key to value; throws on failure.
  virtual void Set(std::string_view key, std::string_view value) = 0;
};

class SeedEngine final : public Engine {
 public:
  explicit SeedEngine(const std::string& wal_path) : store_(wal_path) {}
  bool Get(std::string_view key, std::string* value) override {
    std::optional<std::string> v = store_.Get(key);
    if (!v) return false;
    *value = std::move(*v);
    return true;
  }
  void Set(std::string_view key, std::string_view value) override {
    store_.Set(std::string(key), std::string(value));
  }
  SeedStore& store() { return store_; }

 private:
  SeedStore store_;
};

class KvEngine final : public Engine {
 public:
  KvEngine(const std::string& wal_path, kvstore::SyncMode mode, bool count_operations = true)
      : store_(Open(wal_path, mode, count_operations)) {}
  bool Get(std::string_view key, std::string* value) override { return store_.get(key, value); }
  void Set(std::string_view key, std::string_view value) override {
    store_.set(std::string(key), std::string(value)).value();
  }
  kvstore::KvStore& store() { return store_; }

  static kvstore::KvStore Open(const std::string& wal_path, kvstore::SyncMode mode,
                               bool count_operations = true) {
    kvstore::Options options;
    options.sync = mode;
    options.count_operations = count_operations;
    options.log_level = kvstore::LogLevel::kWarn;
    return kvstore::KvStore::open(wal_path, options).value();
  }

 private:
  kvstore::KvStore store_;
};

// The ceiling for reads: one absl Swiss table read with no lock at all (the
// value copied out as the others do). Only for read-only workloads: Set is
// for filling it before it is shared, and takes no lock either.
class CeilingEngine final : public Engine {
 public:
  bool Get(std::string_view key, std::string* value) override {
    auto it = map_.find(absl::string_view(key.data(), key.size()));
    if (it == map_.end()) return false;
    value->assign(it->second);
    return true;
  }
  void Set(std::string_view key, std::string_view value) override {
    map_.insert_or_assign(std::string(key), std::string(value));
  }

 private:
  absl::flat_hash_map<std::string, std::string> map_;
};

#ifdef KVBENCH_HAVE_LEVELDB
// LevelDB with its default options (4 MiB write buffer, 8 MiB block cache,
// Snappy if built in); `sync` is WriteOptions::sync for every write.
class LevelDbEngine final : public Engine {
 public:
  LevelDbEngine(const std::string& dir, bool sync) {
    leveldb::Options options;
    options.create_if_missing = true;
    leveldb::DB* db = nullptr;
    leveldb::Status s = leveldb::DB::Open(options, dir, &db);
    if (!s.ok()) throw std::runtime_error("leveldb open " + dir + ": " + s.ToString());
    db_.reset(db);
    write_.sync = sync;
  }
  bool Get(std::string_view key, std::string* value) override {
    leveldb::Status s = db_->Get(leveldb::ReadOptions(), Slice(key), value);
    if (s.ok()) return true;
    if (s.IsNotFound()) return false;
    throw std::runtime_error("leveldb get: " + s.ToString());
  }
  void Set(std::string_view key, std::string_view value) override {
    leveldb::Status s = db_->Put(write_, Slice(key), Slice(value));
    if (!s.ok()) throw std::runtime_error("leveldb put: " + s.ToString());
  }

 private:
  static leveldb::Slice Slice(std::string_view s) { return leveldb::Slice(s.data(), s.size()); }
  std::unique_ptr<leveldb::DB> db_;
  leveldb::WriteOptions write_;
};
#endif

}  // namespace kvbench

#endif  // KVSTORE_BENCH_ENGINES_H_
