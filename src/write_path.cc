// Copyright (c) the kvstore developers.

#include "write_path.h"

#include <algorithm>
#include <random>
#include <unordered_map>

#include "error.h"

namespace kvstore {

namespace {

// The per-thread buffer records are encoded into, so a write allocates only
// its map entry. Large records do not keep their memory.
std::string& RecordBuffer() {
  thread_local std::string buf;
  return buf;
}
void TrimRecordBuffer(std::string& buf) {
  if (buf.capacity() > (1u << 20)) std::string().swap(buf);
}

Result<void> CheckSizes(std::string_view key, std::string_view value) {
  if (key.size() > KvStore::kMaxKeySize) {
    return InvalidArgument("key of " + std::to_string(key.size()) + " bytes exceeds the limit of " +
                           std::to_string(KvStore::kMaxKeySize));
  }
  if (value.size() > KvStore::kMaxValueSize) {
    return InvalidArgument("value of " + std::to_string(value.size()) +
                           " bytes exceeds the limit of " + std::to_string(KvStore::kMaxValueSize));
  }
  return {};
}

// Marks a writer on its way to Wal::Append (see Wal::WriterEnter).
class InFlight {
 public:
  explicit InFlight(Wal& wal) : wal_(wal) { wal_.WriterEnter(); }
  ~InFlight() { wal_.WriterLeave(); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  Wal& wal_;
};

}  // namespace

Result<void> WritePath::Set(std::string_view key, std::string_view value, const WriteOptions& wo) {
  KV_RETURN_IF_ERROR(CheckSizes(key, value));
  std::string& rec = RecordBuffer();
  const uint64_t hash = wal::EncodeRecord(wal::RecordType::kSet, key, value, &rec);
  const HashedKey k = ShardMap::HashKey(key);
  Shard& shard = map_->ShardFor(k);
  Result<uint64_t> seq = uint64_t{0};
  {
    InFlight in_flight(*wal_);
    WriterLock lock(&shard.mu);
    seq = wal_->Append(&rec, hash);
    if (seq) shard.Put(k, value);
    if (count_ops_) shard.Bump(shard.sets);
  }
  TrimRecordBuffer(rec);
  return Finish(seq, wo);
}

Result<void> WritePath::Finish(const Result<uint64_t>& seq, const WriteOptions& wo) {
  if (wo.sequence != nullptr) *wo.sequence = seq ? *seq : 0;
  if (!seq) return Logged(Result<void>(seq.error()));
  if (!wo.wait_durable) return {};
  return Logged(wal_->Commit(*seq));
}

Result<std::optional<std::string>> WritePath::Remove(std::string_view key,
                                                     const WriteOptions& wo) {
  if (wo.sequence != nullptr) *wo.sequence = 0;
  if (key.size() > KvStore::kMaxKeySize) return std::optional<std::string>();  // cannot exist
  const HashedKey k = ShardMap::HashKey(key);
  Shard& shard = map_->ShardFor(k);
  std::string& rec = RecordBuffer();
  std::optional<std::string> old;
  Result<uint64_t> seq = uint64_t{0};
  {
    InFlight in_flight(*wal_);
    WriterLock lock(&shard.mu);
    if (count_ops_) shard.Bump(shard.removes);
    if (shard.Find(k) == nullptr) return std::optional<std::string>();
    const uint64_t hash = wal::EncodeRecord(wal::RecordType::kRemove, key, {}, &rec);
    seq = wal_->Append(&rec, hash);
    if (seq) old = shard.Erase(k);
  }
  TrimRecordBuffer(rec);
  KV_RETURN_IF_ERROR(Finish(seq, wo));
  return old;
}

Result<void> WritePath::Clear(const WriteOptions& wo) {
  if (count_ops_) clears_.fetch_add(1, std::memory_order_relaxed);
  std::string& rec = RecordBuffer();
  const uint64_t hash = wal::EncodeRecord(wal::RecordType::kClear, {}, {}, &rec);
  Result<uint64_t> seq = uint64_t{0};
  // Every shard locked: the clear lands between whole writes of every key.
  map_->ClearIf([&] {
    seq = wal_->Append(&rec, hash);
    return static_cast<bool>(seq);
  });
  return Finish(seq, wo);
}

// ---- update(): multi-key read-modify-write ----

// What a Transaction sees: the declared keys (hashed, with their shards, all
// locked exclusively by Update) and the writes made so far, in order.
class Transaction::Impl {
 public:
  struct Declared {
    HashedKey key;
    Shard* shard;
  };
  struct Write {
    std::string key;
    std::optional<std::string> value;  // nullopt: remove
    bool clear = false;                // update_all(): every key removed
  };

  // Whether key may be written: any key in update_all(), else a declared one.
  bool Allowed(std::string_view key) { return all || Find(key) != nullptr; }

