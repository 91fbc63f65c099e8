// Copyright (c) the kvstore developers.
//
// Behaviour of the public API on the real POSIX filesystem: every promise of
// docs/CONTRACT.md (set/get/remove/clear/size/save/load, WAL recovery,
// sequence numbers, checkpointing, closed stores, size limits).

#include "support/temp_dir.h"
#include "kvstore/kvstore.h"
#include "snapshot.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <utility>

namespace kvstore {
namespace {

using kvstore::testing::TempDir;
using kvstore::testing::ReadFileBytes;
using kvstore::testing::WriteFileBytes;

namespace fs = std::filesystem;

Options NoSync() {
  Options o;
  o.sync = SyncMode::kNever;
  return o;
}

class KvStoreTest : public ::testing::Test {
 protected:
  KvStore Open() {
    auto r = KvStore::open(wal_, NoSync());
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message());
    return std::move(r).value();
  }
  KvStore Load(const std::string& snap) {
    auto r = KvStore::load_from_file(snap, wal_, NoSync());
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message());
    return std::move(r).value();
  }

  TempDir dir_;
  std::string wal_ = dir_.File("store.wal");
  std::string snap_ = dir_.File("store.json");
};

// ---- basic map operations ----

TEST_F(KvStoreTest, FreshStoreIsEmpty) {
  KvStore s = Open();
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.get("anything"), std::nullopt);
  EXPECT_EQ(s.last_sequence(), 0u);
  EXPECT_TRUE(fs::exists(wal_)) << "open must create the WAL";
}

TEST_F(KvStoreTest, SetThenGetReturnsValue) {
  KvStore s = Open();
  ASSERT_TRUE(s.set("key", "value"));
  EXPECT_EQ(s.get("key"), "value");
  EXPECT_EQ(s.get("Key"), std::nullopt) << "keys are case-sensitive bytes";
  EXPECT_EQ(s.size(), 1u);
  EXPECT_FALSE(s.empty());
}

TEST_F(KvStoreTest, GetIntoAStringCopiesTheValueAndReusesTheString) {
  Options o = NoSync();
  o.count_operations = true;
  auto opened = KvStore::open(wal_, o);
  ASSERT_TRUE(opened.has_value());
  KvStore s = std::move(opened).value();
  ASSERT_TRUE(s.set("key", std::string(100, 'v')));
  ASSERT_TRUE(s.set("short", "x"));
  ASSERT_TRUE(s.set_expiring("gone", "old", 1));  // expired long ago
  ASSERT_TRUE(s.hset("hash", {{"f", "v"}}));

  std::string value;
  value.reserve(1000);
  const char* const buffer = value.data();
  ASSERT_TRUE(s.get("key", &value));
  EXPECT_EQ(value, std::string(100, 'v'));
  ASSERT_TRUE(s.get("short", &value));
  EXPECT_EQ(value, "x") << "the whole string is replaced, not a prefix";
  EXPECT_EQ(value.data(), buffer) << "a value that fits must reuse the string's buffer";

  value = "untouched";
  EXPECT_FALSE(s.get("absent", &value));
  EXPECT_FALSE(s.get("gone", &value)) << "an expired key is absent";
  EXPECT_FALSE(s.get("hash", &value)) << "a key holding a hash is not a string";
  EXPECT_EQ(value, "untouched") << "a miss leaves the string as it was";

  EXPECT_TRUE(s.get("key", nullptr)) << "a null string asks only whether the key is there";
  EXPECT_FALSE(s.get("absent", nullptr));

  const Stats st = s.stats();
  EXPECT_EQ(st.gets, 7u);
  EXPECT_EQ(st.get_hits, 4u) << "the hash's key was found, as get(key) counts it";
  EXPECT_EQ(st.get_misses, 3u);
}

TEST_F(KvStoreTest, SetOverwritesExistingValue) {
  KvStore s = Open();
  ASSERT_TRUE(s.set("k", "first"));
  ASSERT_TRUE(s.set("k", "second"));
  EXPECT_EQ(s.get("k"), "second");
  EXPECT_EQ(s.size(), 1u);
  ASSERT_TRUE(s.set("k", "a much longer third value than before ......................."));
  EXPECT_EQ(s.get("k"), "a much longer third value than before .......................");
  ASSERT_TRUE(s.set("k", "4"));
  EXPECT_EQ(s.get("k"), "4");
}

