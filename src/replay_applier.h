// Copyright (c) the kvstore developers.
//
// ReplayApplier: applies the records of a WAL scan to a map that is not
// shared yet, on the scanning thread alone or with applier threads. Each
// applier owns a fixed set of shards (shard % appliers) and applies their
// ops in the order the scan hands them over; every op touches one key, so
// each key sees its ops in log order and the result is the sequential one.
// A clear touches every shard: the appliers are drained first and it applies
// on the scanning thread.

#ifndef KVSTORE_SRC_REPLAY_APPLIER_H_
#define KVSTORE_SRC_REPLAY_APPLIER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "shard_map.h"
#include "wal_reader.h"

namespace kvstore {

class ReplayApplier {
 public:
  // appliers == 0: every record applies inline, in Apply.
  ReplayApplier(ShardMap* map, std::size_t appliers);
  ~ReplayApplier();  // Finish()
  ReplayApplier(const ReplayApplier&) = delete;
  ReplayApplier& operator=(const ReplayApplier&) = delete;

  // Applies rec, now or later: its views must stay valid until the next
  // Drain() or Finish() returns.
  void Apply(const wal::RecordView& rec);
  // Returns once every record handed to Apply is applied.
  void Drain();
  // Drain(), then stops the applier threads. Idempotent.
  void Finish();

  // The appliers a replay of `records` records uses: none below a few
  // thousand records (threads cost more than they save), else the cores but
  // one (for the scanning thread), at least 1 and at most 3.
  static std::size_t AppliersFor(uint64_t records);
  // For tests: AppliersFor's answer whatever the count (0: inline);
  // nullopt restores the automatic choice.
  static void SetAppliersForTesting(std::optional<std::size_t> appliers);

 private:
  struct Lane;
  void Route(uint64_t seq, wal::RecordType type, std::string_view key, std::string_view value,
             int64_t deadline);

  ShardMap* map_;
  std::unique_ptr<Lane[]> lanes_;
  std::size_t appliers_;
  bool finished_ = false;
};

}  // namespace kvstore

#endif  // KVSTORE_SRC_REPLAY_APPLIER_H_
