// Copyright (c) the kvstore developers.
//
// kvstore: a command-line tool for a data folder, without a server.
//
// The folder holds `kvstore.wal` and `snapshot.json`. Each command opens the
// store (loading the snapshot if present), acts, and closes it (which syncs).
// `shell` reads commands from standard input, one per line.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "kvstore/kvstore.h"

namespace {

struct Paths {
  std::string dir = "./data";
  std::string wal() const { return dir + "/kvstore.wal"; }
  std::string snapshot() const { return dir + "/snapshot.json"; }
};

kvstore::SyncMode ParseSync(const std::string& s) {
  if (s == "always") return kvstore::SyncMode::kAlways;
  if (s == "no") return kvstore::SyncMode::kNever;
  return kvstore::SyncMode::kEverySecond;
}

// Opens the data folder: snapshot + WAL if a snapshot exists, else the WAL.
kvstore::Result<kvstore::KvStore> OpenFolder(const Paths& p, const kvstore::Options& o) {
  if (::access(p.dir.c_str(), F_OK) != 0) {
    return kvstore::Error(kvstore::ErrorCode::kIoError,
                          "data folder '" + p.dir + "' does not exist (create it first)");
  }
  if (::access(p.snapshot().c_str(), F_OK) == 0) {
    return kvstore::KvStore::load_from_file(p.snapshot(), p.wal(), o);
  }
  return kvstore::KvStore::open(p.wal(), o);
}

int Fail(const kvstore::Error& e) {
  std::fprintf(stderr, "kvstore: %s\n", e.ToString().c_str());
  return 1;
}

const char* kShellHelp =
    "commands:\n"
    "  GET key            print the value, or (nil)\n"
    "  SET key value...   set key (the rest of the line is the value)\n"
    "  DEL key            remove key\n"
    "  SIZE               number of keys\n"
    "  CLEAR              remove every key\n"
    "  SAVE               write snapshot.json and checkpoint the WAL\n"
    "  STATS              recovery and WAL figures\n"
    "  HELP, QUIT\n";

// One shell line; returns false on QUIT.
bool ShellLine(kvstore::KvStore& store, const Paths& p, const std::string& line) {
  std::istringstream in(line);
  std::string cmd, key;
  in >> cmd;
  for (auto& c : cmd) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto report = [](const kvstore::Result<void>& r) {
    std::cout << (r ? "OK" : "(error) " + r.error().ToString()) << "\n";
  };
  if (cmd.empty()) return true;
  if (cmd == "QUIT" || cmd == "EXIT") return false;
  if (cmd == "HELP") {
    std::cout << kShellHelp;
  } else if (cmd == "GET" && in >> key) {
    auto v = store.get(key);
    std::cout << (v ? "\"" + *v + "\"" : "(nil)") << "\n";
  } else if (cmd == "SET" && in >> key) {
    std::string value;
    std::getline(in >> std::ws, value);
    report(store.set(key, value));
  } else if (cmd == "DEL" && in >> key) {
    auto r = store.remove(key);
    std::cout << (!r ? "(error) " + r.error().ToString() : (*r ? "1" : "0")) << "\n";
  } else if (cmd == "SIZE") {
    std::cout << store.size() << "\n";
  } else if (cmd == "CLEAR") {
    report(store.clear());
  } else if (cmd == "SAVE") {
    report(store.save_to_file(p.snapshot()));
  } else if (cmd == "STATS") {
    auto r = store.recovery_stats();
    auto s = store.stats();
    std::cout << "keys " << s.keys << "\nlast_sequence " << store.last_sequence()
              << "\nrecovery_records_replayed " << r.records_replayed
              << "\nrecovery_bytes_dropped " << r.bytes_dropped << "\nwal_records " << s.wal_records
              << "\nwal_syncs " << s.wal_syncs << "\n";
  } else {
    std::cout << "(error) unknown command or missing argument; type HELP\n";
  }
  return true;
}

int Shell(const Paths& p, const kvstore::Options& o) {
  auto store = OpenFolder(p, o);
  if (!store) return Fail(store.error());
  const bool tty = ::isatty(STDIN_FILENO);
  if (tty) {
    auto r = store->recovery_stats();
    std::cout << "kvstore shell on " << p.dir << ": " << store->size() << " keys ("
              << r.records_replayed << " WAL records replayed). Type HELP.\n";
  }
  std::string line;
  while (true) {
    if (tty) std::cout << "kvstore> " << std::flush;
    if (!std::getline(std::cin, line) || !ShellLine(*store, p, line)) break;
  }
  auto closed = store->close();
  return closed ? 0 : Fail(closed.error());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kvstore: inspect and edit a kvstore data folder (kvstore.wal + snapshot.json)"};
  app.require_subcommand(1);
  Paths paths;
  std::string sync = "everysec";
  app.add_option("-d,--dir", paths.dir, "data folder")->capture_default_str();
  app.add_option("--sync", sync, "WAL sync mode")
      ->check(CLI::IsMember({"always", "everysec", "no"}))
      ->capture_default_str();

  std::string key, value;
  auto* get = app.add_subcommand("get", "print the value of a key (exit 1 if absent)");
  get->add_option("key", key)->required();
  auto* set = app.add_subcommand("set", "set a key");
  set->add_option("key", key)->required();
  set->add_option("value", value)->required();
  auto* del = app.add_subcommand("del", "remove a key (prints 1 if it existed, else 0)");
  del->add_option("key", key)->required();
  auto* size = app.add_subcommand("size", "print the number of keys");
  auto* checkpoint = app.add_subcommand("checkpoint", "write snapshot.json and trim the WAL");
  auto* shell = app.add_subcommand("shell", "interactive commands on standard input");
  CLI11_PARSE(app, argc, argv);

  kvstore::Options options;
  options.sync = ParseSync(sync);
  options.log_level = kvstore::LogLevel::kWarn;  // quiet unless something is wrong
  if (*shell) return Shell(paths, options);

  auto store = OpenFolder(paths, options);
  if (!store) return Fail(store.error());
  int rc = 0;
  if (*get) {
    auto v = store->get(key);
    if (v) std::cout << *v << "\n";
    rc = v ? 0 : 1;
  } else if (*set) {
    if (auto r = store->set(key, value); !r) return Fail(r.error());
  } else if (*del) {
    auto r = store->remove(key);
    if (!r) return Fail(r.error());
    std::cout << (*r ? 1 : 0) << "\n";
  } else if (*size) {
    std::cout << store->size() << "\n";
  } else if (*checkpoint) {
    if (auto r = store->save_to_file(paths.snapshot()); !r) return Fail(r.error());
  }
  auto closed = store->close();
  return closed ? rc : Fail(closed.error());
}