TEST_F(KvStoreTest, EmptyKeyAndEmptyValueAreOrdinaryData) {
  {
    KvStore s = Open();
    ASSERT_TRUE(s.set("", "value of empty key"));
    ASSERT_TRUE(s.set("empty-value", ""));
    EXPECT_EQ(s.get(""), "value of empty key");
    ASSERT_TRUE(s.get("empty-value").has_value()) << "an empty value is not absence";
    EXPECT_EQ(*s.get("empty-value"), "");
    EXPECT_EQ(s.size(), 2u);
  }
  {
    KvStore s = Open();  // through WAL replay
    EXPECT_EQ(s.get(""), "value of empty key");
    ASSERT_TRUE(s.get("empty-value").has_value());
    EXPECT_EQ(*s.get("empty-value"), "");
    ASSERT_TRUE(s.save_to_file(snap_));
  }
  {
    KvStore s = Load(snap_);  // through the snapshot
    EXPECT_EQ(s.get(""), "value of empty key");
    ASSERT_TRUE(s.get("empty-value").has_value());
    EXPECT_EQ(*s.get("empty-value"), "");
    EXPECT_EQ(s.size(), 2u);
    auto removed = s.remove("");
    ASSERT_TRUE(removed);
    EXPECT_EQ(*removed, "value of empty key");
  }
}

TEST_F(KvStoreTest, UnicodeKeysAndValuesSurviveReplayAndSnapshot) {
  const std::map<std::string, std::string> data = {
      {"日本語", "こんにちは世界"},
      {"emoji 🚀", "🙂👍🏽"},
      {"Ünïcödé", "Ωμέγα — “quotes” ‘single’"},
      {"עברית", "مرحبا"},
      {"combining e\xCC\x81", "\xE2\x80\xA8line separator"},
  };
  {
    KvStore s = Open();
    for (const auto& [k, v] : data) ASSERT_TRUE(s.set(k, v));
  }
  {
    KvStore s = Open();
    for (const auto& [k, v] : data) EXPECT_EQ(s.get(k), v) << k;
    ASSERT_TRUE(s.save_to_file(snap_));
  }
  const std::string text = ReadFileBytes(snap_);
  EXPECT_NE(text.find("\"日本語\": \"こんにちは世界\""), std::string::npos)
      << "unicode text must be stored readable, not encoded:\n"
      << text;
  KvStore s = Load(snap_);
  EXPECT_EQ(s.size(), data.size());
  for (const auto& [k, v] : data) EXPECT_EQ(s.get(k), v) << k;
}

TEST_F(KvStoreTest, RemoveReturnsOldValueAndDeletes) {
  KvStore s = Open();
  ASSERT_TRUE(s.set("a", "1"));
  ASSERT_TRUE(s.set("b", "2"));
  auto r = s.remove("a");
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ(**r, "1");
  EXPECT_EQ(s.get("a"), std::nullopt);
  EXPECT_EQ(s.get("b"), "2");
  EXPECT_EQ(s.size(), 1u);
}

TEST_F(KvStoreTest, RemoveOfMissingKeyReturnsNulloptAndLogsNothing) {
  KvStore s = Open();
  ASSERT_TRUE(s.set("present", "x"));
  const uint64_t seq = s.last_sequence();
  const uint64_t records = s.stats().wal_records;
  const auto wal_size_before = s.stats().wal_bytes;
  auto r = s.remove("absent");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(s.last_sequence(), seq) << "removing a missing key must not be logged";
  EXPECT_EQ(s.stats().wal_records, records);
  EXPECT_EQ(s.stats().wal_bytes, wal_size_before);
  // Removing twice: the second is a no-op too.
  ASSERT_TRUE(s.remove("present"));
  const uint64_t seq2 = s.last_sequence();
  EXPECT_EQ(seq2, seq + 1);
  auto again = s.remove("present");
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->has_value());
  EXPECT_EQ(s.last_sequence(), seq2);
}

TEST_F(KvStoreTest, ClearRemovesEverythingAndIsOneRecord) {
  {
    KvStore s = Open();
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(s.set("k" + std::to_string(i), "v"));
    const uint64_t before = s.last_sequence();
    ASSERT_TRUE(s.clear());
    EXPECT_EQ(s.last_sequence(), before + 1) << "clear is a single WAL record";
    EXPECT_TRUE(s.empty());
    EXPECT_EQ(s.size(), 0u);
    EXPECT_EQ(s.get("k5"), std::nullopt);
    ASSERT_TRUE(s.set("after", "clear"));
    ASSERT_TRUE(s.clear());  // clearing twice (second time already empty) is fine
    ASSERT_TRUE(s.set("after2", "clear2"));
  }
  KvStore s = Open();
  EXPECT_EQ(s.size(), 1u) << "replay must apply clear in order";
  EXPECT_EQ(s.get("after2"), "clear2");
  EXPECT_EQ(s.get("after"), std::nullopt);
}

