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
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <set>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "backup_cut.h"
#include "data_dir.h"
#include "error.h"
#include "log.h"
#include "shard_map.h"
#include "snapshot.h"
#include "wal.h"

namespace kvstore {

class KvStore::Impl {
 public:
  Impl(std::shared_ptr<FileSystem> fs, std::string wal_path, const Options& options)
      : fs_(std::move(fs)),
        wal_path_(std::move(wal_path)),
        options_(options),
        count_ops_(options.count_operations),
        log_(MakeLogger(options)) {}
  ~Impl() { (void)Close(); }

  static Result<std::unique_ptr<Impl>> Open(const std::string* snapshot_path,
                                            const std::string& wal_path, const Options& options);
  static Result<std::unique_ptr<Impl>> OpenDir(const std::string& dir, const Options& options);

  std::optional<std::string> Get(std::string_view key) const;
  Result<void> Set(std::string_view key, std::string_view value, const WriteOptions& wo);
  Result<std::optional<std::string>> Remove(std::string_view key, const WriteOptions& wo);
  Result<void> Clear(const WriteOptions& wo);
  Result<void> Update(const std::vector<std::string_view>& keys,
                      const std::function<void(Transaction&)>& fn, const WriteOptions& wo);
  uint64_t Scan(uint64_t cursor, std::size_t count,
                const std::function<void(std::string_view, std::string_view)>& fn) const;
  std::optional<std::string> RandomKey() const;
  std::size_t Size() const { return map_.Size(); }
  Result<void> Save(const std::string& snapshot_path);
  Result<void> Checkpoint();
  Result<void> Sync() { return Logged(wal_->SyncAll()); }
  Result<void> Close();
  const RecoveryStats& recovery() const { return recovery_; }
  uint64_t LastSequence() const { return wal_->last_seq(); }
  uint64_t DurableSequence() const { return wal_->synced_seq(); }
  Result<void> WaitDurable(uint64_t seq) {
    return Logged(wal_->SyncUpTo(std::min(seq, wal_->last_seq())));
  }
  Stats GetStats() const;
  // Backup hooks (src/backup.cc): a cut whose files checkpoints keep until
  // UnpinBackup.
  Result<backup::StoreCut> PinForBackup();
  void UnpinBackup(const std::vector<std::string>& names);

 private:
  // The outcome of one snapshot write, for stats().
  struct SnapshotOutcome {
    uint64_t seq = 0;
    uint64_t bytes = 0;
  };

  void Apply(const wal::RecordView& rec);
  // The durability step every write ends with: reports the sequence number
  // and waits for it as Options::sync and wo require.
  Result<void> Finish(const Result<uint64_t>& seq, const WriteOptions& wo);
  Result<SnapshotOutcome> WriteSnapshotFile(const std::string& path, uint64_t seq);
  Result<void> CheckpointLocked();  // REQUIRES: save_mu_ held; dir mode
  Result<void> ReplaySegments(const datadir::Listing& listing);
  Result<void> RemoveObsolete(const datadir::Listing& listing);
  void CheckpointLoop();
  bool CheckpointDue(std::chrono::steady_clock::time_point now) const;  // REQUIRES: stats_mu_
  void NoteSnapshot(const Result<SnapshotOutcome>& r, double seconds);
  void LogOpened(const std::string& snapshot, const std::string& wal) const;
  // Logs the first failed write (the store refuses writes after a failed
  // sync, and logging every refusal would flood the log).
  template <typename T>
  T Logged(T r) const {
    if (!r && r.error().code() != ErrorCode::kInvalidArgument &&
        !write_error_logged_.exchange(true)) {
      log_->error("write failed: {}", r.error().ToString());
    }
    return r;
  }

  const std::shared_ptr<FileSystem> fs_;
  const std::string wal_path_;  // path mode: the WAL; dir mode: the first segment replayed
  const Options options_;
  const bool count_ops_;
  std::shared_ptr<spdlog::logger> log_;
  ShardMap map_;
  std::unique_ptr<Wal> wal_;
  RecoveryStats recovery_;
  std::mutex save_mu_;  // one save or checkpoint at a time
  mutable std::atomic<bool> write_error_logged_{false};
  std::atomic<uint64_t> clears_{0}, updates_{0};
  mutable std::atomic<uint64_t> scans_{0};

