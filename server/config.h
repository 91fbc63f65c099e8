// Copyright (c) the kvstore developers.
//
// The server's settings: command-line flags (CLI11) and an optional config
// file of redis.conf-style "name value" lines using the same names as the
// long flags (see docs/SERVER.md). Flags given on the command line override
// the file.

#ifndef KVSTORE_SERVER_CONFIG_H_
#define KVSTORE_SERVER_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kvstore/kvstore.h"

namespace kvstore::server {

struct Config {
  std::vector<std::string> bind = {"127.0.0.1"};
  // 6479, not Redis's 6379, so that a kvstore-server and a Redis on the same
  // machine do not fight over the port (and a client pointed at one by
  // mistake fails loudly instead of talking to the other).
  int port = 6479;
  std::string dir = "./data";
  std::string sync = "everysec";  // always | everysec | no
  std::string requirepass;
  int threads = 0;  // 0: DefaultIoThreads(cores)
  uint64_t maxclients = 10000;
  int metrics_port = 0;  // 0: no metrics endpoint
  std::string metrics_bind = "127.0.0.1";
  std::string config_file;
  uint64_t proto_max_bulk_len = 512ull << 20;
  uint64_t max_multibulk_len = 2147483647;  // INT_MAX, as Redis 7
  uint64_t client_query_buffer_limit = 1ull << 30;
  uint64_t multi_max_queued_bytes = 64ull << 20;  // per client, between MULTI and EXEC
  int64_t timeout = 0;             // idle seconds before a client is closed; 0: never
  std::string log_level = "info";  // trace|debug|info|warn|error|critical|off
  std::string logfile;             // empty: standard error (the journal under systemd)
  // Parameters of the CONFIG table given at start (--hz 100, "save 60 1000"
  // in the file), name and value in order: main() checks and applies them
  // as CONFIG SET would (config_params.h).
  std::vector<std::pair<std::string, std::string>> runtime_params;

  SyncMode sync_mode() const;
};

// Parses argv (and the --config file it names). Returns -1 when the server
// should start, otherwise the process exit code (0 after --help, 2 after a
// usage error, with the message already printed).
int ParseConfig(int argc, char** argv, Config* out);

// The I/O threads of --threads 0: one per core but one, at least one. The
// spare core runs what is not an I/O thread (WAL syncs, checkpoints, expiry)
// and, on a small machine, the clients that share it: on 2 cores with the
// load generator beside the server, one I/O thread served every command of
// bench/server_profile.sh faster than two, and at pipeline 1 each request
// cost up to 1 us more CPU with two (docs/BENCHMARKS.md).
int DefaultIoThreads(unsigned cores);

// appendfsync's words: always | everysec | no (any case).
bool ParseSyncMode(std::string_view name, SyncMode* mode);
const char* SyncModeName(SyncMode mode);

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_CONFIG_H_
