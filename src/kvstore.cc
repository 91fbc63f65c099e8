// Copyright (c) the kvstore developers.
//
// KvStore: the sharded map plus the WAL. A write takes its shard's lock
// exclusively, appends its record to the WAL (which assigns the sequence
// number), applies it to the map, releases the lock, and only then waits for
// durability (kAlways). Holding the shard lock across append and apply makes
// the order of writes to a key in memory equal to their order in the log, so
// replay reproduces the state readers saw.

#include "kvstore/kvstore.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <vector>

#include "error.h"
#include "shard_map.h"
#include "snapshot.h"
#include "wal.h"

namespace kvstore {

class KvStore::Impl {
 public:
  Impl(std::shared_ptr<FileSystem> fs, std::string wal_path)
      : fs_(std::move(fs)), wal_path_(std::move(wal_path)) {}

  static Result<std::unique_ptr<Impl>> Open(const std::string* snapshot_path,
                                            const std::string& wal_path, const Options& options);

  std::optional<std::string> Get(std::string_view key) const { return map_.Get(key); }
  Result<void> Set(std::string_view key, std::string_view value);
  Result<std::optional<std::string>> Remove(std::string_view key);
  Result<void> Clear();
  Result<void> Update(const std::vector<std::string_view>& keys,
                      const std::function<void(Transaction&)>& fn);
  uint64_t Scan(uint64_t cursor, std::size_t count,
                const std::function<void(std::string_view, std::string_view)>& fn) const;
  std::optional<std::string> RandomKey() const;
  std::size_t Size() const { return map_.Size(); }
  Result<void> Save(const std::string& snapshot_path);
  Result<void> Sync() { return wal_->SyncAll(); }
  Result<void> Close() { return wal_->Close(); }
  const RecoveryStats& recovery() const { return recovery_; }
  uint64_t LastSequence() const { return wal_->last_seq(); }
  Stats GetStats() const {
    const WalCounters c = wal_->counters();
    Stats s;
    s.keys = Size();
    s.wal_records = c.records;
    s.wal_bytes = c.bytes;
    s.wal_syncs = c.syncs;
    s.recovery = recovery_;
    return s;
  }

 private:
  void Apply(const wal::RecordView& rec);
  Result<void> WriteSnapshotFile(const std::string& path, uint64_t seq);