  const Declared* Find(std::string_view key) {
    for (const auto& d : declared)
      if (d.key.key == key) return &d;
    if (!error) error = InvalidArgument("update() touched an undeclared key");
    return nullptr;
  }

  // update_all(): the latest write of each key since the last clear, and
  // whether a clear came first. Runs under every shard's lock.
  struct Overlay {
    std::unordered_map<std::string_view, const std::optional<std::string>*> latest;
    bool cleared = false;
  };
  Overlay MakeOverlay() const {
    Overlay o;
    for (const auto& w : writes) {
      if (w.clear) {
        o.latest.clear();
        o.cleared = true;
      } else {
        o.latest[w.key] = &w.value;
      }
    }
    return o;
  }
  // Applies the writes in order, after they were logged; the caller holds
  // the shards' locks (every shard's, if a clear is among them).
  void Apply(ShardMap* m) const ABSL_NO_THREAD_SAFETY_ANALYSIS {
    for (const auto& w : writes) {
      if (w.clear) {
        for (std::size_t i = 0; i < ShardMap::kShards; ++i) m->shard(i).Clear();
        continue;
      }
      const HashedKey k = ShardMap::HashKey(w.key);
      Shard& s = m->ShardFor(k);
      if (w.value) {
        s.Put(k, *w.value);
      } else {
        (void)s.Erase(k);
      }
    }
  }
  const char* FindCommitted(std::string_view key) const ABSL_NO_THREAD_SAFETY_ANALYSIS {
    const HashedKey k = ShardMap::HashKey(key);
    return map->ShardFor(k).Find(k);
  }

  std::vector<Declared> declared;
  std::vector<Write> writes;
  std::optional<Error> error;
  bool all = false;          // update_all(): every shard locked, any key allowed
  ShardMap* map = nullptr;   // update_all() only
};

// Runs inside WritePath::Update, which holds the declared shards' locks (a
// set the analysis cannot name).
std::optional<std::string_view> Transaction::get(std::string_view key) const
    ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (impl_->all) {
    for (auto it = impl_->writes.rbegin(); it != impl_->writes.rend(); ++it) {
      if (it->clear) return std::nullopt;
      if (it->key == key) {
        if (!it->value) return std::nullopt;
        return std::string_view(*it->value);
      }
    }
    const char* e = impl_->FindCommitted(key);
    if (e == nullptr) return std::nullopt;
    return Entry::Value(e);
  }
  const Impl::Declared* d = impl_->Find(key);
  if (d == nullptr) return std::nullopt;
  for (auto it = impl_->writes.rbegin(); it != impl_->writes.rend(); ++it) {
    if (it->key == key) {
      if (!it->value) return std::nullopt;
      return std::string_view(*it->value);
    }
  }
  const char* e = d->shard->Find(d->key);
  if (e == nullptr) return std::nullopt;
  return Entry::Value(e);
}

void Transaction::set(std::string_view key, std::string_view value) {
  if (!impl_->Allowed(key)) return;
  if (auto r = CheckSizes(key, value); !r) {
    if (!impl_->error) impl_->error = r.error();
    return;
  }
  impl_->writes.push_back({std::string(key), std::string(value)});
}

void Transaction::remove(std::string_view key) {
  if (!impl_->Allowed(key)) return;
  impl_->writes.push_back({std::string(key), std::nullopt});
}

bool Transaction::wrote(std::string_view key) const {
  for (const auto& w : impl_->writes) {
    if (w.clear || w.key == key) return true;
  }
  return false;
}

// ---- the whole-keyspace calls of update_all() ----

void Transaction::clear() {
  if (!impl_->all) {
    if (!impl_->error) impl_->error = InvalidArgument("Transaction::clear() needs update_all()");
    return;
  }
  impl_->writes.push_back({std::string(), std::nullopt, true});
}

std::size_t Transaction::size() const {
  if (!impl_->all) return 0;
  const Impl::Overlay o = impl_->MakeOverlay();
  std::size_t n = o.cleared ? 0 : impl_->map->Size();
  for (const auto& [key, value] : o.latest) {
    const bool was = !o.cleared && impl_->FindCommitted(key) != nullptr;
    if (value->has_value() && !was) ++n;
    if (!value->has_value() && was) --n;
  }
  return n;
}

void Transaction::scan(
    const std::function<void(std::string_view, std::string_view)>& fn) const
    ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (!impl_->all) return;
  const Impl::Overlay o = impl_->MakeOverlay();
  if (!o.cleared) {
    for (std::size_t i = 0; i < ShardMap::kShards; ++i) {
      for (const char* e : impl_->map->shard(i).set) {
        if (!o.latest.contains(Entry::Key(e))) fn(Entry::Key(e), Entry::Value(e));
      }
    }
  }
  for (const auto& [key, value] : o.latest) {
    if (value->has_value()) fn(key, **value);
  }
}

