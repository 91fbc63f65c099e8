// Copyright (c) the kvstore developers.
//
// kvstore: an embeddable, thread-safe, in-memory key-value store with crash
// durability through a checksummed write-ahead log (WAL) and JSON snapshots.
//
//   auto store = kvstore::KvStore::open("data.wal").value();
//   store.set("key", "value").value();
//   store.save_to_file("store.json").value();   // snapshot + WAL checkpoint
//   auto again = kvstore::KvStore::load_from_file("store.json", "data.wal");
//
// Keys and values are arbitrary bytes (NUL, newlines, invalid UTF-8 included).

#ifndef KVSTORE_KVSTORE_H_
#define KVSTORE_KVSTORE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kvstore/backup.h"
#include "kvstore/filesystem.h"
#include "kvstore/result.h"
#include "kvstore/types.h"

namespace kvstore {

// When an acknowledged write becomes durable. Like Redis's appendfsync.
//
// In every mode a write returns only after its WAL record has been handed to
// the operating system, so a crash of this process (kill -9, abort) loses no
// write that returned success.
enum class SyncMode {
  // The write is also fdatasync'ed before it returns: it survives an OS crash
  // or power loss. Concurrent writers share one fdatasync (group commit), so
  // throughput grows with the number of writers.
  kAlways,
  // A background task (on a few threads shared by every store of the
  // process) fdatasyncs the WAL about once a second: an OS crash or power
  // loss can lose roughly the last second of acknowledged writes.
  kEverySecond,
  // The store never syncs the WAL; the OS writes it back when it chooses (on
  // Linux typically within 30 s). An OS crash can lose more.
  kNever,
};

// What open()/load_from_file() do when the WAL is damaged before its tail.
// A torn final record (the process or machine died mid-append) is always
// dropped silently in both modes: it was never acknowledged.
enum class RecoveryMode {
  // Damage before the tail (a checksum mismatch followed by valid records, a
  // sequence gap) fails the open with ErrorCode::kCorruption naming the file
  // and byte offset. Nothing is modified on disk.
  kStrict,
  // Point-in-time: keep the valid prefix, copy the dropped bytes to
  // "<wal>.dropped-<offset>" for inspection, truncate the WAL there and open.
  // Writes after the damage are lost; recovery_stats() reports how many bytes.
  kPointInTime,
};

// KvStore::expire_time()'s answer for a key that exists but never expires
// (as Redis's PEXPIRETIME answers -1).
inline constexpr int64_t kNoExpiry = -1;
// KvStore::expire_time()'s answer for a key that is absent or has expired
// (as Redis's PEXPIRETIME answers -2).
inline constexpr int64_t kKeyAbsent = -2;

// Severity of the library's log messages (see Options::log_sink).
enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };

// When a store opened with open_dir() writes a snapshot by itself (a
// checkpoint). Any rule that matches triggers one; checkpoints run on a
// background thread (of a few shared by every store of the process) and
// never block writers beyond a brief per-shard moment.
struct CheckpointPolicy {
  // Checkpoint once the WAL holds this many bytes written since the last
  // snapshot. 0 disables the rule.
  uint64_t wal_bytes = 64u << 20;
  // Redis-style "save <seconds> <changes>" rules: checkpoint when at least
  // `changes` writes happened and `seconds` have passed since the last
  // snapshot. Empty disables them. Default: Redis's defaults.
  std::vector<std::pair<std::chrono::seconds, uint64_t>> after_changes = {
      {std::chrono::seconds(3600), 1},
      {std::chrono::seconds(300), 100},
      {std::chrono::seconds(60), 10000}};
  // Write a final snapshot in close() (and the destructor) if anything
  // changed since the last one.
  bool on_close = true;
  // A failed checkpoint (e.g. full disk) is retried after retry_min, doubling
  // up to retry_max. The previous snapshot and the WAL stay intact meanwhile.
  std::chrono::milliseconds retry_min{1000};
  // The longest wait between retries of a failed checkpoint.
  std::chrono::milliseconds retry_max{60000};
};