  const std::shared_ptr<FileSystem> fs_;
  const std::string wal_path_;
  ShardMap map_;
  std::unique_ptr<Wal> wal_;
  RecoveryStats recovery_;
  std::mutex save_mu_;  // one save at a time
};

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

Error Moved() { return Error(ErrorCode::kClosed, "store was moved from"); }

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

void KvStore::Impl::Apply(const wal::RecordView& rec) {
  switch (rec.type) {
    case wal::RecordType::kSet: {
      HashedKey k = ShardMap::HashKey(rec.key);
      map_.ShardFor(k).Put(k, rec.value);
      break;
    }
    case wal::RecordType::kRemove: {
      HashedKey k = ShardMap::HashKey(rec.key);
      (void)map_.ShardFor(k).Erase(k);
      break;
    }
    case wal::RecordType::kClear:
      for (std::size_t i = 0; i < ShardMap::kShards; ++i) map_.shard(i).Clear();
      break;
    case wal::RecordType::kBatch: {
      std::string why;  // the reader validated the grammar already
      (void)wal::ForEachBatchOp(rec.value, &why, [&](const wal::BatchOp& op) {
        HashedKey k = ShardMap::HashKey(op.key);
        if (op.type == wal::RecordType::kSet) {
          map_.ShardFor(k).Put(k, op.value);
        } else {
          (void)map_.ShardFor(k).Erase(k);
        }
      });
      break;
    }
  }
}

Result<std::unique_ptr<KvStore::Impl>> KvStore::Impl::Open(const std::string* snapshot_path,
                                                           const std::string& wal_path,
                                                           const Options& options) {
  const auto start = std::chrono::steady_clock::now();
  if (wal_path.empty() || (snapshot_path != nullptr && snapshot_path->empty())) {
    return InvalidArgument("empty path given for the " +
                           std::string(wal_path.empty() ? "WAL" : "snapshot"));
  }
  auto fs = options.fs ? options.fs : FileSystem::Default();
  auto impl = std::make_unique<Impl>(fs, wal_path);
  if (snapshot_path != nullptr) {
    KV_RETURN_IF_ERROR(RemoveLeftover(*fs, *snapshot_path + ".tmp"));  // a crash mid-save
    auto info = snapshot::Load(*fs, *snapshot_path, &impl->map_);
    if (!info) return std::move(info).error();
    // The snapshot may have been renamed into place without a directory sync.
    KV_RETURN_IF_ERROR(fs->SyncDir(DirName(*snapshot_path)));
    impl->recovery_.snapshot_keys = info->keys;
    impl->recovery_.snapshot_sequence = info->sequence;
  }
  // Replay applies records single-threaded before the store is shared, so
  // it needs no locks.
  auto wal = Wal::Open(
      fs, wal_path, options, impl->recovery_.snapshot_sequence, snapshot_path != nullptr,
      [p = impl.get()](uint64_t records) { p->map_.Reserve(p->map_.Size() + records); },
      [p = impl.get()](const wal::RecordView& rec) { p->Apply(rec); }, &impl->recovery_);
  if (!wal) return std::move(wal).error();
  impl->map_.ShrinkToFit();  // the reserve counted overwrites and removes too
  impl->wal_ = std::move(*wal);
  impl->recovery_.duration = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  return impl;
}

Result<void> KvStore::Impl::Set(std::string_view key, std::string_view value) {
  KV_RETURN_IF_ERROR(CheckSizes(key, value));
  std::string& rec = RecordBuffer();
  const uint64_t hash = wal::EncodeRecord(wal::RecordType::kSet, key, value, &rec);
  const HashedKey k = ShardMap::HashKey(key);
  Shard& shard = map_.ShardFor(k);
  Result<uint64_t> seq = uint64_t{0};
  {
    InFlight in_flight(*wal_);
    std::unique_lock lock(shard.mu);
    seq = wal_->Append(&rec, hash);
    if (seq) shard.Put(k, value);
  }
  TrimRecordBuffer(rec);
  if (!seq) return std::move(seq).error();
  return wal_->Commit(*seq);
}

Result<std::optional<std::string>> KvStore::Impl::Remove(std::string_view key) {
  if (key.size() > kMaxKeySize) return std::optional<std::string>();  // cannot exist
  const HashedKey k = ShardMap::HashKey(key);
  Shard& shard = map_.ShardFor(k);
  std::string& rec = RecordBuffer();
  std::optional<std::string> old;
  Result<uint64_t> seq = uint64_t{0};
  {
    InFlight in_flight(*wal_);
    std::unique_lock lock(shard.mu);
    if (shard.Find(k) == nullptr) return std::optional<std::string>();
    const uint64_t hash = wal::EncodeRecord(wal::RecordType::kRemove, key, {}, &rec);
    seq = wal_->Append(&rec, hash);
    if (seq) old = shard.Erase(k);
  }
  TrimRecordBuffer(rec);
  if (!seq) return std::move(seq).error();
  KV_RETURN_IF_ERROR(wal_->Commit(*seq));
  return old;
}

Result<void> KvStore::Impl::Clear() {
  std::string& rec = RecordBuffer();
  const uint64_t hash = wal::EncodeRecord(wal::RecordType::kClear, {}, {}, &rec);
  map_.LockAll();
  auto seq = wal_->Append(&rec, hash);
  if (seq) {
    for (std::size_t i = 0; i < ShardMap::kShards; ++i) map_.shard(i).Clear();
  }
  map_.UnlockAll();
  if (!seq) return std::move(seq).error();
  return wal_->Commit(*seq);
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

std::optional<std::string_view> Transaction::get(std::string_view key) const {
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

Result<void> KvStore::Impl::Update(const std::vector<std::string_view>& keys,
                                   const std::function<void(Transaction&)>& fn) {
  Transaction::Impl t;
  t.declared.reserve(keys.size());
  std::vector<Shard*> shards;
  shards.reserve(keys.size());
  for (std::string_view key : keys) {
    if (key.size() > kMaxKeySize) return CheckSizes(key, {});
    const HashedKey k = ShardMap::HashKey(key);
    Shard* s = &map_.ShardFor(k);
    t.declared.push_back({k, s});
    shards.push_back(s);
  }
  // Shards are array elements: address order is index order, the order
  // LockAll (clear) uses too, so updates and clears cannot deadlock.
  std::sort(shards.begin(), shards.end());
  shards.erase(std::unique(shards.begin(), shards.end()), shards.end());

  InFlight in_flight(*wal_);
  for (Shard* s : shards) s->mu.lock();
  struct Unlock {
    std::vector<Shard*>& shards;
    ~Unlock() {
      for (auto it = shards.rbegin(); it != shards.rend(); ++it) (*it)->mu.unlock();
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
        Shard& s = map_.ShardFor(k);
        if (w.value) {
          s.Put(k, *w.value);
        } else {
          (void)s.Erase(k);
        }
      }
    }
  }
  if (!seq) return std::move(seq).error();
  return wal_->Commit(*seq);
}

// ---- scan() and random_key() ----
//
// A cursor is (shard index << 56) | h, where h is a lower bound on the top 56
// bits of the key hashes still to visit in that shard. A page takes the keys
// of the shard with the smallest hashes >= h, never splitting a group of
// equal 56-bit hashes, so a key present throughout is visited exactly once
// whatever the table does meanwhile (rehashing reorders slots, not hashes).
// Finding a page costs a pass over the shard, so a page is at least 1/16 of
// the shard: a full iteration costs at most ~16 passes over the data.

namespace {
constexpr int kCursorShift = 56;
constexpr uint64_t kHashMask = (uint64_t{1} << kCursorShift) - 1;
uint64_t Hash56(const char* e) { return Hash64(Entry::Key(e)) >> 8; }
}  // namespace

uint64_t KvStore::Impl::Scan(
    uint64_t cursor, std::size_t count,
    const std::function<void(std::string_view, std::string_view)>& fn) const {
  std::size_t shard = static_cast<std::size_t>(cursor >> kCursorShift);
  uint64_t from = cursor & kHashMask;
  std::size_t emitted = 0;
  count = std::max<std::size_t>(count, 1);
  std::vector<std::pair<uint64_t, const char*>> page;
  while (shard < ShardMap::kShards && emitted < count) {
    const Shard& s = map_.shard(shard);
    std::shared_lock lock(s.mu);
    page.clear();
    for (const char* e : s.set) {
      const uint64_t h = Hash56(e);
      if (h >= from) page.emplace_back(h, e);
    }
    const std::size_t want = std::max(count - emitted, s.set.size() / 16);
    if (page.size() > want) {
      std::nth_element(page.begin(), page.begin() + static_cast<std::ptrdiff_t>(want - 1),
                       page.end());
      const uint64_t cut = page[want - 1].first;  // include every key hashing to cut
      for (const auto& [h, e] : page) {
        if (h <= cut) {
          fn(Entry::Key(e), Entry::Value(e));
          ++emitted;
        }
      }
      if (cut < kHashMask) return (uint64_t{shard} << kCursorShift) | (cut + 1);
    } else {
      for (const auto& [h, e] : page) fn(Entry::Key(e), Entry::Value(e));
      emitted += page.size();
    }
    ++shard;
    from = 0;
  }
  return shard < ShardMap::kShards ? uint64_t{shard} << kCursorShift : 0;
}

std::optional<std::string> KvStore::Impl::RandomKey() const {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  for (int attempt = 0; attempt < 8; ++attempt) {  // retry if keys vanish meanwhile
    const std::size_t total = map_.Size();
    if (total == 0) return std::nullopt;
    uint64_t r = rng() % total;
    for (std::size_t i = 0; i < ShardMap::kShards; ++i) {
      const Shard& s = map_.shard(i);
      const std::size_t n = s.count.load(std::memory_order_relaxed);
      if (r >= n) {
        r -= n;
        continue;
      }
      std::shared_lock lock(s.mu);
      if (r >= s.set.size()) break;
      auto it = s.set.begin();
      std::advance(it, static_cast<std::ptrdiff_t>(r));
      return std::string(Entry::Key(*it));
    }
  }
  return std::nullopt;
}

Result<void> KvStore::Impl::WriteSnapshotFile(const std::string& path, uint64_t seq) {
  auto file = fs_->NewWritableFile(path);
  if (!file) return std::move(file).error();
  auto r = snapshot::Write(map_, seq, file->get());
  if (r) r = (*file)->Sync();
  auto closed = (*file)->Close();
  if (r && !closed) r = closed;
  return r;
}

// Checkpoint protocol: cut the log at sequence V; write every shard (each as
// of some moment after V) to a temporary file; fsync it; rename it over the
// snapshot; fsync the directory; only then drop records <= V from the log.
// Replaying records > V over a shard captured after V is harmless because
// set, remove and clear are replayed in order from a record boundary.
Result<void> KvStore::Impl::Save(const std::string& snapshot_path) {
  if (snapshot_path.empty()) return InvalidArgument("empty snapshot path");
  std::lock_guard lock(save_mu_);
  auto cut = wal_->TakeCut();
  if (!cut) return std::move(cut).error();
  const std::string tmp = snapshot_path + ".tmp";
  auto r = WriteSnapshotFile(tmp, cut->seq);
  // Shards were captured after the cut, so the snapshot may hold writes newer
  // than V whose log records are not yet durable (kEverySecond, kNever). Make
  // them durable first: otherwise a power loss could keep a later write (in
  // the snapshot) while losing an earlier one (in the log's unsynced tail).
  if (r) r = wal_->SyncAll();
  if (r) r = fs_->RenameFile(tmp, snapshot_path);
  if (!r) {
    (void)fs_->RemoveFile(tmp);
    return r;
  }
  KV_RETURN_IF_ERROR(fs_->SyncDir(DirName(snapshot_path)));
  return wal_->Checkpoint(*cut);
}

// ---- KvStore: thin forwarding to Impl ----

KvStore::KvStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KvStore::KvStore(KvStore&&) noexcept = default;
KvStore& KvStore::operator=(KvStore&& other) noexcept {
  if (this != &other) {
    if (impl_) (void)impl_->Close();
    impl_ = std::move(other.impl_);
  }
  return *this;
}
KvStore::~KvStore() {
  if (impl_) (void)impl_->Close();
}

Result<KvStore> KvStore::open(const std::string& wal_path, const Options& options) {
  auto impl = Impl::Open(nullptr, wal_path, options);
  if (!impl) return std::move(impl).error();
  return KvStore(std::move(*impl));
}

Result<KvStore> KvStore::load_from_file(const std::string& snapshot_path,
                                        const std::string& wal_path, const Options& options) {
  auto impl = Impl::Open(&snapshot_path, wal_path, options);
  if (!impl) return std::move(impl).error();
  return KvStore(std::move(*impl));
}

std::optional<std::string> KvStore::get(std::string_view key) const {
  if (!impl_) return std::nullopt;
  return impl_->Get(key);
}

Result<void> KvStore::set(std::string key, std::string value) {
  if (!impl_) return Moved();
  return impl_->Set(key, value);
}

Result<std::optional<std::string>> KvStore::remove(std::string_view key) {
  if (!impl_) return Moved();
  return impl_->Remove(key);
}

Result<void> KvStore::clear() {
  if (!impl_) return Moved();
  return impl_->Clear();
}

Result<void> KvStore::update(const std::vector<std::string_view>& keys,
                             const std::function<void(Transaction&)>& fn) {
  if (!impl_) return Moved();
  return impl_->Update(keys, fn);
}

uint64_t KvStore::scan(uint64_t cursor, std::size_t count,
                       const std::function<void(std::string_view, std::string_view)>& fn) const {
  return impl_ ? impl_->Scan(cursor, count, fn) : 0;
}

std::optional<std::string> KvStore::random_key() const {
  return impl_ ? impl_->RandomKey() : std::nullopt;
}

std::size_t KvStore::size() const { return impl_ ? impl_->Size() : 0; }
bool KvStore::empty() const { return size() == 0; }

Result<void> KvStore::save_to_file(const std::string& snapshot_path) const {
  if (!impl_) return Moved();
  return impl_->Save(snapshot_path);
}

Result<void> KvStore::sync() const {
  if (!impl_) return Moved();
  return impl_->Sync();
}

Result<void> KvStore::close() {
  if (!impl_) return {};
  return impl_->Close();
}

RecoveryStats KvStore::recovery_stats() const { return impl_ ? impl_->recovery() : RecoveryStats{}; }

Stats KvStore::stats() const { return impl_ ? impl_->GetStats() : Stats{}; }

uint64_t KvStore::last_sequence() const { return impl_ ? impl_->LastSequence() : 0; }

}  // namespace kvstore
