// Copyright (c) the kvstore developers.
//
// Flag and config-file parsing; see config.h.
//
// The config file is redis.conf-like rather than CLI11's TOML/INI because
// people who run a Redis-protocol server already know that format: one
// "name value" per line, '#' comments, values optionally double-quoted, names
// equal to the long flags ("port 6479", "sync always"). A few redis.conf
// names are accepted as aliases (appendfsync = sync, io-threads = threads).
// The file's lines become "--name=value" arguments placed before the real
// command line, and every option keeps its last value, so the command line
// overrides the file.

#include "config.h"

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "kvstore/version.h"
#include "string_util.h"

namespace kvstore::server {

SyncMode Config::sync_mode() const {
  SyncMode mode = SyncMode::kEverySecond;
  ParseSyncMode(sync, &mode);
  return mode;
}

bool ParseSyncMode(std::string_view name, SyncMode* mode) {
  if (EqualsIgnoreCase(name, "always")) {
    *mode = SyncMode::kAlways;
  } else if (EqualsIgnoreCase(name, "everysec")) {
    *mode = SyncMode::kEverySecond;
  } else if (EqualsIgnoreCase(name, "no")) {
    *mode = SyncMode::kNever;
  } else {
    return false;
  }
  return true;
}

const char* SyncModeName(SyncMode mode) {
  switch (mode) {
    case SyncMode::kAlways:
      return "always";
    case SyncMode::kNever:
      return "no";
    case SyncMode::kEverySecond:
      break;
  }
  return "everysec";
}

namespace {

// Reads `path` into "--name=value" arguments. Returns false (with *error) on
// an unreadable file or a line without a value.
bool ReadConfigFile(const std::string& path, std::vector<std::string>* args, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot read config file '" + path + "'";
    return false;
  }
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    const auto name_end = line.find_first_of(" \t", first);
    std::string name = line.substr(first, name_end - first);
    std::string value;
    if (name_end != std::string::npos) {
      const auto v = line.find_first_not_of(" \t", name_end);
      if (v != std::string::npos) value = line.substr(v);
    }
    while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (name == "appendfsync") name = "sync";
    if (name == "io-threads") name = "threads";
    if (name == "config") {
      *error = path + ":" + std::to_string(lineno) + ": a config file cannot name another";
      return false;
    }
    if (value.empty()) {
      // CLI11 reads "--name=" as "--name" and would take the next argument
      // (the next line) as the value; an explicit empty argument is the value.
      args->push_back("--" + name);
      args->push_back("");
    } else {
      args->push_back("--" + name + "=" + value);
    }
  }
  return true;
}

// Finds --config FILE / --config=FILE in argv before CLI11 runs, because the
// file's settings must be known before the command line is applied.
std::string FindConfigArg(int argc, char** argv) {
  std::string found;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--config" && i + 1 < argc) found = argv[i + 1];
    if (a.starts_with("--config=")) found = std::string(a.substr(9));
  }
  return found;
}

// A CLI11 validator/transform for sizes like "512mb".
CLI::Validator MemorySize() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        uint64_t v = 0;
        if (!ParseMemorySize(s, &v)) return "not a size (e.g. 1024, 64kb, 512mb, 1gb): " + s;
        s = std::to_string(v);
        return "";
      },
      "SIZE");
}

}  // namespace