// How a store is opened: durability, recovery, checkpoints, logging, I/O.
struct Options {
  // See SyncMode. Default: bounded (~1 s) exposure to power loss, no fsync on
  // the write path.
  SyncMode sync = SyncMode::kEverySecond;

  // See RecoveryMode. Default: refuse to open a damaged WAL.
  RecoveryMode recovery = RecoveryMode::kStrict;

  // All file I/O goes through this. nullptr means FileSystem::Default()
  // (POSIX). Tests pass a fault-injecting implementation.
  std::shared_ptr<FileSystem> fs;

  // open_dir() only: when to checkpoint automatically.
  CheckpointPolicy checkpoint;

  // Where log messages go: a callback, called from any thread (keep it
  // cheap and thread-safe). nullptr means standard error (through spdlog).
  std::function<void(LogLevel, std::string_view message)> log_sink;
  // Messages at or above this level are delivered. Unset: the environment
  // variable KVSTORE_LOG_LEVEL (trace, debug, info, warn, error, critical,
  // off) if set, else kInfo: open and recovery summaries, checkpoints,
  // corruption, I/O errors; nothing per operation.
  std::optional<LogLevel> log_level;

  // Count operations, hits and misses for stats() (gets per reading thread,
  // writes per shard). The cost is measured in docs/BENCHMARKS.md; switch
  // off to shave it.
  bool count_operations = true;

  // The time that expiry deadlines are compared with, in Unix milliseconds.
  // nullptr: the system's real-time clock. Tests pass a fake one. Called
  // from any thread, only for keys that have a deadline and by the active
  // expiry cycle; keep it cheap and thread-safe.
  std::function<int64_t()> clock;

  // The active expiry cycle: how often it runs, and the share of one core
  // it may use to reclaim expired keys (Redis's defaults: 10 times a second,
  // at most 25 %). Expired keys are invisible at once whatever these say;
  // the cycle only gives their memory back. A zero period disables it (keys
  // are then reclaimed only when overwritten or removed).
  std::chrono::milliseconds expire_cycle_period{100};
  // Share of one core, in percent (1..100), per period.
  int expire_cycle_cpu_percent = 25;

  // Called with each key the active expiry cycle removes (on the expiry
  // thread, after its removal is logged, outside every lock): what a server
  // needs to publish "expired" events. Must not block; may call the store.
  std::function<void(std::string_view key)> on_expired;

  // When hashes, sets and sorted sets leave their compact encodings
  // (kvstore/types.h); KvStore::set_encoding_limits changes it later.
  EncodingLimits encoding_limits;
};

// What the last open()/load_from_file() found. Plain data.
// How one write waits for durability (per call; leveldb's WriteOptions is
// the model). The default is what Options::sync promises.
struct WriteOptions {
  // SyncMode::kAlways stores: true (default) returns only once the write is
  // on stable storage. false returns as soon as the write is logged and
  // visible to readers, before its fdatasync: it survives a process crash but
  // NOT yet an OS crash or power loss. Call wait_durable(sequence) before
  // acknowledging it to anyone who relies on kAlways. Many writers deferring
  // and then waiting share one fdatasync (group commit across callers and
  // threads). Other modes: no effect (they never wait on the write path).
  bool wait_durable = true;
  // If not null, receives the write's sequence number, or 0 when nothing was
  // logged (a remove of an absent key, an update that wrote nothing, an
  // error).
  uint64_t* sequence = nullptr;
};

// What opening a store found and did (KvStore::recovery_stats()).
struct RecoveryStats {
  uint64_t snapshot_keys = 0;     // entries loaded from the snapshot (0 for open())
  uint64_t snapshot_sequence = 0; // sequence number the snapshot covers
  uint64_t records_replayed = 0;  // WAL records applied
  uint64_t records_skipped = 0;   // WAL records already covered by the snapshot
  uint64_t bytes_dropped = 0;     // torn tail or (kPointInTime) damaged bytes removed
  uint64_t drop_offset = 0;       // where the dropped bytes began (if bytes_dropped > 0)
  bool torn_tail = false;         // a torn final record was dropped
  bool corruption_dropped = false;  // kPointInTime dropped damage before the tail
  uint64_t last_sequence = 0;     // highest sequence number after recovery
  std::chrono::microseconds duration{0};  // wall time of the whole open
};