std::optional<std::string> Transaction::random_key() const {
  const std::size_t n = size();
  if (n == 0) return std::nullopt;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::size_t pick = static_cast<std::size_t>(rng() % n);
  std::optional<std::string> out;
  scan([&](std::string_view key, std::string_view) {
    if (pick-- == 0) out = std::string(key);
  });
  return out;
}

// Locks a run-time set of shards, which the analysis cannot follow; the
// locks are taken in index order and released by Unlock on every path.
Result<void> WritePath::Update(const std::vector<std::string_view>& keys,
                               const std::function<void(Transaction&)>& fn,
                               const WriteOptions& wo) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (wo.sequence != nullptr) *wo.sequence = 0;
  if (count_ops_) updates_.fetch_add(1, std::memory_order_relaxed);
  Transaction::Impl t;
  t.declared.reserve(keys.size());
  std::vector<Shard*> shards;
  shards.reserve(keys.size());
  for (std::string_view key : keys) {
    if (key.size() > KvStore::kMaxKeySize) return CheckSizes(key, {});
    const HashedKey k = ShardMap::HashKey(key);
    Shard* s = &map_->ShardFor(k);
    t.declared.push_back({k, s});
    shards.push_back(s);
  }
  // Shards are array elements: address order is index order, the order
  // clear() (ShardMap::ClearIf) uses too, so updates and clears cannot
  // deadlock.
  std::sort(shards.begin(), shards.end());
  shards.erase(std::unique(shards.begin(), shards.end()), shards.end());

  InFlight in_flight(*wal_);
  for (Shard* s : shards) s->mu.Lock();
  struct Unlock {
    std::vector<Shard*>& shards;
    ~Unlock() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      for (auto it = shards.rbegin(); it != shards.rend(); ++it) (*it)->mu.Unlock();
    }
  };
  Result<uint64_t> seq = uint64_t{0};
  {
    Unlock unlock{shards};
    Transaction txn(&t);
    fn(txn);
    if (t.error) return *t.error;
    if (t.writes.empty()) return {};
    std::string& rec = RecordBuffer();
    uint64_t hash;
    if (t.writes.size() == 1) {
      const auto& w = t.writes[0];
      hash = w.value ? wal::EncodeRecord(wal::RecordType::kSet, w.key, *w.value, &rec)
                     : wal::EncodeRecord(wal::RecordType::kRemove, w.key, {}, &rec);
    } else {
      std::vector<wal::BatchOp> ops;
      ops.reserve(t.writes.size());
      for (const auto& w : t.writes) {
        ops.push_back(w.value ? wal::BatchOp{wal::RecordType::kSet, w.key, *w.value}
                              : wal::BatchOp{wal::RecordType::kRemove, w.key, {}});
      }
      hash = wal::EncodeBatchRecord(ops.data(), ops.size(), &rec);
    }
    seq = wal_->Append(&rec, hash);
    TrimRecordBuffer(rec);
    if (seq) t.Apply(map_);
  }
  return Finish(seq, wo);
}

// ---- update_all(): the whole keyspace in one transaction ----

Result<void> WritePath::UpdateAll(const std::function<void(Transaction&)>& fn,
                                  const WriteOptions& wo) {
  if (wo.sequence != nullptr) *wo.sequence = 0;
  if (count_ops_) updates_.fetch_add(1, std::memory_order_relaxed);
  Transaction::Impl t;
  t.all = true;
  t.map = map_;
  Result<uint64_t> seq = uint64_t{0};
  InFlight in_flight(*wal_);
  // ClearIf is the one helper that holds every shard's lock; this never asks
  // it to clear (a clear fn made is applied by CommitAll, in order).
  map_->ClearIf([&] {
    Transaction txn(&t);
    fn(txn);
    if (!t.error && !t.writes.empty()) seq = CommitAll(t);
    return false;
  });
  if (t.error) return *t.error;
  return Finish(seq, wo);
}

Result<uint64_t> WritePath::CommitAll(Transaction::Impl& t) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  std::string& rec = RecordBuffer();
  std::vector<wal::BatchOp> ops;
  ops.reserve(t.writes.size());
  for (const auto& w : t.writes) {
    if (w.clear) {
      ops.push_back({wal::RecordType::kClear, {}, {}});
    } else if (w.value) {
      ops.push_back({wal::RecordType::kSet, w.key, *w.value});
    } else {
      ops.push_back({wal::RecordType::kRemove, w.key, {}});
    }
  }
  const uint64_t hash = ops.size() == 1
                            ? wal::EncodeRecord(ops[0].type, ops[0].key, ops[0].value, &rec)
                            : wal::EncodeBatchRecord(ops.data(), ops.size(), &rec);
  Result<uint64_t> seq = wal_->Append(&rec, hash);
  TrimRecordBuffer(rec);
  if (seq) t.Apply(map_);
  return seq;
}

}  // namespace kvstore
