// Copyright (c) the kvstore developers.
//
// INFO [section ...]: Redis's "# Section" / "field:value" text, with the
// sections a kvstore server has (server, clients, memory, persistence,
// stats, replication, keyspace, commandstats). Selection follows Redis 7:
// no argument or "default" = every section but commandstats; "all" and
// "everything" = every section; otherwise the named sections, in table order;
// unknown names select nothing.

#include <sys/utsname.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <string>

#include "command_handlers.h"
#include "string_util.h"

namespace kvstore::server {

namespace {

void Field(std::string* out, const char* name, std::string_view value) {
  out->append(name);
  out->push_back(':');
  out->append(value);
  out->append("\r\n");
}

void Field(std::string* out, const char* name, uint64_t value) {
  Field(out, name, std::to_string(value));
}

uint64_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages = 0, rss = 0;
  statm >> pages >> rss;
  return rss * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

std::string Human(uint64_t bytes) {
  char buf[32];
  if (bytes < 1024) {
    std::snprintf(buf, sizeof(buf), "%" PRIu64 "B", bytes);
  } else if (bytes < (1u << 20)) {
    std::snprintf(buf, sizeof(buf), "%.2fK", bytes / 1024.0);
  } else if (bytes < (1u << 30)) {
    std::snprintf(buf, sizeof(buf), "%.2fM", bytes / 1048576.0);
  } else {
    std::snprintf(buf, sizeof(buf), "%.2fG", bytes / 1073741824.0);
  }
  return buf;
}

void ServerSection(ServerState& s, std::string* out) {
  utsname u{};
  uname(&u);
  const int64_t now_ms = NowMs();
  Field(out, "redis_version", "7.0.0");
  Field(out, "kvstore_version", KVSTORE_SERVER_VERSION);
  Field(out, "redis_mode", "standalone");
  Field(out, "os", std::string(u.sysname) + " " + u.release + " " + u.machine);
  Field(out, "arch_bits", "64");
  Field(out, "multiplexing_api", "epoll");
  Field(out, "process_id", static_cast<uint64_t>(getpid()));
  Field(out, "tcp_port", static_cast<uint64_t>(s.config.port));
  Field(out, "server_time_usec", static_cast<uint64_t>(now_ms) * 1000);
  Field(out, "uptime_in_seconds", static_cast<uint64_t>((now_ms - s.start_ms) / 1000));
  Field(out, "uptime_in_days", static_cast<uint64_t>((now_ms - s.start_ms) / 86400000));
  Field(out, "io_threads", static_cast<uint64_t>(s.config.threads));
  Field(out, "config_file", s.config.config_file);
}

void ClientsSection(ServerState& s, std::string* out) {
  Field(out, "connected_clients", s.connected_clients.load());
  Field(out, "maxclients", s.maxclients.load());
  Field(out, "blocked_clients", "0");
}

void MemorySection(const Stats& st, std::string* out) {
  const uint64_t rss = RssBytes();
  Field(out, "used_memory", st.memory_bytes);
  Field(out, "used_memory_human", Human(st.memory_bytes));
  Field(out, "used_memory_rss", rss);
  Field(out, "used_memory_rss_human", Human(rss));
  Field(out, "maxmemory", "0");
  Field(out, "maxmemory_policy", "noeviction");
}

void PersistenceSection(ServerState& s, const Stats& st, std::string* out) {
  Field(out, "loading", "0");
  Field(out, "rdb_changes_since_last_save", st.changes_since_checkpoint);
  Field(out, "rdb_bgsave_in_progress", st.checkpoint_running ? "1" : "0");
  Field(
      out, "rdb_last_save_time",
      static_cast<uint64_t>(st.last_checkpoint_unix > 0 ? st.last_checkpoint_unix : s.start_unix));
  Field(out, "rdb_last_bgsave_status", st.last_checkpoint_ok ? "ok" : "err");
  char secs[32];
  std::snprintf(secs, sizeof(secs), "%.3f", st.last_checkpoint_seconds);
  Field(out, "rdb_last_bgsave_time_sec", secs);
  Field(out, "rdb_saves", st.checkpoints);
  Field(out, "rdb_last_save_bytes", st.last_checkpoint_bytes);
  // The WAL plays the AOF's part: always on.
  Field(out, "aof_enabled", "1");
  Field(out, "aof_fsync", s.config.sync);
  Field(out, "wal_records", st.wal_records);
  Field(out, "wal_bytes", st.wal_bytes);
  Field(out, "wal_syncs", st.wal_syncs);
  // With --sync always a reply goes out only once durable_sequence covers
  // its write; the gap between the two is what a power loss would cost.
  Field(out, "wal_last_sequence", s.store->last_sequence());
  Field(out, "wal_durable_sequence", s.store->durable_sequence());
  Field(out, "wal_bytes_since_last_save", st.wal_bytes_since_checkpoint);
}

void StatsSection(ServerState& s, const Stats& st, std::string* out) {
  const uint64_t commands = s.CommandStatsSinceReset().commands;
  uint64_t in = 0, outb = 0;
  for (const auto& t : s.thread_stats) {
    in += t->net_input_bytes.Get();
    outb += t->net_output_bytes.Get();
  }
  Field(out, "total_connections_received", s.total_connections.load());
  Field(out, "total_commands_processed", commands);
  Field(out, "total_net_input_bytes", in);
  Field(out, "total_net_output_bytes", outb);
  Field(out, "rejected_connections", s.rejected_connections.load());
  // Expiry, by Redis's names (the store's active cycle never stops early on
  // its time cap: it resumes where it left off on its next run).
  Field(out, "expired_keys", st.expired_keys);
  char stale[32];
  std::snprintf(stale, sizeof(stale), "%.2f", st.expired_stale_perc);
  Field(out, "expired_stale_perc", stale);
  Field(out, "expired_time_cap_reached_count", "0");
  Field(out, "expire_cycle_cpu_milliseconds", st.expire_cycle_cpu_us / 1000);
  Field(out, "keyspace_hits", st.get_hits);
  Field(out, "keyspace_misses", st.get_misses);
  Field(out, "total_error_replies_protocol", s.protocol_errors.load());
}

// avg_ttl is an estimate, as Redis's is: the mean remaining TTL of the keys
// with a deadline among a few random keys (0 when none was drawn).
int64_t AverageTtlMs(const KvStore& store, const Stats& st) {
  if (st.keys_with_expiry == 0) return 0;
  constexpr int kSamples = 32;
  const int64_t now = store.now_ms();
  double sum = 0;  // TTLs may be near INT64_MAX
  int n = 0;
  for (int i = 0; i < kSamples; ++i) {
    const auto key = store.random_key();
    if (!key) break;
    const int64_t deadline = store.expire_time(*key);
    if (deadline < 0) continue;
    sum += deadline > now ? static_cast<double>(deadline - now) : 0.0;
    ++n;
  }
  return n == 0 ? 0 : static_cast<int64_t>(sum / n);
}

void KeyspaceSection(const KvStore& store, const Stats& st, std::string* out) {
  if (st.keys == 0) return;
  Field(out, "db0",
        "keys=" + std::to_string(st.keys) + ",expires=" + std::to_string(st.keys_with_expiry) +
            ",avg_ttl=" + std::to_string(AverageTtlMs(store, st)));
}

void CommandstatsSection(ServerState& s, std::string* out) {
  const CommandTotals t = s.CommandStatsSinceReset();
  for (std::size_t i = 0; i < StatSlotCount(); ++i) {
    if (t.calls[i] == 0) continue;
    char line[160];
    std::snprintf(line, sizeof(line),
                  "cmdstat_%s:calls=%" PRIu64 ",usec=%" PRIu64
                  ",usec_per_call=%.2f,rejected_calls=0,failed_calls=%" PRIu64 "\r\n",
                  FullName(StatSlotSpec(i)).c_str(), t.calls[i], t.usec[i],
                  static_cast<double>(t.usec[i]) / static_cast<double>(t.calls[i]), t.failed[i]);
    out->append(line);
  }
}

}  // namespace

void InfoCommand(CommandContext& ctx) {
  static const char* const kSections[] = {"server", "clients",     "memory",   "persistence",
                                          "stats",  "replication", "keyspace", "commandstats"};
  constexpr std::size_t kCommandstats = 7;
  bool want[std::size(kSections)] = {};
  if (ctx.argv.size() == 1) {
    for (std::size_t i = 0; i < kCommandstats; ++i) want[i] = true;
  }
  for (std::size_t a = 1; a < ctx.argv.size(); ++a) {
    const std::string_view arg = ctx.argv[a];
    const bool all = EqualsIgnoreCase(arg, "all") || EqualsIgnoreCase(arg, "everything");
    for (std::size_t i = 0; i < std::size(kSections); ++i) {
      if (all || EqualsIgnoreCase(arg, kSections[i]) ||
          (EqualsIgnoreCase(arg, "default") && i != kCommandstats)) {
        want[i] = true;
      }
    }
  }
  ServerState& s = ctx.server;
  const Stats st = s.store->stats();
  std::string out;
  const char* const kTitles[] = {"Server", "Clients",     "Memory",   "Persistence",
                                 "Stats",  "Replication", "Keyspace", "Commandstats"};
  for (std::size_t i = 0; i < std::size(kSections); ++i) {
    if (!want[i]) continue;
    if (!out.empty()) out += "\r\n";
    out += "# ";
    out += kTitles[i];
    out += "\r\n";
    switch (i) {
      case 0:
        ServerSection(s, &out);
        break;
      case 1:
        ClientsSection(s, &out);
        break;
      case 2:
        MemorySection(st, &out);
        break;
      case 3:
        PersistenceSection(s, st, &out);
        break;
      case 4:
        StatsSection(s, st, &out);
        break;
      case 5:
        Field(&out, "role", "master");
        Field(&out, "connected_slaves", "0");
        break;
      case 6:
        KeyspaceSection(*s.store, st, &out);
        break;
      case 7:
        CommandstatsSection(s, &out);
        break;
    }
  }
  ctx.reply.Verbatim(out);
}

}  // namespace kvstore::server