// A histogram with fixed upper bounds (Prometheus style): counts[i] is the
// number of observations <= bounds[i] and > bounds[i-1]; the last count
// (counts.size() == bounds.size() + 1) holds those above every bound.
struct Histogram {
  // Upper bounds of the buckets, ascending.
  std::vector<double> bounds;
  // Observations per bucket; one more entry than bounds.
  std::vector<uint64_t> counts;
  uint64_t count = 0;  // all observations
  double sum = 0;      // of all observations
};

// Counters of the running store. Plain data; a snapshot of moving values.
// Fields are only ever added.
struct Stats {
  uint64_t keys = 0;          // as size()
  uint64_t memory_bytes = 0;  // approximate bytes held by the map (entries + tables)

  // Operations since open (zero if Options::count_operations is false).
  uint64_t gets = 0;
  uint64_t get_hits = 0;    // get() calls that found the key
  uint64_t get_misses = 0;  // get() calls that did not
  uint64_t sets = 0;        // set() calls
  uint64_t removes = 0;   // remove() calls, found or not
  uint64_t clears = 0;    // clear() calls
  uint64_t updates = 0;   // update() calls
  uint64_t scans = 0;     // scan() calls

  uint64_t wal_records = 0;  // WAL records appended since open
  uint64_t wal_bytes = 0;    // WAL bytes appended since open
  uint64_t wal_syncs = 0;    // fdatasync calls on the WAL since open
  Histogram wal_sync_seconds;       // latency of each WAL fdatasync
  Histogram group_commit_records;   // records made durable by each fdatasync

  // Snapshots written since open (save_to_file or checkpoints).
  uint64_t checkpoints = 0;          // successful
  uint64_t checkpoint_failures = 0;  // failed (each retry counts)
  bool checkpoint_running = false;   // a checkpoint is being written now
  bool last_checkpoint_ok = true;        // false while the last attempt failed
  std::string last_checkpoint_error;     // its message, if it failed
  double last_checkpoint_seconds = 0;    // duration of the last successful one
  uint64_t last_checkpoint_bytes = 0;    // snapshot size written by it
  int64_t last_checkpoint_unix = 0;      // when it finished (0: none yet;
                                         // open_dir: the loaded snapshot's time)
  uint64_t changes_since_checkpoint = 0; // writes since the last snapshot
  uint64_t wal_bytes_since_checkpoint = 0;  // WAL bytes the next snapshot will cover

  RecoveryStats recovery;  // as recovery_stats()

  // Expiry (Redis's INFO names in brackets).
  uint64_t keys_with_expiry = 0;    // visible keys that have a deadline [expires=]
  uint64_t expired_keys = 0;        // expired keys reclaimed since open [expired_keys]
  double expired_stale_perc = 0;    // of the keys with a deadline, the share that
                                    // has expired but is not yet reclaimed, in
                                    // percent [expired_stale_perc]
  uint64_t expire_cycles = 0;       // runs of the active expiry cycle
  uint64_t expire_cycle_cpu_us = 0; // CPU time they took [expire_cycle_cpu_milliseconds]
  Histogram expire_lag_seconds;     // per reclaimed key: reclaim time - deadline
};

// Renders stats in the Prometheus text exposition format (version 0.0.4),
// metric names prefixed with "kvstore_". Passes `promtool check metrics`.
std::string FormatPrometheus(const Stats& stats);

class KvStore;
class WritePath;  // internal

