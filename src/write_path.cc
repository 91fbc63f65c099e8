// Copyright (c) the kvstore developers.

#include "write_path.h"

#include <algorithm>

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
  explicit InFlight(Wal& wal) : wal_(wal), counted_(wal_.WriterEnter()) {}
  ~InFlight() { wal_.WriterLeave(counted_); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  Wal& wal_;
  const bool counted_;
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
  };

  const Declared* Find(std::string_view key) {
    for (const auto& d : declared)
      if (d.key.key == key) return &d;
    if (!error) error = InvalidArgument("update() touched an undeclared key");
    return nullptr;
  }

  std::vector<Declared> declared;
  std::vector<Write> writes;
  std::optional<Error> error;
};

// Runs inside WritePath::Update, which holds the declared shards' locks (a
// set the analysis cannot name).
std::optional<std::string_view> Transaction::get(std::string_view key) const
    ABSL_NO_THREAD_SAFETY_ANALYSIS {
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
  if (impl_->Find(key) == nullptr) return;
  if (auto r = CheckSizes(key, value); !r) {
    if (!impl_->error) impl_->error = r.error();
    return;
  }
  impl_->writes.push_back({std::string(key), std::string(value)});
}

void Transaction::remove(std::string_view key) {
  if (impl_->Find(key) == nullptr) return;
  impl_->writes.push_back({std::string(key), std::nullopt});
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
    if (seq) {
      for (const auto& w : t.writes) {
        const HashedKey k = ShardMap::HashKey(w.key);
        Shard& s = map_->ShardFor(k);
        if (w.value) {
          s.Put(k, *w.value);
        } else {
          (void)s.Erase(k);
        }
      }
    }
  }
  return Finish(seq, wo);
}

}  // namespace kvstore
