// Copyright (c) the kvstore developers.
//
// KvStore: the public API. Opening picks a StorageLayout (a single WAL file
// or a data directory) and assembles a store around it (store.h); every other
// method forwards to the part that owns the operation: reads to the keyspace
// (shard_map.h), writes to the commit path (write_path.h), snapshots to the
// Checkpointer (checkpointer.h). A moved-from store answers kClosed.

#include "kvstore/kvstore.h"

#include <chrono>

#include "data_dir_layout.h"
#include "log.h"
#include "single_file_layout.h"
#include "store.h"

namespace kvstore {

Result<std::unique_ptr<KvStore::Impl>> KvStore::Impl::Open(
    Result<std::unique_ptr<StorageLayout>> layout, const Options& options,
    std::shared_ptr<spdlog::logger> log) {
  const auto start = std::chrono::steady_clock::now();
  if (!layout) return std::move(layout).error();
  auto impl = std::make_unique<Impl>(options, log);
  // Recovery fills the map before the store is shared: no locks needed.
  auto info = (*layout)->Recover(&impl->map_, &impl->recovery_);
  if (!info) return std::move(info).error();
  impl->map_.ShrinkToFit();  // the reserve counted overwrites and removes too
  impl->map_.ClearReplayFloors();
  impl->layout_ = std::move(*layout);
  impl->recovery_.duration = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  LogRecovery(*log, *info, impl->recovery_, impl->map_.Size());
  impl->writes_.emplace(&impl->map_, &impl->layout_->wal(), options.count_operations, log);
  impl->checkpointer_.emplace(options, impl->layout_.get(), &impl->map_, log, info->base_seq,
                              info->own_snapshot);
  impl->expirer_.emplace(options, &impl->map_, &*impl->writes_);
  // Keys that expired while the store was closed go now, logged as removes
  // like any reclaim (before the checkpoint triggers start counting).
  if (const uint64_t n = impl->expirer_->ReclaimAll(); n > 0) {
    log->info("removed {} keys that expired while the store was closed", n);
  }
  impl->checkpointer_->Start();
  impl->expirer_->Start();
  return impl;
}

Result<void> KvStore::Impl::Close() {
  if (!layout_) return {};
  expirer_->Stop();  // no more reclaims: the WAL is about to close
  bool first = false;
  Result<void> r = checkpointer_->Close(&first);
  if (!first) return {};
  auto c = layout_->Close();
  if (r && !c) r = c;
  return r;
}

namespace {
Error Moved() { return Error(ErrorCode::kClosed, "store was moved from"); }
}  // namespace

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
  auto log = MakeLogger(options);
  auto impl = Impl::Open(SingleFileLayout::Make(nullptr, wal_path, options, log), options, log);
  if (!impl) return std::move(impl).error();
  return KvStore(std::move(*impl));
}

Result<KvStore> KvStore::load_from_file(const std::string& snapshot_path,
                                        const std::string& wal_path, const Options& options) {
  auto log = MakeLogger(options);
  auto impl =
      Impl::Open(SingleFileLayout::Make(&snapshot_path, wal_path, options, log), options, log);
  if (!impl) return std::move(impl).error();
  return KvStore(std::move(*impl));
}

Result<KvStore> KvStore::open_dir(const std::string& dir, const Options& options) {
  auto log = MakeLogger(options);
  auto impl = Impl::Open(DataDirLayout::Make(dir, options, log), options, log);
  if (!impl) return std::move(impl).error();
  return KvStore(std::move(*impl));
}

std::optional<std::string> KvStore::get(std::string_view key) const {
  if (!impl_) return std::nullopt;
  return impl_->map().Get(key, impl_->count_ops());
}

bool KvStore::get(std::string_view key, std::string* value) const {
  if (!impl_) return false;
  return impl_->map().Get(key, value, impl_->count_ops());
}

Result<void> KvStore::set(std::string key, std::string value, const WriteOptions& write) {
  if (!impl_) return Moved();
  return impl_->writes().Set(key, value, write);
}

Result<std::optional<std::string>> KvStore::remove(std::string_view key,
                                                   const WriteOptions& write) {
  if (!impl_) return Moved();
  return impl_->writes().Remove(key, write);
}

Result<void> KvStore::clear(const WriteOptions& write) {
  if (!impl_) return Moved();
  return impl_->writes().Clear(write);
}

Result<void> KvStore::update(const std::vector<std::string_view>& keys,
                             const std::function<void(Transaction&)>& fn,
                             const WriteOptions& write) {
  if (!impl_) return Moved();
  return impl_->writes().Update(keys, fn, write);
}