// The view a KvStore::update() callback gets of the keys it declared. Reads
// see the transaction's own earlier writes. Only declared keys may be read or
// written (others are a programming error: the update fails with
// kInvalidArgument and writes nothing). A KvStore::update_all() callback may
// read and write any key and also use the whole-keyspace calls below.
class Transaction {
 public:
  // The view stays valid until the callback returns or the transaction's
  // next set()/remove(), whichever comes first.
  std::optional<std::string_view> get(std::string_view key) const;
  // Sets a declared key; applied when the callback returns successfully.
  void set(std::string_view key, std::string_view value);
  // Removes a declared key; applied when the callback returns successfully.
  void remove(std::string_view key);
  // Whether this transaction has set or removed key so far.
  bool wrote(std::string_view key) const;

  // ---- hashes, lists, sets and sorted sets (kvstore/types.h) ----
  //
  // get() answers nullopt for a key holding one of them; set() and remove()
  // replace or remove a key whatever its type.

  // The type of key's value as the transaction sees it (kNone: absent).
  Type type(std::string_view key) const;
  // key's object as the transaction sees it (with its earlier writes
  // applied), or nullptr when key is absent or holds a string. Valid until
  // the transaction's next write. Reading a key after writing it in the same
  // transaction copies its object once: read first, then write.
  const Object* object(std::string_view key) const;
  // Changes key's object by one op (types.h OpCode), logged as that op: the
  // WAL record holds args, not the object. An absent key gets a new object of
  // the op's type; an object left empty removes its key. A key holding
  // another type (or a string) fails the update with kInvalidArgument:
  // callers check type() first, as Redis's WRONGTYPE.
  void apply(std::string_view key, OpCode code, std::span<const std::string_view> args);

  // The whole-keyspace calls below are for update_all() only, and see the
  // transaction's own writes. In update(), clear() fails the update with
  // kInvalidArgument and the others answer nothing (0, no call, nullopt).

  // Removes every key; applied when the callback returns successfully.
  void clear();
  // The number of keys.
  std::size_t size() const;
  // Calls fn for every key once, in no particular order. The views stay
  // valid until fn returns; fn must not write through the transaction.
  void scan(const std::function<void(std::string_view key, std::string_view value)>& fn) const;
  // A uniformly chosen key, or nullopt if there is none.
  std::optional<std::string> random_key() const;

  // Expiry of declared keys (see KvStore::expire_time()). set(key, value)
  // above clears a key's deadline, as Redis's SET does; to keep it, write
  // set(key, value, expire_time(key)).
  int64_t expire_time(std::string_view key) const;
  // Sets a declared key with a deadline in Unix ms (kNoExpiry or kKeyAbsent:
  // none, so set(key, value, expire_time(key)) also works for a new key).
  void set(std::string_view key, std::string_view value, int64_t expire_at_ms);
  // Gives a present declared key a deadline (a deadline <= now() removes
  // it); nothing if the key is absent.
  void expire_at(std::string_view key, int64_t expire_at_ms);
  // Clears a present declared key's deadline.
  void persist(std::string_view key);
  // The store's clock (Options::clock), in Unix ms.
  int64_t now_ms() const;

  class Impl;  // internal

 private:
  friend class KvStore;
  friend class WritePath;
  explicit Transaction(Impl* impl) : impl_(impl) {}
  Impl* impl_;
};

// A thread-safe in-memory map from byte strings to byte strings or to hashes,
// lists, sets and sorted sets (kvstore/types.h), logged to a WAL. Move-only; a moved-from store answers every call with kClosed (reads
// return nothing).
//
// Thread safety: every method may be called from many threads at once on the
// same object. Reads do not block reads; writes to keys in different shards
// proceed in parallel; a write never waits for a snapshot to finish.
class KvStore {
 public:
  // Opens (creating if absent) the WAL at wal_path and replays it. The parent
  // directory must exist. Errors: kIoError / kNoSpace for OS failures (message
  // names the file and the OS error), kCorruption for a damaged WAL in
  // RecoveryMode::kStrict (message names the byte offset).
  static Result<KvStore> open(const std::string& wal_path, const Options& options = {});