int ParseConfig(int argc, char** argv, Config* c) {
  CLI::App app{"kvstore-server: the kvstore key-value store over the Redis protocol (RESP2/RESP3)"};
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  std::string bind = "127.0.0.1";
  app.add_option("--bind", bind, "addresses to listen on, space- or comma-separated")
      ->capture_default_str();
  app.add_option("--port", c->port, "TCP port (6479: next to Redis's 6379, not on it)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--dir", c->dir, "data directory (created if missing)")->capture_default_str();
  app.add_option("--sync", c->sync, "WAL durability: always | everysec | no")
      ->check(CLI::IsMember({"always", "everysec", "no"}))
      ->capture_default_str();
  app.add_option("--requirepass", c->requirepass, "password clients must AUTH with");
  app.add_option("--threads", c->threads, "I/O threads (0: one per core but one, at least 1)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  app.add_option("--maxclients", c->maxclients, "maximum simultaneous clients")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 20))
      ->capture_default_str();
  app.add_option("--metrics-port", c->metrics_port, "HTTP port for GET /metrics (0: off)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--metrics-bind", c->metrics_bind, "address of the metrics endpoint")
      ->capture_default_str();
  app.add_option("--config", c->config_file,
                 "config file of 'name value' lines (see docs/SERVER.md)");
  app.add_option("--proto-max-bulk-len", c->proto_max_bulk_len, "largest argument accepted")
      ->transform(MemorySize())
      ->capture_default_str();
  app.add_option("--max-multibulk-len", c->max_multibulk_len, "most arguments in one command")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 31))
      ->capture_default_str();
  app.add_option("--client-query-buffer-limit", c->client_query_buffer_limit,
                 "most unparsed bytes buffered per client")
      ->transform(MemorySize())
      ->capture_default_str();
  app.add_option("--multi-max-queued-bytes", c->multi_max_queued_bytes,
                 "most bytes of commands one client may queue between MULTI and EXEC")
      ->transform(MemorySize())
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 62))
      ->capture_default_str();
  app.add_option("--timeout", c->timeout, "close clients idle this many seconds (0: never)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 31))
      ->capture_default_str();
  app.add_option("--log-level", c->log_level, "trace|debug|info|warn|error|critical|off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  app.add_option("--logfile", c->logfile,
                 "append the log to this file, reopened on SIGHUP (default: standard error)");
  app.set_version_flag("--version", "kvstore-server " KVSTORE_VERSION_STRING);
  // Runtime parameters without a field of their own: kept as text, checked
  // and applied through the CONFIG table (docs/SERVER.md lists them).
  static const std::pair<const char*, const char*> kRuntimeParams[] = {
      {"save", "snapshot rules: \"<seconds> <changes> ...\" (\"\": none)"},
      {"hz", "background task frequency reported by INFO (1-500)"},
      {"busy-poll-us",
       "microseconds a busy I/O thread polls for requests before it sleeps (0: never)"},
      {"maxmemory", "memory limit reported by INFO (not enforced)"},
      {"maxmemory-policy", "eviction policy reported by INFO (nothing is evicted)"},
      {"slowlog-log-slower-than", "SLOWLOG threshold in microseconds (-1: off)"},
      {"slowlog-max-len", "SLOWLOG entries kept"},
      {"notify-keyspace-events", "keyspace notifications to publish (e.g. Ex, g, A)"},
      {"client-output-buffer-limit",
       "\"<class> <hard> <soft> <seconds> ...\": subscribers past the pubsub class's limit are "
       "disconnected"},
  };
  std::map<std::string, std::string> runtime_values;
  std::vector<std::pair<std::string, CLI::Option*>> runtime_options;
  for (const auto& [name, help] : kRuntimeParams) {
    runtime_options.emplace_back(name,
                                 app.add_option(std::string("--") + name, runtime_values[name], help));
  }

  std::vector<std::string> args;
  const std::string config_file = FindConfigArg(argc, argv);
  if (!config_file.empty()) {
    std::string error;
    if (!ReadConfigFile(config_file, &args, &error)) {
      std::cerr << "kvstore-server: " << error << "\n";
      return 2;
    }
  }
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  // CLI11 takes arguments in reverse order when given a vector.
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  for (const auto& [name, option] : runtime_options) {
    if (option->count() > 0) c->runtime_params.emplace_back(name, runtime_values[name]);
  }
  c->bind.clear();
  std::string cur;
  for (char ch : bind + " ") {
    if (ch == ' ' || ch == ',') {
      if (!cur.empty()) c->bind.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(ch);
    }
  }
  if (c->bind.empty()) c->bind.push_back("127.0.0.1");
  if (c->threads == 0) c->threads = DefaultIoThreads(std::thread::hardware_concurrency());
  return -1;
}

int DefaultIoThreads(unsigned cores) { return static_cast<int>(cores > 2 ? cores - 1 : 1); }

}  // namespace kvstore::server
