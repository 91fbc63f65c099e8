// A first program: set, get, save a snapshot, load it back, share the store
// across threads (the promises it relies on: docs/CONTRACT.md).
//
//   ./example_basic [directory]   (default: the current directory)

#include <kvstore/kvstore.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : ".";
  const std::string wal = dir + "/example.wal";
  const std::string snapshot = dir + "/example.json";

  auto opened = kvstore::KvStore::open(wal);
  if (!opened) {
    std::fprintf(stderr, "open failed: %s\n", opened.error().ToString().c_str());
    return 1;
  }
  kvstore::KvStore store = std::move(*opened);

  if (auto r = store.set("key", "value"); !r) {
    std::fprintf(stderr, "set failed: %s\n", r.error().ToString().c_str());
    return 1;
  }

  // The store is safe to share between threads: no Arc needed, just a reference.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < 100; ++i) {
        (void)store.set("thread" + std::to_string(t) + ":" + std::to_string(i), "v");
      }
    });
  }
  for (auto& th : threads) th.join();

  if (auto r = store.save_to_file(snapshot); !r) {
    std::fprintf(stderr, "save failed: %s\n", r.error().ToString().c_str());
    return 1;
  }
  std::printf("saved %zu keys to %s\n", store.size(), snapshot.c_str());
  if (auto r = store.close(); !r) {
    std::fprintf(stderr, "close failed: %s\n", r.error().ToString().c_str());
    return 1;
  }

  auto loaded = kvstore::KvStore::load_from_file(snapshot, wal);
  if (!loaded) {
    std::fprintf(stderr, "load failed: %s\n", loaded.error().ToString().c_str());
    return 1;
  }
  std::printf("loaded %zu keys; key = %s\n", loaded->size(), loaded->get("key").value_or("?").c_str());
  return loaded->get("key") == "value" ? 0 : 1;
}