  // Data-directory mode (dir_ not empty).
  std::string dir_;
  std::unique_ptr<FileLock> dir_lock_;
  datadir::Manifest manifest_;  // GUARDED_BY(save_mu_)
  uint64_t segment_ = 0;        // segment taking appends; GUARDED_BY(save_mu_)
  std::multiset<std::string> pinned_;  // files running backups need; GUARDED_BY(save_mu_)

  // Snapshot bookkeeping and the background checkpoint thread.
  mutable std::mutex stats_mu_;
  std::condition_variable ckpt_cv_;
  bool stop_ = false;                        // GUARDED_BY(stats_mu_)
  bool closed_ = false;                      // GUARDED_BY(save_mu_)
  bool running_ = false;                     // GUARDED_BY(stats_mu_)
  uint64_t checkpoints_ = 0, failures_ = 0;  // GUARDED_BY(stats_mu_)
  std::optional<Error> last_error_;          // GUARDED_BY(stats_mu_)
  double last_seconds_ = 0;                  // GUARDED_BY(stats_mu_)
  uint64_t last_bytes_ = 0;                  // GUARDED_BY(stats_mu_)
  int64_t last_unix_ = 0;                    // GUARDED_BY(stats_mu_)
  uint64_t snap_seq_ = 0;                    // sequence of the last snapshot; GUARDED_BY(stats_mu_)
  uint64_t snap_wal_bytes_ = 0;              // WAL bytes counter at that snapshot's cut
  std::chrono::steady_clock::time_point snap_time_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point retry_at_{};  // after a failure
  std::chrono::milliseconds backoff_{0};
  std::thread ckpt_thread_;
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
  auto impl = std::make_unique<Impl>(fs, wal_path, options);
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
  impl->snap_seq_ = impl->recovery_.snapshot_sequence;
  impl->LogOpened(snapshot_path ? *snapshot_path : std::string("(none)"), wal_path);
  return impl;
}

void KvStore::Impl::LogOpened(const std::string& snapshot, const std::string& wal) const {
  const RecoveryStats& r = recovery_;
  log_->info(
      "opened store: snapshot {} ({} keys, sequence {}), WAL {} ({} records replayed, {} "
      "skipped), {} keys, last sequence {}, {:.3f} s",
      snapshot, r.snapshot_keys, r.snapshot_sequence, wal, r.records_replayed, r.records_skipped,
      map_.Size(), r.last_sequence, std::chrono::duration<double>(r.duration).count());
  if (r.torn_tail) {
    log_->warn("WAL {}: dropped a torn final record ({} bytes at offset {}): an interrupted write",
               wal, r.bytes_dropped, r.drop_offset);
  }
  if (r.corruption_dropped) {
    log_->error(
        "WAL {}: damaged at offset {}; point-in-time recovery dropped {} bytes (saved beside it "
        "as .dropped-{})",
        wal, r.drop_offset, r.bytes_dropped, r.drop_offset);
  }
}

std::optional<std::string> KvStore::Impl::Get(std::string_view key) const {
  const HashedKey k = ShardMap::HashKey(key);
  const Shard& s = map_.ShardFor(k);
  std::shared_lock lock(s.mu);
  const char* e = s.Find(k);
  if (count_ops_) (e ? s.hits : s.misses).fetch_add(1, std::memory_order_relaxed);
  if (e == nullptr) return std::nullopt;
  return std::string(Entry::Value(e));
}

Result<void> KvStore::Impl::Finish(const Result<uint64_t>& seq, const WriteOptions& wo) {
  if (wo.sequence != nullptr) *wo.sequence = seq ? *seq : 0;
  if (!seq) return Logged(Result<void>(seq.error()));
  if (!wo.wait_durable) return {};
  return Logged(wal_->Commit(*seq));
}

Result<void> KvStore::Impl::Set(std::string_view key, std::string_view value,
                                const WriteOptions& wo) {
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
    if (count_ops_) Shard::Bump(shard.sets);
  }
  TrimRecordBuffer(rec);
  return Finish(seq, wo);
}