Result<void> KvStore::update_all(const std::function<void(Transaction&)>& fn,
                                 const WriteOptions& write) {
  if (!impl_) return Moved();
  return impl_->writes().UpdateAll(fn, write);
}

uint64_t KvStore::scan(uint64_t cursor, std::size_t count,
                       const std::function<void(std::string_view, std::string_view)>& fn) const {
  if (!impl_) return 0;
  impl_->CountScan();
  return impl_->map().Scan(cursor, count, fn);
}

std::optional<std::string> KvStore::random_key() const {
  return impl_ ? impl_->map().RandomKey() : std::nullopt;
}

Result<void> KvStore::set_expiring(std::string key, std::string value, int64_t expire_at_ms,
                                   const WriteOptions& write) {
  if (!impl_) return Moved();
  if (expire_at_ms <= 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "expiry deadline " + std::to_string(expire_at_ms) + " is not a Unix time in ms");
  }
  return impl_->writes().Set(key, value, write, expire_at_ms);
}

Result<bool> KvStore::expire_at(std::string_view key, int64_t expire_at_ms,
                                const WriteOptions& write) {
  if (!impl_) return Moved();
  return impl_->writes().ExpireAt(key, expire_at_ms, write);
}

Result<bool> KvStore::persist(std::string_view key, const WriteOptions& write) {
  if (!impl_) return Moved();
  return impl_->writes().Persist(key, write);
}

int64_t KvStore::expire_time(std::string_view key) const {
  return impl_ ? impl_->map().ExpireTime(key) : kKeyAbsent;
}

int64_t KvStore::now_ms() const {
  return impl_ ? impl_->map().clock().NowMs() : Clock::SystemNowMs();
}

std::size_t KvStore::size() const { return impl_ ? impl_->map().Size() : 0; }
bool KvStore::empty() const { return size() == 0; }

Type KvStore::type(std::string_view key) const {
  return impl_ ? impl_->map().TypeOf(key) : Type::kNone;
}

Type KvStore::view(std::string_view key, const std::function<void(const Object&)>& fn) const {
  return impl_ ? impl_->map().View(key, fn) : Type::kNone;
}

Result<void> KvStore::apply(std::string_view key, OpCode code,
                            std::span<const std::string_view> args, const WriteOptions& write) {
  return update({key}, [&](Transaction& tx) { tx.apply(key, code, args); }, write);
}

void KvStore::set_encoding_limits(const EncodingLimits& limits) {
  if (impl_) impl_->map().set_encoding_limits(limits);
}

EncodingLimits KvStore::encoding_limits() const {
  return impl_ ? impl_->map().encoding_limits() : EncodingLimits{};
}

Result<void> KvStore::checkpoint() {
  if (!impl_) return Moved();
  return impl_->checkpointer().Checkpoint();
}

Result<BackupInfo> KvStore::backup(const std::string& to_dir) {
  if (!impl_) return Moved();
  auto cut = impl_->layout().PinForBackup();
  if (!cut) return std::move(cut).error();
  auto r = backup::FromStoreCut(*cut, to_dir);
  impl_->layout().UnpinForBackup(cut->pinned);
  return r;
}

Result<void> KvStore::save_to_file(const std::string& snapshot_path) const {
  if (!impl_) return Moved();
  return impl_->checkpointer().Save(snapshot_path);
}

Result<void> KvStore::sync() const {
  if (!impl_) return Moved();
  return impl_->writes().Sync();
}

Result<void> KvStore::set_sync_mode(SyncMode mode) {
  if (!impl_) return Moved();
  return impl_->writes().SetSyncMode(mode);
}

SyncMode KvStore::sync_mode() const {
  return impl_ ? impl_->writes().GetSyncMode() : SyncMode::kEverySecond;
}

Result<void> KvStore::close() {
  if (!impl_) return {};
  return impl_->Close();
}

RecoveryStats KvStore::recovery_stats() const {
  return impl_ ? impl_->recovery() : RecoveryStats{};
}

Stats KvStore::stats() const { return impl_ ? impl_->GetStats() : Stats{}; }

uint64_t KvStore::last_sequence() const { return impl_ ? impl_->writes().LastSequence() : 0; }

uint64_t KvStore::durable_sequence() const {
  return impl_ ? impl_->writes().DurableSequence() : 0;
}

Result<void> KvStore::wait_durable(uint64_t seq) const {
  if (!impl_) return Moved();
  return impl_->writes().WaitDurable(seq);
}

}  // namespace kvstore