TEST_F(KvStoreTest, SizeTracksDistinctKeys) {
  KvStore s = Open();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(s.set("key" + std::to_string(i % 20), "v" + std::to_string(i)));
  EXPECT_EQ(s.size(), 20u);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(s.remove("key" + std::to_string(i)));
  EXPECT_EQ(s.size(), 15u);
  EXPECT_EQ(s.stats().keys, 15u);
}

// ---- WAL recovery ----

TEST_F(KvStoreTest, ReopenReplaysWal) {
  {
    KvStore s = Open();
    ASSERT_TRUE(s.set("a", "1"));
    ASSERT_TRUE(s.set("b", "2"));
    ASSERT_TRUE(s.set("a", "3"));
    ASSERT_TRUE(s.set("c", "4"));
    ASSERT_TRUE(s.remove("c"));
  }  // destroyed without save_to_file: only the WAL holds the data
  KvStore s = Open();
  EXPECT_EQ(s.size(), 2u);
  EXPECT_EQ(s.get("a"), "3");
  EXPECT_EQ(s.get("b"), "2");
  EXPECT_EQ(s.get("c"), std::nullopt);
  const RecoveryStats st = s.recovery_stats();
  EXPECT_EQ(st.records_replayed, 5u);
  EXPECT_EQ(st.records_skipped, 0u);
  EXPECT_EQ(st.snapshot_keys, 0u);
  EXPECT_EQ(st.snapshot_sequence, 0u);
  EXPECT_EQ(st.last_sequence, 5u);
  EXPECT_EQ(st.bytes_dropped, 0u);
  EXPECT_FALSE(st.torn_tail);
  EXPECT_FALSE(st.corruption_dropped);
}

TEST_F(KvStoreTest, ReopenSeveralTimesAccumulates) {
  std::map<std::string, std::string> model;
  for (int round = 0; round < 5; ++round) {
    KvStore s = Open();
    EXPECT_EQ(s.size(), model.size()) << "round " << round;
    for (const auto& [k, v] : model) EXPECT_EQ(s.get(k), v);
    for (int i = 0; i < 10; ++i) {
      std::string k = "k" + std::to_string((round * 7 + i) % 23);
      std::string v = "r" + std::to_string(round) + "i" + std::to_string(i);
      ASSERT_TRUE(s.set(k, v));
      model[k] = v;
    }
    std::string victim = "k" + std::to_string(round * 3 % 23);
    if (model.erase(victim)) {
      ASSERT_TRUE(s.remove(victim));
    }
  }
}

TEST_F(KvStoreTest, RecoveryStatsDescribeTheOpen) {
  {
    KvStore s = Open();
    const RecoveryStats fresh = s.recovery_stats();
    EXPECT_EQ(fresh.records_replayed, 0u);
    EXPECT_EQ(fresh.last_sequence, 0u);
    for (int i = 0; i < 7; ++i) ASSERT_TRUE(s.set("k" + std::to_string(i), "v"));
    ASSERT_TRUE(s.save_to_file(snap_));
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(s.set("after" + std::to_string(i), "v"));
    ASSERT_TRUE(s.clear());
  }
  {
    KvStore s = Open();  // open() ignores the snapshot: only WAL records after it
    const RecoveryStats st = s.recovery_stats();
    EXPECT_EQ(st.snapshot_keys, 0u);
    EXPECT_EQ(st.records_replayed, 4u);
    EXPECT_EQ(st.last_sequence, 11u);
    EXPECT_GE(st.duration.count(), 0);
  }
  KvStore s = Load(snap_);
  const RecoveryStats st = s.recovery_stats();
  EXPECT_EQ(st.snapshot_keys, 7u);
  EXPECT_EQ(st.snapshot_sequence, 7u);
  EXPECT_EQ(st.records_replayed, 4u);
  EXPECT_EQ(st.records_skipped, 0u);
  EXPECT_EQ(st.last_sequence, 11u);
  EXPECT_TRUE(s.empty()) << "the clear after the snapshot must be replayed";
}

// ---- sequence numbers ----

