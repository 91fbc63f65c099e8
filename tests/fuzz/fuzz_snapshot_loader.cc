// Copyright (c) the kvstore developers.
//
// libFuzzer target: the input is a snapshot file (JSON, docs/FORMATS.md).
//
// The input is put on an in-memory FaultInjectionFs and loaded with
// KvStore::load_from_file next to an empty WAL. Invariants:
//   - loading never crashes; it succeeds exactly when snapshot::Load (the
//     parser alone) does, and a failure is kCorruption;
//   - on success the store holds exactly what the parser read (no WAL
//     records to replay): strings, deadlines from "expires", and the
//     hashes, lists, sets and sorted sets of "objects" with theirs; the clock
//     stands still at kFuzzNowMs, so keys whose deadline has passed must be
//     absent (the load removes them, logging removes that move the sequence
//     on);
//   - save_to_file succeeds and writes valid UTF-8, which parses back to the
//     same keys, values, objects and deadlines (the live ones) and the store's
//     sequence number (round trip);
//   - the saved snapshot loads through the public API again, and a set()
//     made after that load survives a close and another load (the WAL
//     continues the snapshot's sequence numbers correctly).

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "shard_map.h"
#include "snapshot.h"
#include "wal_format.h"

namespace kvstore::fuzz {
namespace {

constexpr char kSnap[] = "in.json";
constexpr char kSnap2[] = "out.json";
constexpr char kWal[] = "fuzz.wal";

// The map's entries with their deadlines (0: none), objects as copies. Not
// shared: no locks.
TimedModel Dump(const ShardMap& map) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  TimedModel m;
  for (std::size_t i = 0; i < ShardMap::kShards; ++i) {
    for (const char* e : map.shard(i).set) {
      ModelValue mv{"", Entry::Deadline(e), nullptr};
      if (Entry::IsObject(e)) {
        const Object& obj = *Entry::GetObject(e);
        FUZZ_CHECK(obj.size() > 0);  // the store keeps no empty object
        mv.obj = obj.Clone();
      } else {
        mv.value = Entry::Value(e);
      }
      auto [it, inserted] = m.emplace(Entry::Key(e), std::move(mv));
      FUZZ_CHECK(inserted);  // a key lives in one shard, once
      if (Entry::HasDeadline(e)) FUZZ_CHECK(Entry::Deadline(e) > 0);  // the loader's rule
    }
  }
  return m;
}

TimedModel Live(const TimedModel& m) {
  TimedModel live;
  for (const auto& [k, mv] : m) {
    if (LiveAtFuzzNow(mv.deadline)) live.emplace(k, mv);
  }
  return live;
}

void Check(std::string_view input) {
  auto fs = std::make_shared<testing::FaultInjectionFs>();
  fs->PutFile(kSnap, std::string(input));
  fs->PutFile(kWal, "");

  // The parser alone, as the reference for what the store must hold.
  ShardMap parsed;
  auto info = snapshot::Load(*fs, kSnap, &parsed);

  auto loaded = KvStore::load_from_file(kSnap, kWal, MemOptions(fs));
  if (Verbose() && !loaded) {
    std::fprintf(stderr, "load failed: %s\n", loaded.error().message().c_str());
  }
  FUZZ_CHECK(loaded.has_value() == info.has_value());
  if (!loaded) {
    FUZZ_CHECK(loaded.error().code() == ErrorCode::kCorruption);
    return;
  }
  // Within a few writes of the sequence cap (wal::kMaxSequence) the probe
  // writes below are refused by design; larger sequences failed to load above.
  if (info->sequence >= wal::kMaxSequence - 4096) return;
  KvStore store = std::move(*loaded);
  const TimedModel all = Dump(parsed);
  FUZZ_CHECK(info->keys >= all.size());  // duplicates: the last one wins
  CheckStoreEquals(store, all);
  const TimedModel model = Live(all);
  FUZZ_CHECK(store.recovery_stats().snapshot_sequence == info->sequence);
  const uint64_t opened_seq = store.last_sequence();
  if (AnyExpired(all)) {
    FUZZ_CHECK(opened_seq > info->sequence);  // the expired keys' removes
  } else {
    FUZZ_CHECK(opened_seq == info->sequence);
  }

  // Round trip through save_to_file.
  auto saved = store.save_to_file(kSnap2);
  if (Verbose() && !saved) {
    std::fprintf(stderr, "save failed: %s\n", saved.error().message().c_str());
  }
  FUZZ_CHECK(saved.has_value());
  auto text = fs->Contents(kSnap2);
  FUZZ_CHECK(text.has_value());
  FUZZ_CHECK(simdjson::validate_utf8(text->data(), text->size()));
  ShardMap reparsed;
  auto info2 = snapshot::Load(*fs, kSnap2, &reparsed);
  if (Verbose() && !info2) {
    std::fprintf(stderr, "reparse failed: %s\n", info2.error().message().c_str());
  }
  FUZZ_CHECK(info2.has_value());
  FUZZ_CHECK(info2->sequence == opened_seq);
  FUZZ_CHECK(info2->keys == model.size());
  FUZZ_CHECK(Dump(reparsed) == model);

  // The WAL continues after the snapshot: a write made now survives.
  const std::string probe_key("fuzz\0probe", 10);
  const std::string probe_value = "after sequence " + std::to_string(info->sequence);
  FUZZ_CHECK(store.set(probe_key, probe_value).has_value());
  FUZZ_CHECK(store.close().has_value());
  TimedModel after = model;
  after[probe_key] = ModelValue{probe_value, 0, nullptr};

  auto again = KvStore::load_from_file(kSnap2, kWal, MemOptions(fs));
  if (Verbose() && !again) {
    std::fprintf(stderr, "reload failed: %s\n", again.error().message().c_str());
  }
  FUZZ_CHECK(again.has_value());
  CheckStoreEquals(*again, after);
}

}  // namespace
}  // namespace kvstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kvstore::fuzz::Check(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
