// Copyright (c) the kvstore developers.
//
// A data directory with automatic checkpoints, an atomic read-modify-write,
// iteration, metrics and a log callback: the API the server is built on.
//
//   ./example_data_dir [directory]   (default: ./example-data)

#include <kvstore/kvstore.h>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "./example-data";

  kvstore::Options options;
  options.sync = kvstore::SyncMode::kAlways;   // survive power loss
  options.checkpoint.wal_bytes = 1 << 20;      // snapshot every MiB of WAL
  options.log_sink = [](kvstore::LogLevel, std::string_view msg) {
    std::printf("log: %.*s\n", static_cast<int>(msg.size()), msg.data());
  };

  auto opened = kvstore::KvStore::open_dir(dir, options);
  if (!opened) {
    // kBusy: another process has the directory open.
    std::fprintf(stderr, "open failed: %s\n", opened.error().ToString().c_str());
    return 1;
  }
  kvstore::KvStore store = std::move(*opened);

  // An atomic increment (what the server's INCR does): no lost updates even
  // with many threads, and one WAL record.
  for (int i = 0; i < 3; ++i) {
    auto r = store.update({"visits"}, [](kvstore::Transaction& t) {
      auto v = t.get("visits");
      t.set("visits", std::to_string(v ? std::stoll(std::string(*v)) + 1 : 1));
    });
    if (!r) {
      std::fprintf(stderr, "update failed: %s\n", r.error().ToString().c_str());
      return 1;
    }
  }
  store.set("greeting", "hello").value();

  // Iterate in pages, as Redis's SCAN does.
  uint64_t cursor = 0;
  do {
    cursor = store.scan(cursor, 100, [](std::string_view k, std::string_view v) {
      std::printf("%.*s = %.*s\n", static_cast<int>(k.size()), k.data(),
                  static_cast<int>(v.size()), v.data());
    });
  } while (cursor != 0);

  store.checkpoint().value();  // a snapshot now (automatic ones run in the background)
  const kvstore::Stats stats = store.stats();
  std::printf("keys %llu, sets %llu, checkpoints %llu\n",
              static_cast<unsigned long long>(stats.keys),
              static_cast<unsigned long long>(stats.sets),
              static_cast<unsigned long long>(stats.checkpoints));
  std::printf("%s", kvstore::FormatPrometheus(stats).substr(0, 200).c_str());
  return store.close() ? 0 : 1;
}