TEST_F(KvStoreTest, SequenceNumbersIncreaseByOnePerLoggedWrite) {
  KvStore s = Open();
  EXPECT_EQ(s.last_sequence(), 0u);
  ASSERT_TRUE(s.set("a", "1"));
  EXPECT_EQ(s.last_sequence(), 1u);
  ASSERT_TRUE(s.set("a", "2"));
  EXPECT_EQ(s.last_sequence(), 2u);
  ASSERT_TRUE(s.remove("a"));
  EXPECT_EQ(s.last_sequence(), 3u);
  ASSERT_TRUE(s.clear());
  EXPECT_EQ(s.last_sequence(), 4u);
  EXPECT_EQ(s.stats().wal_records, 4u);
  EXPECT_GT(s.stats().wal_bytes, 0u);
}

TEST_F(KvStoreTest, SequenceNumbersContinueAcrossRestarts) {
  uint64_t last = 0;
  for (int round = 0; round < 4; ++round) {
    KvStore s = Open();
    EXPECT_EQ(s.last_sequence(), last) << "round " << round;
    EXPECT_EQ(s.recovery_stats().last_sequence, last);
    for (int i = 0; i <= round; ++i) ASSERT_TRUE(s.set("k", std::to_string(i)));
    EXPECT_EQ(s.last_sequence(), last + round + 1);
    last = s.last_sequence();
  }
}

TEST_F(KvStoreTest, SequenceNumbersContinueAcrossSaveAndLoad) {
  uint64_t last;
  {
    KvStore s = Open();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(s.set("k" + std::to_string(i), "v"));
    ASSERT_TRUE(s.save_to_file(snap_));
    EXPECT_EQ(s.last_sequence(), 5u) << "a save is not a logged write";
    ASSERT_TRUE(s.set("x", "y"));
    last = s.last_sequence();
    EXPECT_EQ(last, 6u);
  }
  {
    KvStore s = Load(snap_);
    EXPECT_EQ(s.last_sequence(), last);
    ASSERT_TRUE(s.set("z", "w"));
    EXPECT_EQ(s.last_sequence(), last + 1);
    ASSERT_TRUE(s.save_to_file(snap_));
    last = s.last_sequence();
  }
  {
    // Snapshot only: the WAL is gone. The snapshot's sequence is the floor.
    fs::remove(wal_);
    KvStore s = Load(snap_);
    EXPECT_EQ(s.last_sequence(), last);
    EXPECT_EQ(s.size(), 7u);
    ASSERT_TRUE(s.set("after", "wal-loss"));
    EXPECT_EQ(s.last_sequence(), last + 1);
  }
  {
    KvStore s = Load(snap_);
    EXPECT_EQ(s.last_sequence(), last + 1);
    EXPECT_EQ(s.get("after"), "wal-loss");
  }
}

// ---- save / load ----

TEST_F(KvStoreTest, SaveThenLoadRestoresAllData) {
  std::map<std::string, std::string> model;
  {
    KvStore s = Open();
    for (int i = 0; i < 300; ++i) {
      std::string k = "key-" + std::to_string(i);
      std::string v(static_cast<std::size_t>(i % 50), static_cast<char>('a' + i % 26));
      ASSERT_TRUE(s.set(k, v));
      model[k] = v;
    }
    ASSERT_TRUE(s.save_to_file(snap_));
  }
  fs::remove(wal_);  // the snapshot alone must be enough
  KvStore s = Load(snap_);
  EXPECT_EQ(s.size(), model.size());
  for (const auto& [k, v] : model) EXPECT_EQ(s.get(k), v) << k;
  EXPECT_EQ(s.recovery_stats().snapshot_keys, model.size());
}

TEST_F(KvStoreTest, SnapshotIsPrettyPrintedJsonWithMetadataAndMap) {
  {
    KvStore s = Open();
    ASSERT_TRUE(s.set("key", "value"));
    ASSERT_TRUE(s.save_to_file(snap_));
  }
  const std::string text = ReadFileBytes(snap_);
  EXPECT_NE(text.find("\"format\": \"kvstore-snapshot\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"version\": " + std::to_string(snapshot::kVersion)), std::string::npos)
      << text;
  EXPECT_NE(text.find("\"sequence\": 1"), std::string::npos) << text;
  EXPECT_NE(text.find("\"map\": {"), std::string::npos) << text;
  EXPECT_NE(text.find("\n    \"key\": \"value\"\n"), std::string::npos)
      << "pretty-printed, one entry per line:\n"
      << text;
  EXPECT_FALSE(fs::exists(snap_ + ".tmp")) << "the temporary file must be renamed away";
}

