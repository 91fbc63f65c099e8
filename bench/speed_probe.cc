// Copyright (c) the kvstore developers.
//
// speed_probe: the kvstore side of the persistence rows of bench/speed_table.sh,
// each step in a process of its own, as a user restarting a store meets it,
// plus the same data set as Redis protocol for redis-server.
//
//   speed_probe wal    DIR [--keys N]  fill DIR/kv.wal with N sets (kEverySecond), close
//   speed_probe replay DIR [--keys N]  open DIR/kv.wal afresh (replays it); wall time
//   speed_probe save   DIR [--keys N]  fill N keys, then time save_to_file(DIR/store.json)
//   speed_probe load   DIR [--keys N]  time load_from_file(DIR/store.json, DIR/kv.wal)
//   speed_probe resp       [--keys N]  print N SET commands as RESP (for redis-cli --pipe)
//
// Keys and values are those of kvstore_compare's fill (bench_util.h): key i is
// FormatKey(i, 0), its value ValuePool::Get(i). Each timed subcommand prints
// one line of key=value fields on standard output and checks that the store
// holds N keys afterwards.

#include <kvstore/kvstore.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "bench_util.h"
#include "engines.h"

namespace kvbench {
namespace {

void CheckSize(std::size_t got, std::size_t want, const char* what) {
  if (got != want) {
    throw std::runtime_error(std::string(what) + ": store holds " + std::to_string(got) +
                             " keys, expected " + std::to_string(want));
  }
}

void FillStore(kvstore::KvStore& store, std::size_t keys) {
  const ValuePool values;
  char key[kKeySize];
  for (std::size_t i = 0; i < keys; ++i) {
    FormatKey(i, 0, key);
    store.set(std::string(key, kKeySize), std::string(values.Get(i))).value();
  }
}

int Wal(const std::string& dir, std::size_t keys) {
  std::filesystem::create_directories(dir);
  kvstore::KvStore store = KvEngine::Open(dir + "/kv.wal", kvstore::SyncMode::kEverySecond);
  FillStore(store, keys);
  store.close().value();
  std::printf("wal_bytes=%ju\n",
              static_cast<uintmax_t>(std::filesystem::file_size(dir + "/kv.wal")));
  return 0;
}

int Replay(const std::string& dir, std::size_t keys) {
  const auto start = Clock::now();
  kvstore::KvStore store = KvEngine::Open(dir + "/kv.wal", kvstore::SyncMode::kEverySecond);
  const double secs = SecondsSince(start);
  CheckSize(store.size(), keys, "replay");
  const kvstore::RecoveryStats rs = store.recovery_stats();
  const double replay_secs = static_cast<double>(rs.duration.count()) / 1e6;
  std::printf("open_seconds=%.4f records=%ju records_per_s=%.0f replay_only_records_per_s=%.0f\n",
              secs, static_cast<uintmax_t>(rs.records_replayed),
              static_cast<double>(rs.records_replayed) / secs,
              static_cast<double>(rs.records_replayed) / replay_secs);
  return 0;
}

int Save(const std::string& dir, std::size_t keys) {
  std::filesystem::create_directories(dir);
  kvstore::KvStore store = KvEngine::Open(dir + "/kv.wal", kvstore::SyncMode::kEverySecond);
  FillStore(store, keys);
  const auto start = Clock::now();
  store.save_to_file(dir + "/store.json").value();
  const double secs = SecondsSince(start);
  std::printf("save_seconds=%.4f snapshot_bytes=%ju\n", secs,
              static_cast<uintmax_t>(std::filesystem::file_size(dir + "/store.json")));
  return 0;
}

int Load(const std::string& dir, std::size_t keys) {
  kvstore::Options options;
  options.sync = kvstore::SyncMode::kEverySecond;
  options.log_level = kvstore::LogLevel::kWarn;
  const auto start = Clock::now();
  kvstore::KvStore store =
      kvstore::KvStore::load_from_file(dir + "/store.json", dir + "/kv.wal", options).value();
  const double secs = SecondsSince(start);
  CheckSize(store.size(), keys, "load");
  std::printf("load_seconds=%.4f\n", secs);
  return 0;
}

int Resp(std::size_t keys) {
  const ValuePool values;
  std::string out;
  char key[kKeySize];
  for (std::size_t i = 0; i < keys; ++i) {
    FormatKey(i, 0, key);
    out += "*3\r\n$3\r\nSET\r\n$16\r\n";
    out.append(key, kKeySize);
    out += "\r\n$100\r\n";
    out += values.Get(i);
    out += "\r\n";
    if (out.size() > (1 << 20)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

int Main(int argc, char** argv) {
  std::string cmd, dir;
  std::size_t keys = 1000000;
  bool ok = argc >= 2;
  for (int i = 1; ok && i < argc; ++i) {
    if (std::strcmp(argv[i], "--keys") == 0 && i + 1 < argc) {
      keys = std::strtoull(argv[++i], nullptr, 10);
    } else if (cmd.empty()) {
      cmd = argv[i];
    } else if (dir.empty()) {
      dir = argv[i];
    } else {
      ok = false;
    }
  }
  ok = ok && keys > 0 && (cmd == "resp" ? dir.empty() : !dir.empty());
  try {
    if (ok && cmd == "wal") return Wal(dir, keys);
    if (ok && cmd == "replay") return Replay(dir, keys);
    if (ok && cmd == "save") return Save(dir, keys);
    if (ok && cmd == "load") return Load(dir, keys);
    if (ok && cmd == "resp") return Resp(keys);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "speed_probe %s: %s\n", cmd.c_str(), e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: %s wal|replay|save|load DIR [--keys N]  |  %s resp [--keys N]\n",
               argv[0], argv[0]);
  return 2;
}

}  // namespace
}  // namespace kvbench

int main(int argc, char** argv) { return kvbench::Main(argc, argv); }