  // Loads the snapshot written by save_to_file (either the {"map": {...}} form
  // or a flat {"key": "value"} object), then replays the records of wal_path
  // newer than the snapshot. A WAL that starts after the snapshot (records are
  // missing in between) is kCorruption. A missing WAL is created.
  static Result<KvStore> load_from_file(const std::string& snapshot_path,
                                        const std::string& wal_path,
                                        const Options& options = {});

  // Takes over the store; the moved-from object behaves as a closed store.
  KvStore(KvStore&&) noexcept;
  // Closes this store (as the destructor does), then takes over `other`.
  KvStore& operator=(KvStore&&) noexcept;
  KvStore(const KvStore&) = delete;
  KvStore& operator=(const KvStore&) = delete;
  // Closes the store (see close()); errors are dropped, so call close() first
  // if you need to see them.
  ~KvStore();

  // Returns a copy of the value for key, or nullopt if absent.
  std::optional<std::string> get(std::string_view key) const;
  // Copies the value for key into *value and returns true, or returns false
  // and leaves *value as it was if key is absent. The copy reuses *value's
  // capacity: a loop that reads through one string allocates only when a
  // value outgrows it, where get(key) allocates a new string per hit. The
  // faster read for hot paths (docs/DESIGN.md, "Reading a value"). A null
  // value asks only whether key holds a string value: nothing is copied.
  bool get(std::string_view key, std::string* value) const;

  // Sets key to value, replacing any previous value. On success the write is
  // logged with the durability of Options::sync. Errors: kInvalidArgument if
  // key or value exceed kMaxKeySize / kMaxValueSize; kIoError / kNoSpace if the
  // WAL cannot be written (nothing is applied then; a later write may succeed
  // once space returns); kClosed after close(). After a failed WAL fsync
  // every later write fails with that fsync's error code and a message saying
  // so, until the store is reopened: a failed fsync leaves the file in an
  // unknown state, so it is never retried.
  Result<void> set(std::string key, std::string value, const WriteOptions& write = {});

  // Removes key. Returns the removed value, or nullopt if the key was absent
  // (then nothing is logged). Errors as for set().
  Result<std::optional<std::string>> remove(std::string_view key,
                                            const WriteOptions& write = {});

  // Removes every key (one WAL record). Errors as for set().
  Result<void> clear(const WriteOptions& write = {});

  // ---- Expiry. Deadlines are absolute Unix times in milliseconds, as in
  // Redis, so a restart never extends one; they are logged as such and kept
  // in snapshots. An expired key is invisible to every read at once (get,
  // size, scan, random_key, update(), snapshots); its memory is reclaimed by
  // the active expiry cycle (Options::expire_cycle_period), which logs a
  // remove for it, so replay is deterministic. Keys already expired when a
  // store is opened are reclaimed before open returns. set() clears a key's
  // deadline.

  // Sets key to value with a deadline (> 0). A key is visible through its
  // deadline's millisecond and expired after it, as in Redis; a deadline
  // before now_ms() leaves the key expired at once. Errors as for set(); kInvalidArgument for a
  // deadline <= 0.
  Result<void> set_expiring(std::string key, std::string value, int64_t expire_at_ms,
                            const WriteOptions& write = {});
  // Gives a present key a deadline. A deadline <= now_ms() removes the key
  // (logged as a remove). Returns false if the key is absent (nothing logged).
  Result<bool> expire_at(std::string_view key, int64_t expire_at_ms,
                         const WriteOptions& write = {});
  // Clears a key's deadline. Returns true if it had one (false: absent, or
  // no deadline; nothing logged).
  Result<bool> persist(std::string_view key, const WriteOptions& write = {});
  // The key's deadline in Unix ms; kNoExpiry if it has none; kKeyAbsent if
  // it is absent or expired.
  int64_t expire_time(std::string_view key) const;
  // The store's clock (Options::clock), in Unix ms.
  int64_t now_ms() const;

  std::size_t size() const;  // number of keys
  bool empty() const;        // size() == 0