TEST_F(KvStoreTest, SaveOverwritesPreviousSnapshot) {
  KvStore s = Open();
  ASSERT_TRUE(s.set("a", "1"));
  ASSERT_TRUE(s.save_to_file(snap_));
  ASSERT_TRUE(s.remove("a"));
  ASSERT_TRUE(s.set("b", "2"));
  ASSERT_TRUE(s.save_to_file(snap_));
  ASSERT_TRUE(s.close());
  KvStore t = Load(snap_);
  EXPECT_EQ(t.get("a"), std::nullopt);
  EXPECT_EQ(t.get("b"), "2");
  EXPECT_EQ(t.size(), 1u);
}

TEST_F(KvStoreTest, SaveOfEmptyStoreLoadsEmpty) {
  {
    KvStore s = Open();
    ASSERT_TRUE(s.save_to_file(snap_));
  }
  KvStore s = Load(snap_);
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.recovery_stats().snapshot_keys, 0u);
}

TEST_F(KvStoreTest, LoadsSeedDocumentedMapForm) {
  WriteFileBytes(snap_, "{\n  \"map\": {\n    \"key\": \"value\",\n    \"other\": \"x\"\n  }\n}\n");
  KvStore s = Load(snap_);
  EXPECT_EQ(s.size(), 2u);
  EXPECT_EQ(s.get("key"), "value");
  EXPECT_EQ(s.get("other"), "x");
  EXPECT_EQ(s.recovery_stats().snapshot_sequence, 0u);
  ASSERT_TRUE(s.set("new", "write"));
  EXPECT_EQ(s.last_sequence(), 1u);
}

TEST_F(KvStoreTest, LoadsSeedFlatObjectForm) {
  WriteFileBytes(snap_, "{\"key\": \"value\", \"format\": \"not metadata here\", \"map\": \"a string\"}");
  KvStore s = Load(snap_);
  EXPECT_EQ(s.size(), 3u) << "in the flat form every member is an entry";
  EXPECT_EQ(s.get("key"), "value");
  EXPECT_EQ(s.get("format"), "not metadata here");
  EXPECT_EQ(s.get("map"), "a string") << "a \"map\" member that is not an object is an entry";
}

TEST_F(KvStoreTest, LoadsEmptyFlatObject) {
  WriteFileBytes(snap_, "{}");
  KvStore s = Load(snap_);
  EXPECT_TRUE(s.empty());
}

TEST_F(KvStoreTest, LoadIgnoresExtraTopLevelMetadataInAnyOrder) {
  WriteFileBytes(snap_, R"({
  "map": {"a": "1", "b": "2"},
  "created_by": "another tool",
  "stats": {"keys": 2, "nested": [1, 2, {"x": null}]},
  "flag": true,
  "nothing": null,
  "sequence": 41,
  "version": 1,
  "format": "kvstore-snapshot"
})");
  KvStore s = Load(snap_);
  EXPECT_EQ(s.size(), 2u);
  EXPECT_EQ(s.get("a"), "1");
  EXPECT_EQ(s.get("b"), "2");
  EXPECT_EQ(s.recovery_stats().snapshot_sequence, 41u) << "sequence after map must still be read";
  EXPECT_EQ(s.last_sequence(), 41u);
  ASSERT_TRUE(s.set("c", "3"));
  EXPECT_EQ(s.last_sequence(), 42u);
}

TEST_F(KvStoreTest, LoadOfSnapshotWithMissingWalCreatesWal) {
  WriteFileBytes(snap_, R"({"map": {"a": "1"}})");
  ASSERT_FALSE(fs::exists(wal_));
  {
    KvStore s = Load(snap_);
    EXPECT_TRUE(fs::exists(wal_));
    ASSERT_TRUE(s.set("b", "2"));
  }
  KvStore s = Load(snap_);
  EXPECT_EQ(s.get("a"), "1");
  EXPECT_EQ(s.get("b"), "2");
}

// ---- checkpoint: load replays only newer WAL records ----

