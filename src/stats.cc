// Copyright (c) the kvstore developers.
//
// KvStore::stats(): sums the per-shard write counters and the per-thread get
// counters and gathers the commit path's, the WAL's and the Checkpointer's
// figures into one Stats. No store-wide lock: each part is read under its
// own (briefly).

#include "store.h"

namespace kvstore {

Stats KvStore::Impl::GetStats() const {
  Stats s;
  s.keys = map_.Size();
  s.memory_bytes = map_.MemoryBytes();
  for (std::size_t i = 0; i < ShardMap::kShards; ++i) {
    const Shard& sh = map_.shard(i);
    s.sets += sh.sets.load(std::memory_order_relaxed);
    s.removes += sh.removes.load(std::memory_order_relaxed);
  }
  const ShardMap::GetCounts gets = map_.Gets();
  s.get_hits = gets.hits;
  s.get_misses = gets.misses;
  s.gets = gets.hits + gets.misses;
  s.clears = writes_->clears();
  s.updates = writes_->updates();
  s.scans = scans_.load(std::memory_order_relaxed);
  WalCounters c = layout_->wal().counters();
  s.wal_records = c.records;
  s.wal_bytes = c.bytes;
  s.wal_syncs = c.syncs;
  s.wal_sync_seconds = std::move(c.sync_seconds);
  s.group_commit_records = std::move(c.sync_records);
  checkpointer_->FillStats(&s, layout_->wal().last_seq(), c.bytes);
  s.recovery = recovery_;
  expirer_->FillStats(&s);
  return s;
}

}  // namespace kvstore