  // The type of key's value (kNone: absent or expired). get() answers
  // nullopt for a key that holds a hash, list, set or sorted set.
  Type type(std::string_view key) const;
  // If key holds a hash, list, set or sorted set (kvstore/types.h), calls fn
  // with it under its shard's read lock; returns key's type either way
  // (kNone: absent). fn must not call the store or keep the reference.
  Type view(std::string_view key, const std::function<void(const Object&)>& fn) const;
  // One op on key's object as its own update (Transaction::apply).
  Result<void> apply(std::string_view key, OpCode code, std::span<const std::string_view> args,
                     const WriteOptions& write = {});
  // ---- hashes and sorted sets without RESP (copies out) ----
  //
  // Each write is one update() of one op (logged as that op); each read runs
  // under the key's shard read lock and copies out. A key of another type is
  // kInvalidArgument ("WRONGTYPE ..."); an absent key reads as empty.

  // Sets each field; returns how many were new.
  Result<std::size_t> hset(std::string_view key,
                           const std::vector<std::pair<std::string_view, std::string_view>>& fields,
                           const WriteOptions& write = {});
  // The value of field in the hash at key (nullopt: no such field or key).
  Result<std::optional<std::string>> hget(std::string_view key, std::string_view field) const;
  // Every field and value, in the hash's order.
  Result<std::vector<std::pair<std::string, std::string>>> hgetall(std::string_view key) const;
  // Removes the fields; returns how many were present.
  Result<std::size_t> hdel(std::string_view key, const std::vector<std::string_view>& fields,
                           const WriteOptions& write = {});
  // Adds or rescores members (NaN is kInvalidArgument); returns how many were new.
  Result<std::size_t> zadd(std::string_view key,
                           const std::vector<std::pair<double, std::string_view>>& members,
                           const WriteOptions& write = {});
  // The score of member in the sorted set at key (nullopt: no such member or key).
  Result<std::optional<double>> zscore(std::string_view key, std::string_view member) const;
  // Members with ranks start..stop (0-based, inclusive, ascending by score,
  // then member), with their scores.
  Result<std::vector<std::pair<std::string, double>>> zrange(std::string_view key,
                                                             std::size_t start,
                                                             std::size_t stop) const;
  // Removes the members; returns how many were present.
  Result<std::size_t> zrem(std::string_view key, const std::vector<std::string_view>& members,
                           const WriteOptions& write = {});

  // When small objects leave their compact encodings (Options::encoding_limits);
  // changing it affects later writes. Thread-safe.
  void set_encoding_limits(const EncodingLimits& limits);
  // The limits in force (Options::encoding_limits or the last set_encoding_limits).
  EncodingLimits encoding_limits() const;

  // Opens (creating if absent) a data directory: the snapshot named by its
  // MANIFEST plus the WAL segments that continue it (docs/FORMATS.md). The
  // directory is locked (flock on dir/LOCK) for the life of the store; a
  // directory another process holds is kBusy. Checkpoints follow
  // options.checkpoint; obsolete files are deleted only after the new
  // snapshot and manifest are durable.
  static Result<KvStore> open_dir(const std::string& dir, const Options& options = {});

  // open_dir() stores: writes a snapshot now and switches the manifest to it
  // (as an automatic checkpoint would), waiting for it to finish. Other
  // stores: kInvalidArgument (use save_to_file).
  Result<void> checkpoint();

  // open_dir() stores: a point-in-time backup into to_dir (absent or empty)
  // while writes go on: every write acknowledged before the call, and exactly
  // the writes numbered up to BackupInfo::sequence. Checkpoints keep running
  // but do not delete the files it still needs. See kvstore/backup.h and
  // docs/BACKUP.md. Other stores: kInvalidArgument.
  Result<BackupInfo> backup(const std::string& to_dir);

  // Atomic read-modify-write of one or more keys. Locks the shards of `keys`
  // (in a fixed order, so concurrent updates cannot deadlock), calls fn with
  // their current values, then logs the writes fn made as one WAL record
  // (several keys: one batch record, all-or-nothing after a crash) and applies
  // them before unlocking. Readers never see part of an update. fn must not
  // call the store. Returns fn's error-free outcome: kInvalidArgument for an
  // undeclared key or an oversized key/value, WAL errors as for set().
  Result<void> update(const std::vector<std::string_view>& keys,
                      const std::function<void(Transaction&)>& fn,
                      const WriteOptions& write = {});