// The WAL file of an open store is preallocated; its logical end is where the
// trailing zeros begin (the format's end marker). Looks at the first 64 KiB.
std::size_t WalDataSize(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string data(64 << 10, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  std::size_t n = static_cast<std::size_t>(in.gcount());
  while (n > 0 && data[n - 1] == '\0') --n;
  return n;
}

TEST_F(KvStoreTest, SaveCheckpointsTheWal) {
  const std::string big(1000, 'v');
  {
    KvStore s = Open();
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(s.set("key" + std::to_string(i), big));
  }
  const auto before = fs::file_size(wal_);  // a closed WAL is trimmed to its data
  EXPECT_GE(before, 200u * 1000u);
  {
    KvStore s = Open();
    ASSERT_TRUE(s.save_to_file(snap_));
    EXPECT_LE(WalDataSize(wal_), 32u) << "records in the snapshot must leave the running WAL";
    ASSERT_TRUE(s.set("one more", "record"));
    EXPECT_GT(WalDataSize(wal_), 32u);
    EXPECT_LT(WalDataSize(wal_), 100u);
  }
  EXPECT_LT(fs::file_size(wal_), 100u) << "only the header and one record remain";
  EXPECT_FALSE(fs::exists(wal_ + ".new")) << "the checkpoint's temporary log is renamed away";
  KvStore t = Load(snap_);
  EXPECT_EQ(t.size(), 201u);
  EXPECT_EQ(t.get("key199"), big);
  EXPECT_EQ(t.recovery_stats().records_replayed, 1u);
  EXPECT_EQ(t.recovery_stats().records_skipped, 0u);
}

TEST_F(KvStoreTest, LoadReplaysOnlyWalRecordsNewerThanSnapshot) {
  // A save whose checkpoint did not happen (crash between the snapshot rename
  // and the WAL rewrite) leaves a WAL that still holds records the snapshot
  // already has, followed by later writes. Build that WAL: the pre-save log
  // (records 1..5) followed by the records the store appended after the save.
  std::string pre_save_wal;
  {
    KvStore s = Open();
    ASSERT_TRUE(s.set("a", "1"));
    ASSERT_TRUE(s.set("b", "2"));
    ASSERT_TRUE(s.set("c", "3"));
    ASSERT_TRUE(s.remove("a"));
    ASSERT_TRUE(s.set("d", "4"));
    ASSERT_TRUE(s.close());
    pre_save_wal = ReadFileBytes(wal_);
  }
  {
    KvStore s = Open();
    ASSERT_TRUE(s.save_to_file(snap_));  // sequence 5
    ASSERT_TRUE(s.set("e", "5"));
    ASSERT_TRUE(s.remove("b"));
    ASSERT_TRUE(s.set("c", "33"));
  }
  const std::string post = ReadFileBytes(wal_);
  ASSERT_GT(post.size(), 32u);
  ASSERT_EQ(pre_save_wal.size() % 8, 0u);
  WriteFileBytes(wal_, pre_save_wal + post.substr(32));

  KvStore s = Load(snap_);
  const RecoveryStats st = s.recovery_stats();
  EXPECT_EQ(st.snapshot_sequence, 5u);
  EXPECT_EQ(st.snapshot_keys, 3u);
  EXPECT_EQ(st.records_skipped, 5u);
  EXPECT_EQ(st.records_replayed, 3u);
  EXPECT_EQ(st.last_sequence, 8u);
  EXPECT_EQ(s.get("a"), std::nullopt);
  EXPECT_EQ(s.get("b"), std::nullopt);
  EXPECT_EQ(s.get("c"), "33");
  EXPECT_EQ(s.get("d"), "4");
  EXPECT_EQ(s.get("e"), "5");
  EXPECT_EQ(s.size(), 3u);
  ASSERT_TRUE(s.set("f", "6"));
  EXPECT_EQ(s.last_sequence(), 9u);
}

TEST_F(KvStoreTest, SkippedRecordsAreNotReappliedOverSnapshot) {
  // The WAL holds records 1..3; a snapshot claiming sequence 3 with different
  // contents wins, because records <= 3 are not replayed.
  {
    KvStore s = Open();
    ASSERT_TRUE(s.set("a", "wal-1"));
    ASSERT_TRUE(s.set("b", "wal-2"));
    ASSERT_TRUE(s.set("a", "wal-3"));
  }
  WriteFileBytes(snap_, R"({"sequence": 3, "map": {"a": "snap", "z": "snap"}})");
  KvStore s = Load(snap_);
  EXPECT_EQ(s.recovery_stats().records_skipped, 3u);
  EXPECT_EQ(s.recovery_stats().records_replayed, 0u);
  EXPECT_EQ(s.get("a"), "snap");
  EXPECT_EQ(s.get("b"), std::nullopt);
  EXPECT_EQ(s.get("z"), "snap");
}

TEST_F(KvStoreTest, LoadWithWalThatDoesNotContinueSnapshotIsCorruption) {
  const std::string a = dir_.File("a.json");
  const std::string b = dir_.File("b.json");
  {
    KvStore s = Open();
    ASSERT_TRUE(s.set("k1", "v1"));
    ASSERT_TRUE(s.save_to_file(a));  // sequence 1
    ASSERT_TRUE(s.set("k2", "v2"));
    ASSERT_TRUE(s.set("k3", "v3"));
    ASSERT_TRUE(s.save_to_file(b));  // sequence 3: WAL now starts after 3
    ASSERT_TRUE(s.set("k4", "v4"));
  }
  auto r = KvStore::load_from_file(a, wal_, NoSync());
  ASSERT_FALSE(r) << "records 2..3 are in neither file; loading must refuse";
  EXPECT_EQ(r.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(r.error().message().find(wal_), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("missing"), std::string::npos) << r.error().message();
  // Nothing was modified: the right snapshot still loads everything.
  KvStore s = Load(b);
  EXPECT_EQ(s.size(), 4u);
  EXPECT_EQ(s.get("k4"), "v4");
}

TEST_F(KvStoreTest, GapRefusalHoldsEvenWithoutNewerRecords) {
  const std::string a = dir_.File("a.json");
  {
    KvStore s = Open();
    ASSERT_TRUE(s.set("k1", "v1"));
    ASSERT_TRUE(s.save_to_file(a));
    ASSERT_TRUE(s.set("k2", "v2"));
    ASSERT_TRUE(s.save_to_file(snap_));  // WAL: header with base 2, no records
  }
  auto r = KvStore::load_from_file(a, wal_, NoSync());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kCorruption) << r.error().message();
}

// ---- closed and moved-from stores ----

TEST_F(KvStoreTest, MovedFromStoreAnswersClosed) {
  KvStore a = Open();
  ASSERT_TRUE(a.set("k", "v"));
  KvStore b = std::move(a);
  EXPECT_EQ(b.get("k"), "v") << "the moved-to store has the data";

  // NOLINTBEGIN(bugprone-use-after-move): the moved-from state is specified.
  auto set = a.set("x", "y");
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().code(), ErrorCode::kClosed);
  auto rm = a.remove("k");
  ASSERT_FALSE(rm);
  EXPECT_EQ(rm.error().code(), ErrorCode::kClosed);
  auto cl = a.clear();
  ASSERT_FALSE(cl);
  EXPECT_EQ(cl.error().code(), ErrorCode::kClosed);
  auto sv = a.save_to_file(snap_);
  ASSERT_FALSE(sv);
  EXPECT_EQ(sv.error().code(), ErrorCode::kClosed);
  EXPECT_FALSE(fs::exists(snap_));
  auto sy = a.sync();
  ASSERT_FALSE(sy);
  EXPECT_EQ(sy.error().code(), ErrorCode::kClosed);
  EXPECT_EQ(a.get("k"), std::nullopt);
  EXPECT_EQ(a.size(), 0u);
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(a.last_sequence(), 0u);
  EXPECT_TRUE(a.close()) << "close of a moved-from store is a no-op";
  // NOLINTEND(bugprone-use-after-move)

  EXPECT_TRUE(b.set("still", "works"));
  EXPECT_EQ(b.size(), 2u);
}

