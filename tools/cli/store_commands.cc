// Copyright (c) the kvstore developers.

#include "store_commands.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <utility>

#include "common/escape.h"
#include "common/glob.h"
#include "progress.h"
#include "shard_map.h"  // the library's (src/): Clock

namespace kvstore::cli {
namespace {

// Closes the store and turns its result into the exit code.
int Close(KvStore& store, int rc) {
  auto closed = store.close();
  return closed ? rc : Fail(closed.error());
}

void WriteBytes(std::string_view bytes) { std::fwrite(bytes.data(), 1, bytes.size(), stdout); }

// "WRONGTYPE key 'h' holds a hash, not a string": get and the shell's GET on
// a key of another type.
std::string WrongType(std::string_view key, Type type) {
  return "WRONGTYPE key '" + common::EscapeBytes(key) + "' holds a " + std::string(TypeName(type)) +
         ", not a string";
}

// What scan --values prints for a key that holds an object: "<hash, 3
// fields>", "<list, 1 element>", "<set, 2 members>", "<zset, 5 members>".
std::string ObjectSummary(Type type, std::size_t size) {
  const char* noun = type == Type::kHash ? "field" : type == Type::kList ? "element" : "member";
  return "<" + std::string(TypeName(type)) + ", " + std::to_string(size) + " " + noun +
         (size == 1 ? "" : "s") + ">";
}

const char* kShellHelp =
    "commands:\n"
    "  GET key            print the value (escaped, in quotes), or (nil)\n"
    "  SET key value...   set key (the rest of the line is the value)\n"
    "  DEL key            remove key\n"
    "  SIZE               number of keys\n"
    "  CLEAR              remove every key\n"
    "  SAVE               write a snapshot now (checkpoint)\n"
    "  STATS              recovery and WAL figures\n"
    "  HELP, QUIT\n";

// One shell line; returns false on QUIT.
bool ShellLine(KvStore& store, const std::string& line) {
  std::istringstream in(line);
  std::string cmd, key;
  in >> cmd;
  for (auto& c : cmd) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto report = [](const Result<void>& r) {
    std::cout << (r ? "OK" : "(error) " + r.error().ToString()) << "\n";
  };
  if (cmd.empty()) return true;
  if (cmd == "QUIT" || cmd == "EXIT") return false;
  if (cmd == "HELP") {
    std::cout << kShellHelp;
  } else if (cmd == "GET" && in >> key) {
    auto v = store.get(key);
    const Type type = v ? Type::kString : store.type(key);
    if (type != Type::kNone && type != Type::kString) {
      std::cout << "(error) " << WrongType(key, type) << "\n";
    } else {
      std::cout << (v ? "\"" + common::EscapeBytes(*v) + "\"" : "(nil)") << "\n";
    }
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
    report(store.checkpoint());
  } else if (cmd == "STATS") {
    auto r = store.recovery_stats();
    auto s = store.stats();
    std::cout << "keys " << s.keys << "\nlast_sequence " << store.last_sequence()
              << "\nrecovery_records_replayed " << r.records_replayed << "\nrecovery_bytes_dropped "
              << r.bytes_dropped << "\nwal_records " << s.wal_records << "\nwal_syncs "
              << s.wal_syncs << "\ncheckpoints " << s.checkpoints << "\n";
  } else {
    std::cout << "(error) unknown command or missing argument; type HELP\n";
  }
  return true;
}

}  // namespace

Result<KvStore> OpenStore(const GlobalFlags& flags, bool create,
                          std::function<int64_t()> clock) {
  // open_dir creates a missing directory (not its parents); commands that
  // only read or remove must not.
  std::error_code ec;
  if (!create && !std::filesystem::is_directory(flags.dir, ec)) {
    return Error(ErrorCode::kIoError, "data directory '" + flags.dir + "' does not exist");
  }
  Options options;
  options.sync = flags.sync_mode();
  options.clock = std::move(clock);
  // One-shot commands: the library's open and checkpoint summaries (kInfo)
  // would clutter every invocation; warnings and errors still show. An
  // explicit KVSTORE_LOG_LEVEL (read by the library when this is unset) wins.
  if (std::getenv("KVSTORE_LOG_LEVEL") == nullptr) options.log_level = LogLevel::kWarn;
  // A final snapshot after every `kvstore set` would rewrite the whole store
  // per command; the WAL already holds the write. `checkpoint` does it on
  // demand, and the size/age rules still apply.
  options.checkpoint.on_close = false;
  // The library replays the WAL without reporting progress: show at least
  // that something is happening when that takes a while.
  ElapsedIndicator indicator("opening " + flags.dir);
  return KvStore::open_dir(flags.dir, options);
}

Result<std::string> ReadAll(const std::string& path) {
  std::ostringstream buf;
  if (path == "-") {
    buf << std::cin.rdbuf();
    if (std::cin.bad()) return Error(ErrorCode::kIoError, "cannot read standard input");
    return std::move(buf).str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(ErrorCode::kIoError, "cannot open '" + path + "': " + std::strerror(errno));
  }
  buf << in.rdbuf();
  if (in.bad()) return Error(ErrorCode::kIoError, "cannot read '" + path + "'");
  return std::move(buf).str();
}

int GetCommand(const GlobalFlags& flags, const std::string& key, bool no_newline) {
  auto store = OpenStore(flags, false);
  if (!store) return Fail(store.error());
  auto v = store->get(key);
  if (v) {
    WriteBytes(*v);
    if (!no_newline) WriteBytes("\n");
    return Close(*store, kExitOk);
  }
  const Type type = store->type(key);
  if (type != Type::kNone) return Close(*store, Fail(WrongType(key, type)));
  return Close(*store, kExitNo);
}

int SetCommand(const GlobalFlags& flags, const SetArgs& args) {
  if (args.has_value == !args.value_file.empty()) {
    return Fail("set needs exactly one of VALUE, '-' (standard input) or --value-file");
  }
  if (args.px < 0 || args.pxat < 0 || (args.px > 0 && args.pxat > 0)) {
    return Fail("set takes at most one of --px and --pxat, and a positive number");
  }
  std::string value = args.value;
  if (!args.value_file.empty() || value == "-") {
    auto read = ReadAll(args.value_file.empty() ? "-" : args.value_file);
    if (!read) return Fail(read.error());
    value = std::move(*read);
  }
  auto store = OpenStore(flags, true);
  if (!store) return Fail(store.error());
  Result<void> r;
  if (args.px > 0 || args.pxat > 0) {
    const int64_t now = store->now_ms();
    if (args.px > INT64_MAX - now) return Fail("--px is too large");
    r = store->set_expiring(args.key, std::move(value), args.px > 0 ? now + args.px : args.pxat);
  } else {
    r = store->set(args.key, std::move(value));  // clears any deadline, as Redis's SET
  }
  if (!r) return Fail(r.error());
  return Close(*store, kExitOk);
}

std::function<int64_t()> FrozenNow() {
  const int64_t now = Clock::SystemNowMs();
  return [now] { return now; };
}

// PTTL's answer from expire_time()'s: remaining ms, or -1 / -2 unchanged.
static int64_t RemainingMs(int64_t deadline, int64_t now) {
  return deadline < 0 ? deadline : std::max<int64_t>(deadline - now, 0);
}

int TtlCommand(const GlobalFlags& flags, const std::string& key, bool at) {
  auto store = OpenStore(flags, false, FrozenNow());
  if (!store) return Fail(store.error());
  const int64_t deadline = store->expire_time(key);
  std::printf("%lld\n", static_cast<long long>(at ? deadline : RemainingMs(deadline, store->now_ms())));
  return Close(*store, deadline == kKeyAbsent ? kExitNo : kExitOk);
}

int DelCommand(const GlobalFlags& flags, const std::vector<std::string>& keys) {
  auto store = OpenStore(flags, false);
  if (!store) return Fail(store.error());
  std::size_t removed = 0;
  for (const std::string& key : keys) {
    auto r = store->remove(key);
    if (!r) return Fail(r.error());
    if (*r) ++removed;
  }
  std::printf("%zu\n", removed);  // as Redis's DEL: how many existed
  return Close(*store, kExitOk);
}

int SizeCommand(const GlobalFlags& flags) {
  auto store = OpenStore(flags, false);
  if (!store) return Fail(store.error());
  std::printf("%zu\n", store->size());
  return Close(*store, kExitOk);
}

int ScanCommand(const GlobalFlags& flags, const ScanArgs& args) {
  Type only = Type::kNone;  // --type: kNone lists every type
  if (!args.type.empty()) {
    for (Type t : {Type::kString, Type::kList, Type::kSet, Type::kZSet, Type::kHash}) {
      if (TypeName(t) == args.type) only = t;
    }
    if (only == Type::kNone) {
      return Fail("scan --type takes string, list, set, zset or hash, not '" + args.type + "'");
    }
  }
  // A frozen clock: a key the scan shows is still there when its TTL is read.
  auto store = OpenStore(flags, false, FrozenNow());
  if (!store) return Fail(store.error());
  // As Redis's SCAN: "*" lists every key without asking the matcher (which
  // does not match "*" against the empty key).
  const bool match_all = args.match.empty() || args.match == "*";
  std::size_t printed = 0;
  std::string page;
  struct Row {
    std::string key;    // raw
    std::string value;  // raw, with --values
    bool maybe_object;  // the value is "", as scan() gives for an object
  };
  std::vector<Row> rows;
  uint64_t cursor = 0;
  do {
    // fn runs under a shard's read lock: only collect here (it must not call
    // the store, so types and TTLs are read after), print after.
    rows.clear();
    cursor = store->scan(
        cursor, std::max<std::size_t>(args.count, 1),
        [&](std::string_view key, std::string_view value) {
          if (!match_all && !common::GlobMatch(args.match, key)) return;
          rows.push_back({std::string(key), args.values ? std::string(value) : "", value.empty()});
        });
    page.clear();
    for (const Row& row : rows) {
      if (args.limit != 0 && printed >= args.limit) break;
      // Only a key with an empty value may hold an object, and only
      // --values and --type need to know.
      Type type = Type::kString;
      std::size_t elements = 0;
      if (row.maybe_object && (args.values || only != Type::kNone)) {
        type = store->view(row.key, [&](const Object& obj) { elements = obj.size(); });
      }
      if (only != Type::kNone && type != only) continue;
      page += common::EscapeBytes(row.key);
      if (args.values) {
        page += '\t';
        page +=
            type == Type::kString ? common::EscapeBytes(row.value) : ObjectSummary(type, elements);
      }
      if (args.ttl) {
        page += "\t" + std::to_string(RemainingMs(store->expire_time(row.key), store->now_ms()));
      }
      page += '\n';
      ++printed;
    }
    WriteBytes(page);
  } while (cursor != 0 && (args.limit == 0 || printed < args.limit));
  return Close(*store, kExitOk);
}

int CheckpointCommand(const GlobalFlags& flags) {
  auto store = OpenStore(flags, true);
  if (!store) return Fail(store.error());
  if (auto r = store->checkpoint(); !r) return Fail(r.error());
  return Close(*store, kExitOk);
}

int ShellCommand(const GlobalFlags& flags) {
  auto store = OpenStore(flags, true);
  if (!store) return Fail(store.error());
  const bool tty = ::isatty(STDIN_FILENO);
  if (tty) {
    auto r = store->recovery_stats();
    std::cout << "kvstore shell on " << flags.dir << ": " << store->size() << " keys ("
              << r.records_replayed << " WAL records replayed). Type HELP.\n";
  }
  std::string line;
  while (true) {
    if (tty) std::cout << "kvstore> " << std::flush;
    if (!std::getline(std::cin, line) || !ShellLine(*store, line)) break;
  }
  std::cout << std::flush;
  return Close(*store, kExitOk);
}

}  // namespace kvstore::cli