Result<std::optional<std::string>> KvStore::Impl::Remove(std::string_view key,
                                                         const WriteOptions& wo) {
  if (wo.sequence != nullptr) *wo.sequence = 0;
  if (key.size() > kMaxKeySize) return std::optional<std::string>();  // cannot exist
  const HashedKey k = ShardMap::HashKey(key);
  Shard& shard = map_.ShardFor(k);
  std::string& rec = RecordBuffer();
  std::optional<std::string> old;
  Result<uint64_t> seq = uint64_t{0};
  {
    InFlight in_flight(*wal_);
    std::unique_lock lock(shard.mu);
    if (count_ops_) Shard::Bump(shard.removes);
    if (shard.Find(k) == nullptr) return std::optional<std::string>();
    const uint64_t hash = wal::EncodeRecord(wal::RecordType::kRemove, key, {}, &rec);
    seq = wal_->Append(&rec, hash);
    if (seq) old = shard.Erase(k);
  }
  TrimRecordBuffer(rec);
  KV_RETURN_IF_ERROR(Finish(seq, wo));
  return old;
}

Result<void> KvStore::Impl::Clear(const WriteOptions& wo) {
  if (count_ops_) clears_.fetch_add(1, std::memory_order_relaxed);
  std::string& rec = RecordBuffer();
  const uint64_t hash = wal::EncodeRecord(wal::RecordType::kClear, {}, {}, &rec);
  map_.LockAll();
  auto seq = wal_->Append(&rec, hash);
  if (seq) {
    for (std::size_t i = 0; i < ShardMap::kShards; ++i) map_.shard(i).Clear();
  }
  map_.UnlockAll();
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
                                   const std::function<void(Transaction&)>& fn,
                                   const WriteOptions& wo) {
  if (wo.sequence != nullptr) *wo.sequence = 0;
  if (count_ops_) updates_.fetch_add(1, std::memory_order_relaxed);
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
  return Finish(seq, wo);
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
  if (count_ops_) scans_.fetch_add(1, std::memory_order_relaxed);
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

namespace {
// Counts the bytes a snapshot writes (for stats()).
class CountingFile final : public WritableFile {
 public:
  explicit CountingFile(WritableFile* base) : base_(base) {}
  Result<void> Append(std::string_view data) override {
    bytes += data.size();
    return base_->Append(data);
  }
  Result<void> Sync() override { return base_->Sync(); }
  Result<void> Close() override { return base_->Close(); }
  uint64_t bytes = 0;

 private:
  WritableFile* base_;
};

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

Result<KvStore::Impl::SnapshotOutcome> KvStore::Impl::WriteSnapshotFile(const std::string& path,
                                                                        uint64_t seq) {
  auto file = fs_->NewWritableFile(path);
  if (!file) return std::move(file).error();
  CountingFile counted(file->get());
  auto r = snapshot::Write(map_, seq, &counted);
  if (r) r = (*file)->Sync();
  auto closed = (*file)->Close();
  if (r && !closed) r = closed;
  if (!r) return std::move(r).error();
  return SnapshotOutcome{seq, counted.bytes};
}

void KvStore::Impl::NoteSnapshot(const Result<SnapshotOutcome>& r, double seconds) {
  std::lock_guard lock(stats_mu_);
  if (r) {
    ++checkpoints_;
    last_error_.reset();
    last_seconds_ = seconds;
    last_bytes_ = r->bytes;
    last_unix_ = UnixNow();
    backoff_ = std::chrono::milliseconds(0);
  } else {
    ++failures_;
    last_error_ = r.error();
    backoff_ =
        std::clamp(backoff_ * 2, options_.checkpoint.retry_min, options_.checkpoint.retry_max);
    retry_at_ = std::chrono::steady_clock::now() + backoff_;
  }
}

// Checkpoint protocol: cut the log at sequence V; write every shard (each as
// of some moment after V) to a temporary file; fsync it; rename it over the
// snapshot; fsync the directory; only then drop records <= V from the log.
// Replaying records > V over a shard captured after V is harmless because
// set, remove and clear are replayed in order from a record boundary.
//
// In data-directory mode save_to_file is an export: the WAL segments belong
// to the directory's own snapshots, so the log is left alone.
Result<void> KvStore::Impl::Save(const std::string& snapshot_path) {
  if (snapshot_path.empty()) return InvalidArgument("empty snapshot path");
  std::lock_guard lock(save_mu_);
  const auto start = std::chrono::steady_clock::now();
  {
    std::lock_guard s(stats_mu_);
    running_ = true;
  }
  auto cut = wal_->TakeCut();
  Result<SnapshotOutcome> out =
      cut ? Result<SnapshotOutcome>(SnapshotOutcome{}) : Result<SnapshotOutcome>(cut.error());
  const std::string tmp = snapshot_path + ".tmp";
  if (out) out = WriteSnapshotFile(tmp, cut->seq);
  // Shards were captured after the cut, so the snapshot may hold writes newer
  // than V whose log records are not yet durable (kEverySecond, kNever). Make
  // them durable first: otherwise a power loss could keep a later write (in
  // the snapshot) while losing an earlier one (in the log's unsynced tail).
  auto step = [&](Result<void> r) {
    if (out && !r) out = r.error();
  };
  if (out) step(wal_->SyncAll());
  if (out) step(fs_->RenameFile(tmp, snapshot_path));
  if (!out) (void)fs_->RemoveFile(tmp);
  if (out) step(fs_->SyncDir(DirName(snapshot_path)));
  if (out && dir_.empty()) {
    const uint64_t bytes_at_cut = wal_->counters().bytes;
    step(wal_->Checkpoint(*cut));
    if (out) {
      std::lock_guard s(stats_mu_);
      snap_seq_ = cut->seq;
      snap_wal_bytes_ = bytes_at_cut;
      snap_time_ = std::chrono::steady_clock::now();
    }
  }
  NoteSnapshot(out,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  {
    std::lock_guard s(stats_mu_);
    running_ = false;
  }
  if (!out) {
    log_->error("save to {} failed: {}", snapshot_path, out.error().ToString());
    return out.error();
  }
  log_->info("saved snapshot {} (sequence {}, {} bytes)", snapshot_path, out->seq, out->bytes);
  return {};
}

// ---- data-directory mode ----

Result<std::unique_ptr<KvStore::Impl>> KvStore::Impl::OpenDir(const std::string& dir,
                                                              const Options& options) {
  const auto start = std::chrono::steady_clock::now();
  if (dir.empty()) return InvalidArgument("empty data directory path");
  auto fs = options.fs ? options.fs : FileSystem::Default();
  KV_RETURN_IF_ERROR(fs->MakeDir(dir));
  auto lock = fs->LockFile(dir + "/" + datadir::kLockName);
  if (!lock) return std::move(lock).error();

  datadir::Manifest manifest;
  const std::string manifest_path = dir + "/" + datadir::kManifestName;
  auto has_manifest = fs->FileExists(manifest_path);
  if (!has_manifest) return std::move(has_manifest).error();
  if (*has_manifest) {
    std::string text;
    KV_RETURN_IF_ERROR(fs->ReadFile(manifest_path, &text));
    auto m = datadir::DecodeManifest(text, manifest_path);
    if (!m) return std::move(m).error();
    manifest = *m;
  }
  // The manifest may have been renamed into place without a directory sync
  // before a crash: make it durable before deleting what it made obsolete.
  KV_RETURN_IF_ERROR(fs->SyncDir(dir));
  auto listing = datadir::List(*fs, dir);
  if (!listing) return std::move(listing).error();

  auto impl =
      std::make_unique<Impl>(fs, dir + "/" + datadir::SegmentName(manifest.wal_segment), options);
  impl->dir_ = dir;
  impl->dir_lock_ = std::move(*lock);
  impl->manifest_ = manifest;
  KV_RETURN_IF_ERROR(impl->RemoveObsolete(*listing));

  if (!manifest.snapshot.empty()) {
    const std::string path = dir + "/" + manifest.snapshot;
    auto info = snapshot::Load(*fs, path, &impl->map_);
    if (!info) return std::move(info).error();
    if (info->sequence != manifest.sequence) {
      return Corruption("snapshot '" + path + "' covers sequence " +
                        std::to_string(info->sequence) + " but the manifest says " +
                        std::to_string(manifest.sequence));
    }
    impl->recovery_.snapshot_keys = info->keys;
    impl->recovery_.snapshot_sequence = info->sequence;
  }
  KV_RETURN_IF_ERROR(impl->ReplaySegments(*listing));
  impl->map_.ShrinkToFit();
  impl->recovery_.duration = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  impl->snap_seq_ = manifest.sequence;
  impl->LogOpened(manifest.snapshot.empty() ? std::string("(none)") : dir + "/" + manifest.snapshot,
                  dir + "/" + datadir::SegmentName(impl->segment_));
  if (!manifest.snapshot.empty()) {
    // LASTSAVE-style figures start from the snapshot we loaded.
    impl->last_unix_ = UnixNow();
  }
  impl->ckpt_thread_ = std::thread([p = impl.get()] { p->CheckpointLoop(); });
  return impl;
}

// Removes what an interrupted checkpoint or an earlier manifest left behind.
Result<void> KvStore::Impl::RemoveObsolete(const datadir::Listing& listing) {
  for (const std::string& name : listing.leftovers) {
    KV_RETURN_IF_ERROR(fs_->RemoveFile(dir_ + "/" + name));
  }
  for (const std::string& name : listing.snapshots) {
    if (pinned_.count(name) != 0) continue;
    if (name != manifest_.snapshot) KV_RETURN_IF_ERROR(fs_->RemoveFile(dir_ + "/" + name));
  }
  for (uint64_t n : listing.segments) {
    if (n < manifest_.wal_segment && pinned_.count(datadir::SegmentName(n)) == 0) {
      KV_RETURN_IF_ERROR(fs_->RemoveFile(dir_ + "/" + datadir::SegmentName(n)));
    }
  }
  return {};
}

// Replays the segments from manifest_.wal_segment on, in order. All but the
// last are sealed (a checkpoint rotated away from them after they were
// complete): each must continue the previous one and end cleanly. The last is
// opened through Wal::Open, which handles a torn tail and takes the appends.
Result<void> KvStore::Impl::ReplaySegments(const datadir::Listing& listing) {
  std::vector<uint64_t> segs;
  for (uint64_t n : listing.segments) {
    if (n >= manifest_.wal_segment) segs.push_back(n);
  }
  if (segs.empty()) segs.push_back(manifest_.wal_segment);
  // A checkpoint creates the next segment before it switches appends to it
  // (writing its header under the append lock). If the process died in
  // between, that segment holds nothing but zeros and the one before it is
  // still the live one, possibly with a torn final record: drop the unused
  // segment so that the live one is replayed as the last (torn tail allowed).
  while (segs.size() > 1) {
    const std::string path = dir_ + "/" + datadir::SegmentName(segs.back());
    auto view = fs_->OpenView(path);
    if (!view) return std::move(view).error();
    if ((*view)->data().find_first_not_of('\0') != std::string_view::npos) break;
    view->reset();
    KV_RETURN_IF_ERROR(fs_->RemoveFile(path));
    log_->info("removed {}: created by a checkpoint that never switched to it", path);
    segs.pop_back();
  }
  uint64_t seq = manifest_.sequence;
  auto apply = [this](const wal::RecordView& rec) { Apply(rec); };
  for (std::size_t i = 0; i + 1 < segs.size(); ++i) {
    const std::string path = dir_ + "/" + datadir::SegmentName(segs[i]);
    auto view = fs_->OpenView(path);
    if (!view) return std::move(view).error();
    const std::string_view data = (*view)->data();
    map_.Reserve(map_.Size() + wal::CountFramedRecords(data));
    auto scan = wal::ScanLog(data, path, [&](const wal::RecordView& rec) {
      if (rec.seq <= seq) {
        ++recovery_.records_skipped;
      } else {
        Apply(rec);
        ++recovery_.records_replayed;
      }
    });
    if (!scan) return std::move(scan).error();
    if (!scan->has_header || scan->base_seq != seq) {
      return Corruption("WAL segment '" + path + "' does not continue sequence " +
                        std::to_string(seq) + (scan->has_header ? "" : " (no header)") +
                        ": records are missing");
    }
    if (scan->end != wal::End::kClean) {
      return Corruption("WAL segment '" + path + "' is damaged at offset " +
                        std::to_string(scan->valid_end) + " (" + scan->problem +
                        ") but later segments follow it");
    }
    seq = std::max(seq, scan->last_seq);
  }
  segment_ = segs.back();
  const std::string last = dir_ + "/" + datadir::SegmentName(segment_);
  {
    // Each segment starts where the previous one (or the snapshot) ended. A
    // later start is a gap (Wal::Open reports it); an earlier one means the
    // segment does not belong here.
    std::string header;
    auto view = fs_->OpenView(last);
    if (view && (*view)->data().size() >= wal::kFileHeaderSize &&
        std::memcmp((*view)->data().data(), wal::kMagic, sizeof wal::kMagic) == 0) {
      const uint64_t base = GetFixed64((*view)->data().data() + 16);
      if (base < seq) {
        return Corruption("WAL segment '" + last + "' starts after sequence " +
                          std::to_string(base) + " but the segments before it end at " +
                          std::to_string(seq) + ": it does not continue them");
      }
    }
  }
  RecoveryStats tail;
  auto wal = Wal::Open(
      fs_, last, options_, seq, /*have_snapshot=*/true,
      [this](uint64_t records) { map_.Reserve(map_.Size() + records); }, apply, &tail);
  if (!wal) return std::move(wal).error();
  wal_ = std::move(*wal);
  recovery_.records_replayed += tail.records_replayed;
  recovery_.records_skipped += tail.records_skipped;
  recovery_.bytes_dropped = tail.bytes_dropped;
  recovery_.drop_offset = tail.drop_offset;
  recovery_.torn_tail = tail.torn_tail;
  recovery_.corruption_dropped = tail.corruption_dropped;
  recovery_.last_sequence = tail.last_sequence;
  return {};
}

Result<void> KvStore::Impl::Checkpoint() {
  if (dir_.empty()) {
    return InvalidArgument("checkpoint() needs a store opened with open_dir (use save_to_file)");
  }
  std::lock_guard lock(save_mu_);
  if (closed_) return Error(ErrorCode::kClosed, "store is closed");
  return CheckpointLocked();
}

// Rotate the WAL to a new segment at sequence V, write snapshot-V, switch the
// MANIFEST to it, then delete the older snapshot and segments. A crash at any
// step leaves a MANIFEST naming a complete snapshot and segments that hold
// every record after it (docs/FORMATS.md walks through each step).
Result<void> KvStore::Impl::CheckpointLocked() {
  const auto start = std::chrono::steady_clock::now();
  {
    std::lock_guard s(stats_mu_);
    running_ = true;
  }
  Result<SnapshotOutcome> out = SnapshotOutcome{};
  auto step = [&](Result<void> r) {
    if (out && !r) out = r.error();
  };
  const uint64_t next = segment_ + 1;
  const std::string next_path = dir_ + "/" + datadir::SegmentName(next);
  std::string snap_name, tmp;
  uint64_t bytes_at_cut = 0;
  {
    auto file = fs_->OpenLogFile(next_path, 0);
    if (!file) out = file.error();
    if (out) step(fs_->SyncDir(dir_));  // the new segment's entry, before records go in it
    if (out) {
      auto cut = wal_->Rotate(std::move(*file), next_path);
      if (!cut) {
        out = cut.error();
        (void)fs_->RemoveFile(next_path);
      } else {
        segment_ = next;
        bytes_at_cut = wal_->counters().bytes;
        snap_name = datadir::SnapshotName(cut->seq);
        tmp = dir_ + "/" + snap_name + ".tmp";
        out = WriteSnapshotFile(tmp, cut->seq);
      }
    }
  }
  // As in Save: records the snapshot may contain must be durable first.
  if (out) step(wal_->SyncAll());
  if (out) step(fs_->RenameFile(tmp, dir_ + "/" + snap_name));
  if (!out && !tmp.empty()) (void)fs_->RemoveFile(tmp);
  if (out) step(fs_->SyncDir(dir_));
  datadir::Manifest m;
  if (out) {
    m.snapshot = snap_name;
    m.sequence = out->seq;
    m.wal_segment = segment_;
    step(datadir::WriteManifest(*fs_, dir_, m));
  }
  if (out) {
    const datadir::Manifest old = manifest_;
    manifest_ = m;
    // Only now is the old state obsolete.
    auto listing = datadir::List(*fs_, dir_);
    if (listing) {
      auto removed = RemoveObsolete(*listing);
      if (!removed)
        log_->warn("checkpoint: could not remove an obsolete file: {}", removed.error().ToString());
    }
    std::lock_guard s(stats_mu_);
    snap_seq_ = m.sequence;
    snap_wal_bytes_ = bytes_at_cut;
    snap_time_ = std::chrono::steady_clock::now();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  NoteSnapshot(out, seconds);
  {
    std::lock_guard s(stats_mu_);
    running_ = false;
  }
  if (!out) {
    log_->error("checkpoint of {} failed (previous snapshot kept): {}", dir_,
                out.error().ToString());
    return out.error();
  }
  log_->info("checkpoint: wrote {}/{} (sequence {}, {} bytes) in {:.3f} s", dir_, snap_name,
             out->seq, out->bytes, seconds);
  return {};
}

bool KvStore::Impl::CheckpointDue(std::chrono::steady_clock::time_point now) const {
  const CheckpointPolicy& p = options_.checkpoint;
  const uint64_t changes = wal_->last_seq() - std::min(wal_->last_seq(), snap_seq_);
  if (changes == 0) return false;
  if (p.wal_bytes > 0 && wal_->counters().bytes - snap_wal_bytes_ >= p.wal_bytes) return true;
  for (const auto& [seconds, min_changes] : p.after_changes) {
    if (changes >= min_changes && now - snap_time_ >= seconds) return true;
  }
  return false;
}

void KvStore::Impl::CheckpointLoop() {
  std::unique_lock lock(stats_mu_);
  while (!stop_) {
    ckpt_cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stop_; });
    if (stop_) break;
    const auto now = std::chrono::steady_clock::now();
    if (now < retry_at_ || !CheckpointDue(now)) continue;
    lock.unlock();
    {
      std::lock_guard save(save_mu_);
      if (!closed_) (void)CheckpointLocked();  // failures are logged and counted
    }
    lock.lock();
  }
}

Result<void> KvStore::Impl::Close() {
  if (!wal_) return {};
  {
    std::lock_guard lock(stats_mu_);
    stop_ = true;
  }
  ckpt_cv_.notify_all();
  if (ckpt_thread_.joinable()) ckpt_thread_.join();
  Result<void> r;
  {
    std::lock_guard lock(save_mu_);
    if (closed_) return {};
    bool changed;
    {
      std::lock_guard s(stats_mu_);
      changed = wal_->last_seq() > snap_seq_;
    }
    if (!dir_.empty() && options_.checkpoint.on_close && changed) r = CheckpointLocked();
    closed_ = true;
  }
  auto c = wal_->Close();
  if (r && !c) r = c;
  if (!dir_.empty()) {
    log_->info("closed {}", dir_);
    dir_lock_.reset();
  }
  return r;
}

Result<backup::StoreCut> KvStore::Impl::PinForBackup() {
  if (dir_.empty()) return InvalidArgument("backup() needs a store opened with open_dir");
  std::lock_guard lock(save_mu_);  // no checkpoint rotates or deletes meanwhile
  if (closed_) return Error(ErrorCode::kClosed, "store is closed");
  auto cut = wal_->TakeCut();
  if (!cut) return std::move(cut).error();
  backup::StoreCut c{fs_, dir_, manifest_, segment_, cut->seq, cut->offset, cut->file,
                     backup::FilesNeeded(manifest_, segment_)};
  pinned_.insert(c.pinned.begin(), c.pinned.end());
  return c;
}

void KvStore::Impl::UnpinBackup(const std::vector<std::string>& names) {
  std::lock_guard lock(save_mu_);
  for (const std::string& n : names) pinned_.erase(pinned_.find(n));
}

Stats KvStore::Impl::GetStats() const {
  Stats s;
  s.keys = Size();
  s.memory_bytes = map_.MemoryBytes();
  for (std::size_t i = 0; i < ShardMap::kShards; ++i) {
    const Shard& sh = map_.shard(i);
    s.get_hits += sh.hits.load(std::memory_order_relaxed);
    s.get_misses += sh.misses.load(std::memory_order_relaxed);
    s.sets += sh.sets.load(std::memory_order_relaxed);
    s.removes += sh.removes.load(std::memory_order_relaxed);
  }
  s.gets = s.get_hits + s.get_misses;
  s.clears = clears_.load(std::memory_order_relaxed);
  s.updates = updates_.load(std::memory_order_relaxed);
  s.scans = scans_.load(std::memory_order_relaxed);
  WalCounters c = wal_->counters();
  s.wal_records = c.records;
  s.wal_bytes = c.bytes;
  s.wal_syncs = c.syncs;
  s.wal_sync_seconds = std::move(c.sync_seconds);
  s.group_commit_records = std::move(c.sync_records);
  const uint64_t last = wal_->last_seq();
  std::lock_guard lock(stats_mu_);
  s.checkpoints = checkpoints_;
  s.checkpoint_failures = failures_;
  s.checkpoint_running = running_;
  s.last_checkpoint_ok = !last_error_.has_value();
  if (last_error_) s.last_checkpoint_error = last_error_->ToString();
  s.last_checkpoint_seconds = last_seconds_;
  s.last_checkpoint_bytes = last_bytes_;
  s.last_checkpoint_unix = last_unix_;
  s.changes_since_checkpoint = last - std::min(last, snap_seq_);
  s.wal_bytes_since_checkpoint = c.bytes - std::min(c.bytes, snap_wal_bytes_);
  s.recovery = recovery_;
  return s;
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

Result<KvStore> KvStore::open_dir(const std::string& dir, const Options& options) {
  auto impl = Impl::OpenDir(dir, options);
  if (!impl) return std::move(impl).error();
  return KvStore(std::move(*impl));
}

Result<void> KvStore::checkpoint() {
  if (!impl_) return Moved();
  return impl_->Checkpoint();
}

Result<BackupInfo> KvStore::backup(const std::string& to_dir) {
  if (!impl_) return Moved();
  auto cut = impl_->PinForBackup();
  if (!cut) return std::move(cut).error();
  auto r = backup::FromStoreCut(*cut, to_dir);
  impl_->UnpinBackup(cut->pinned);
  return r;
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

Result<void> KvStore::set(std::string key, std::string value, const WriteOptions& write) {
  if (!impl_) return Moved();
  return impl_->Set(key, value, write);
}

Result<std::optional<std::string>> KvStore::remove(std::string_view key,
                                                   const WriteOptions& write) {
  if (!impl_) return Moved();
  return impl_->Remove(key, write);
}

Result<void> KvStore::clear(const WriteOptions& write) {
  if (!impl_) return Moved();
  return impl_->Clear(write);
}

Result<void> KvStore::update(const std::vector<std::string_view>& keys,
                             const std::function<void(Transaction&)>& fn,
                             const WriteOptions& write) {
  if (!impl_) return Moved();
  return impl_->Update(keys, fn, write);
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

RecoveryStats KvStore::recovery_stats() const {
  return impl_ ? impl_->recovery() : RecoveryStats{};
}

Stats KvStore::stats() const { return impl_ ? impl_->GetStats() : Stats{}; }

uint64_t KvStore::last_sequence() const { return impl_ ? impl_->LastSequence() : 0; }

uint64_t KvStore::durable_sequence() const { return impl_ ? impl_->DurableSequence() : 0; }

Result<void> KvStore::wait_durable(uint64_t seq) const {
  if (!impl_) return Moved();
  return impl_->WaitDurable(seq);
}

}  // namespace kvstore