TEST_F(KvStoreTest, MoveAssignmentClosesTheReplacedStore) {
  const std::string other_wal = dir_.File("other.wal");
  KvStore a = Open();
  ASSERT_TRUE(a.set("a", "1"));
  auto other = KvStore::open(other_wal, NoSync());
  ASSERT_TRUE(other);
  ASSERT_TRUE(other->set("o", "1"));
  a = std::move(*other);  // the store on wal_ is closed and released
  EXPECT_EQ(a.get("o"), "1");
  EXPECT_EQ(a.get("a"), std::nullopt);
  ASSERT_TRUE(a.set("o2", "2"));
  // The replaced store's WAL can be reopened and holds its write.
  KvStore b = Open();
  EXPECT_EQ(b.get("a"), "1");
}

TEST_F(KvStoreTest, WritesAfterCloseFailWithClosedButReadsWork) {
  KvStore s = Open();
  ASSERT_TRUE(s.set("k", "v"));
  ASSERT_TRUE(s.close());
  auto set = s.set("k2", "v2");
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().code(), ErrorCode::kClosed);
  EXPECT_FALSE(set.error().message().empty());
  auto rm = s.remove("k");
  ASSERT_FALSE(rm);
  EXPECT_EQ(rm.error().code(), ErrorCode::kClosed);
  auto cl = s.clear();
  ASSERT_FALSE(cl);
  EXPECT_EQ(cl.error().code(), ErrorCode::kClosed);
  auto sv = s.save_to_file(snap_);
  ASSERT_FALSE(sv);
  EXPECT_EQ(sv.error().code(), ErrorCode::kClosed);
  EXPECT_EQ(s.get("k"), "v") << "reads still work after close";
  EXPECT_EQ(s.get("k2"), std::nullopt) << "a refused write must not be applied";
  EXPECT_EQ(s.size(), 1u);
  EXPECT_TRUE(s.close()) << "close is idempotent";
  EXPECT_EQ(s.last_sequence(), 1u);
}