  // As update() over the whole keyspace: locks every shard (in the order
  // update() and clear() use), so fn may read and write any key and call
  // Transaction::clear(), size(), scan() and random_key(). Every write fn
  // makes, a clear included, is one WAL record: all or nothing after a
  // crash, and readers never see part of it. Every other write waits while
  // fn runs: keep it short.
  Result<void> update_all(const std::function<void(Transaction&)>& fn,
                          const WriteOptions& write = {});

  // Iterates over the keys in pages, like Redis's SCAN. Start with cursor 0;
  // fn is called for about `count` entries (never fewer than one shard's
  // worth of remaining keys would force; may be more); the return value is
  // the cursor for the next call, 0 when done. Every key present for the
  // whole iteration is visited exactly once; keys written meanwhile may or may
  // not be. fn runs under a shard's read lock: it must not call the store.
  uint64_t scan(uint64_t cursor, std::size_t count,
                const std::function<void(std::string_view key, std::string_view value)>& fn) const;

  // A uniformly chosen key... approximately (a random shard weighted by its
  // size, then a random entry); nullopt if empty.
  std::optional<std::string> random_key() const;

  // Writes a point-in-time snapshot of the store to snapshot_path as
  // pretty-printed JSON ({"format", "version", "sequence", "map"}), atomically:
  // temporary file, fsync, rename, fsync of the directory. Then checkpoints the
  // WAL so that it keeps only records newer than the snapshot. A crash at any
  // point leaves the old or the new snapshot, and a WAL holding every
  // acknowledged write the surviving snapshot lacks. Writers keep running
  // during the save (each shard is paused only while its entries are copied);
  // the extra memory is one shard's copy and about 1 MiB of JSON text.
  // Concurrent saves are serialised.
  Result<void> save_to_file(const std::string& snapshot_path) const;

  // Makes every acknowledged write durable now (fdatasync), whatever the mode.
  Result<void> sync() const;

  // Changes Options::sync of the open store (Redis's CONFIG SET appendfsync).
  // Writes that start after the call get the new mode's promise; switching to
  // kAlways first makes every write acknowledged so far durable (fdatasync).
  // Errors: that fdatasync's; kClosed after close(). Thread-safe.
  Result<void> set_sync_mode(SyncMode mode);
  // The current mode (Options::sync, or the last set_sync_mode).
  SyncMode sync_mode() const;

  // Syncs and closes the WAL (open_dir stores: after the final checkpoint of
  // CheckpointPolicy::on_close, and releasing the directory lock). Later
  // writes fail with kClosed; reads still work. Idempotent; returns the first
  // error met while closing.
  Result<void> close();

  // What the open that produced this store found and did.
  RecoveryStats recovery_stats() const;

  // Current counters; cheap (no store-wide lock).
  Stats stats() const;

  // Highest sequence number assigned so far (each logged write takes one).
  uint64_t last_sequence() const;

  // Highest sequence number known to be on stable storage: every write
  // numbered at or below it survives an OS crash or power loss.
  uint64_t durable_sequence() const;

  // Blocks until every write numbered at or below seq is on stable storage,
  // whatever Options::sync says (a seq above last_sequence() is clamped to
  // it). Concurrent callers share fdatasyncs: one leader syncs everything
  // logged so far and wakes the others (group commit). Errors: the failed
  // fdatasync's code; after one, every later write and wait fails too (see
  // set()). kClosed after close() if seq is not durable. Thread-safe.
  Result<void> wait_durable(uint64_t seq) const;

  static constexpr std::size_t kMaxKeySize = 64u << 20;     // 64 MiB
  static constexpr std::size_t kMaxValueSize = 512u << 20;  // 512 MiB, as Redis

  class Impl;  // internal

 private:
  explicit KvStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kvstore

#endif  // KVSTORE_KVSTORE_H_