TEST_F(KvStoreTest, RemoveOfMissingKeyAfterCloseIsStillANoOp) {
  KvStore s = Open();
  ASSERT_TRUE(s.close());
  auto r = s.remove("absent");
  // Either answer is defensible for a no-op; it must not crash or log.
  if (r) {
    EXPECT_FALSE(r->has_value());
  } else {
    EXPECT_EQ(r.error().code(), ErrorCode::kClosed);
  }
}

TEST_F(KvStoreTest, CloseThenReopenSeesEverything) {
  {
    KvStore s = Open();
    ASSERT_TRUE(s.set("k", "v"));
    ASSERT_TRUE(s.close());
  }
  KvStore s = Open();
  EXPECT_EQ(s.get("k"), "v");
}

TEST_F(KvStoreTest, EverySyncModeRecovers) {
  for (SyncMode mode : {SyncMode::kAlways, SyncMode::kEverySecond, SyncMode::kNever}) {
    TempDir d;
    Options o;
    o.sync = mode;
    {
      auto s = KvStore::open(d.File("w.wal"), o);
      ASSERT_TRUE(s);
      for (int i = 0; i < 20; ++i) ASSERT_TRUE(s->set("k" + std::to_string(i), std::to_string(i)));
      ASSERT_TRUE(s->sync());
      if (mode == SyncMode::kAlways) {
        EXPECT_GE(s->stats().wal_syncs, 1u);
      }
    }
    auto s = KvStore::open(d.File("w.wal"), o);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->size(), 20u) << static_cast<int>(mode);
    EXPECT_EQ(s->get("19"), std::nullopt);
    EXPECT_EQ(s->get("k19"), "19");
  }
}

// ---- size limits ----

TEST_F(KvStoreTest, OversizeKeyIsInvalidArgumentAndNotLogged) {
  KvStore s = Open();
  ASSERT_TRUE(s.set("small", "v"));
  const uint64_t seq = s.last_sequence();
  std::string key(KvStore::kMaxKeySize + 1, 'k');
  auto r = s.set(key, "v");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("key"), std::string::npos) << r.error().message();
  EXPECT_EQ(s.last_sequence(), seq);
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(s.get(key), std::nullopt);
  auto rm = s.remove(key);
  ASSERT_TRUE(rm) << "an oversize key cannot exist; removing it is a no-op";
  EXPECT_FALSE(rm->has_value());
  EXPECT_EQ(s.last_sequence(), seq);
  ASSERT_TRUE(s.set("after", "ok")) << "the store keeps working";
}

TEST_F(KvStoreTest, OversizeValueIsInvalidArgumentAndNotLogged) {
  KvStore s = Open();
  std::string value(KvStore::kMaxValueSize + 1, 'v');
  auto r = s.set("k", std::move(value));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("value"), std::string::npos) << r.error().message();
  EXPECT_EQ(s.last_sequence(), 0u);
  EXPECT_EQ(s.get("k"), std::nullopt);
  ASSERT_TRUE(s.set("k", "small"));
}

TEST_F(KvStoreTest, LargeValueBelowLimitRoundTrips) {
  std::string value(3u << 20, '\0');
  for (std::size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>('a' + i % 26);
  {
    KvStore s = Open();
    ASSERT_TRUE(s.set("big", value));
  }
  {
    KvStore s = Open();
    ASSERT_EQ(s.get("big"), value);
    ASSERT_TRUE(s.save_to_file(snap_));
  }
  KvStore s = Load(snap_);
  EXPECT_EQ(s.get("big"), value);
}

}  // namespace
}  // namespace kvstore
