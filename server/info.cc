// Copyright (c) the kvstore developers.
//
// INFO [section ...]: Redis 7's "# Section" / "field:value" text. The
// sections, in Redis's order: server, clients, memory, persistence, stats,
// replication, cpu, modules, commandstats, errorstats, cluster, keyspace.
// Selection follows Redis 7: no argument or "default" = every section but
// commandstats; "all" and "everything" = every section; section names
// (any case) add theirs, and several arguments add up, each section printed
// once in table order; unknown names select nothing. Fields a kvstore
// server has no counterpart for carry Redis's value for a standalone server
// without that feature (0, "ok", -1), so clients that parse them keep
// working; docs/SERVER.md lists what each field means here.

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
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

void Field(std::string* out, const char* name, int64_t value) {
  Field(out, name, std::to_string(value));
}

// Several fields at their fixed value, "name:value" each.
void Fixed(std::string* out, std::initializer_list<std::pair<const char*, const char*>> fields) {
  for (const auto& [name, value] : fields) Field(out, name, value);
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

std::string Seconds(const timeval& tv) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(tv.tv_sec),
                static_cast<long>(tv.tv_usec));
  return buf;
}

std::string Executable() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf));
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

void ServerSection(ServerState& s, std::string* out) {
  utsname u{};
  uname(&u);
  const int64_t now_ms = NowMs();
  Field(out, "redis_version", kRedisVersion);
  Fixed(out, {{"redis_git_sha1", "00000000"}, {"redis_git_dirty", "0"}});
  Field(out, "redis_build_id", "kvstore");
  Field(out, "kvstore_version", KVSTORE_SERVER_VERSION);
  Field(out, "redis_mode", "standalone");
  Field(out, "os", std::string(u.sysname) + " " + u.release + " " + u.machine);
  Fixed(out, {{"arch_bits", "64"},
              {"monotonic_clock", "POSIX clock_gettime"},
              {"multiplexing_api", "epoll"},
              {"atomicvar_api", "c11-builtin"}});
#if defined(__clang__)
  Field(out, "gcc_version", "0.0.0");
#else
  Field(out, "gcc_version",
        std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
            std::to_string(__GNUC_PATCHLEVEL__));
#endif
  Field(out, "process_id", static_cast<uint64_t>(getpid()));
  Field(out, "process_supervised", "no");
  Field(out, "run_id", s.run_id);
  Field(out, "tcp_port", static_cast<uint64_t>(s.config.port));
  Field(out, "server_time_usec", static_cast<uint64_t>(now_ms) * 1000);
  Field(out, "uptime_in_seconds", static_cast<uint64_t>((now_ms - s.start_ms) / 1000));
  Field(out, "uptime_in_days", static_cast<uint64_t>((now_ms - s.start_ms) / 86400000));
  Field(out, "hz", s.hz.load());
  Field(out, "configured_hz", s.hz.load());
  // Redis's LRU clock: seconds, 24 bits.
  Field(out, "lru_clock", static_cast<uint64_t>(now_ms / 1000) & ((1u << 24) - 1));
  Field(out, "executable", Executable());
  Field(out, "config_file", s.config.config_file);
  Field(out, "io_threads_active", s.config.threads > 1 ? "1" : "0");
  Field(out, "io_threads", static_cast<uint64_t>(s.config.threads));
}

void ClientsSection(ServerState& s, std::string* out) {
  Field(out, "connected_clients", s.connected_clients.load());
  Field(out, "cluster_connections", "0");
  Field(out, "maxclients", s.maxclients.load());
  Fixed(out, {{"client_recent_max_input_buffer", "0"}, {"client_recent_max_output_buffer", "0"}});
  Field(out, "blocked_clients", static_cast<uint64_t>(s.blocking.blocked_clients()));
  Fixed(out, {{"tracking_clients", "0"}, {"clients_in_timeout_table", "0"}});
  Field(out, "total_watched_keys", static_cast<uint64_t>(s.watches.watched_keys()));
}

void MemorySection(ServerState& s, const Stats& st, std::string* out) {
  const uint64_t rss = RssBytes();
  const uint64_t used = st.memory_bytes;
  const uint64_t peak = SampleMemoryPeak(s, used);
  const uint64_t total =
      static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  const uint64_t maxmemory = s.maxmemory.load();
  char ratio[32];
  std::snprintf(ratio, sizeof(ratio), "%.2f", used == 0 ? 0.0 : static_cast<double>(rss) / used);
  std::string policy;
  {
    std::lock_guard<std::mutex> lock(s.settings_mu);
    policy = s.maxmemory_policy;
  }
  Field(out, "used_memory", used);
  Field(out, "used_memory_human", Human(used));
  Field(out, "used_memory_rss", rss);
  Field(out, "used_memory_rss_human", Human(rss));
  Field(out, "used_memory_peak", peak);
  Field(out, "used_memory_peak_human", Human(peak));
  // EVAL's interpreter and script cache (lua_engine.h).
  const uint64_t lua = s.lua.MemoryBytes(), scripts = s.lua.BodyBytes();
  Field(out, "used_memory_lua", lua);
  Field(out, "used_memory_lua_human", Human(lua));
  Field(out, "used_memory_scripts_eval", scripts);
  Field(out, "number_of_cached_scripts", static_cast<uint64_t>(s.lua.Count()));
  Field(out, "used_memory_scripts", scripts);
  Field(out, "used_memory_scripts_human", Human(scripts));
  Field(out, "used_memory_dataset", used);
  Field(out, "total_system_memory", total);
  Field(out, "total_system_memory_human", Human(total));
  Field(out, "maxmemory", maxmemory);
  Field(out, "maxmemory_human", Human(maxmemory));
  Field(out, "maxmemory_policy", policy);
  Field(out, "mem_fragmentation_ratio", ratio);
  Field(out, "mem_allocator", "libc");
  Fixed(out, {{"lazyfree_pending_objects", "0"}, {"lazyfreed_objects", "0"}});
}

void PersistenceSection(ServerState& s, const Stats& st, std::string* out) {
  const bool wal_ok = st.last_checkpoint_ok;
  Fixed(out, {{"loading", "0"}, {"async_loading", "0"}});
  Field(out, "rdb_changes_since_last_save", st.changes_since_checkpoint);
  Field(out, "rdb_bgsave_in_progress", st.checkpoint_running ? "1" : "0");
  Field(
      out, "rdb_last_save_time",
      static_cast<uint64_t>(st.last_checkpoint_unix > 0 ? st.last_checkpoint_unix : s.start_unix));
  Field(out, "rdb_last_bgsave_status", wal_ok ? "ok" : "err");
  // Redis prints whole seconds, -1 before the first save.
  Field(out, "rdb_last_bgsave_time_sec",
        st.checkpoints == 0 ? int64_t{-1}
                            : static_cast<int64_t>(st.last_checkpoint_seconds + 0.5));
  Field(out, "rdb_current_bgsave_time_sec", "-1");
  Field(out, "rdb_saves", st.checkpoints);
  Field(out, "rdb_last_save_bytes", st.last_checkpoint_bytes);
  // The WAL plays the AOF's part: always on; a rewrite is a checkpoint.
  Field(out, "aof_enabled", "1");
  Fixed(out, {{"aof_rewrite_in_progress", "0"},
              {"aof_rewrite_scheduled", "0"},
              {"aof_last_rewrite_time_sec", "-1"},
              {"aof_current_rewrite_time_sec", "-1"},
              {"aof_last_bgrewrite_status", "ok"},
              {"aof_rewrites", "0"}});
  Field(out, "aof_last_write_status", "ok");
  Field(out, "aof_current_size", st.wal_bytes_since_checkpoint);
  Field(out, "aof_fsync", SyncModeName(s.store->sync_mode()));
  Field(out, "wal_records", st.wal_records);
  Field(out, "wal_bytes", st.wal_bytes);
  Field(out, "wal_syncs", st.wal_syncs);
  // With appendfsync always a reply goes out only once durable_sequence
  // covers its write; the gap between the two is what a power loss would cost.
  Field(out, "wal_last_sequence", s.store->last_sequence());
  Field(out, "wal_durable_sequence", s.store->durable_sequence());
  Field(out, "wal_bytes_since_last_save", st.wal_bytes_since_checkpoint);
}

void StatsSection(ServerState& s, const Stats& st, const CommandTotals& t, std::string* out) {
  uint64_t in = 0, outb = 0;
  for (const auto& ts : s.thread_stats) {
    in += ts->net_input_bytes.Get();
    outb += ts->net_output_bytes.Get();
  }
  Field(out, "total_connections_received", s.total_connections.load());
  Field(out, "total_commands_processed", t.commands);
  Field(out, "instantaneous_ops_per_sec", s.ops_per_sec.load());
  Field(out, "total_net_input_bytes", in);
  Field(out, "total_net_output_bytes", outb);
  Field(out, "rejected_connections", s.rejected_connections.load());
  Fixed(out, {{"sync_full", "0"}, {"sync_partial_ok", "0"}, {"sync_partial_err", "0"}});
  // Expiry, by Redis's names (the store's active cycle never stops early on
  // its time cap: it resumes where it left off on its next run).
  Field(out, "expired_keys", st.expired_keys);
  char stale[32];
  std::snprintf(stale, sizeof(stale), "%.2f", st.expired_stale_perc);
  Field(out, "expired_stale_perc", stale);
  Field(out, "expired_time_cap_reached_count", "0");
  Field(out, "expire_cycle_cpu_milliseconds", st.expire_cycle_cpu_us / 1000);
  Field(out, "evicted_keys", "0");
  Field(out, "keyspace_hits", st.get_hits);
  Field(out, "keyspace_misses", st.get_misses);
  Field(out, "pubsub_channels", s.pubsub.Size(PubSubKind::kChannel));
  Field(out, "pubsub_patterns", s.pubsub.Size(PubSubKind::kPattern));
  Field(out, "pubsubshard_channels", s.pubsub.Size(PubSubKind::kShard));
  Fixed(out, {{"latest_fork_usec", "0"},
              {"total_forks", "0"},
              {"unexpected_error_replies", "0"}});
  Field(out, "total_error_replies", t.error_replies);
  Field(out, "total_error_replies_protocol", s.protocol_errors.load());
}

void ReplicationSection(ServerState& s, std::string* out) {
  Field(out, "role", "master");
  Field(out, "connected_slaves", "0");
  Field(out, "master_failover_state", "no-failover");
  Field(out, "master_replid", s.replid);
  Field(out, "master_replid2", std::string(40, '0'));
  // Every logged write takes one sequence number: the offset a replica
  // would have to reach.
  Field(out, "master_repl_offset", s.store->last_sequence());
  Fixed(out, {{"second_repl_offset", "-1"},
              {"repl_backlog_active", "0"},
              {"repl_backlog_size", "1048576"},
              {"repl_backlog_first_byte_offset", "0"},
              {"repl_backlog_histlen", "0"}});
}

// Redis's main thread is the one that runs commands; here every I/O thread
// runs them, and *_main_thread is the thread answering this INFO.
void CpuSection(std::string* out) {
  rusage self{}, children{}, thread{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  getrusage(RUSAGE_THREAD, &thread);
  Field(out, "used_cpu_sys", Seconds(self.ru_stime));
  Field(out, "used_cpu_user", Seconds(self.ru_utime));
  Field(out, "used_cpu_sys_children", Seconds(children.ru_stime));
  Field(out, "used_cpu_user_children", Seconds(children.ru_utime));
  Field(out, "used_cpu_sys_main_thread", Seconds(thread.ru_stime));
  Field(out, "used_cpu_user_main_thread", Seconds(thread.ru_utime));
}

void CommandstatsSection(const CommandTotals& t, std::string* out) {
  for (std::size_t i = 0; i < StatSlotCount(); ++i) {
    if (t.calls[i] == 0 && t.rejected[i] == 0) continue;
    char line[200];
    std::snprintf(line, sizeof(line),
                  "cmdstat_%s:calls=%" PRIu64 ",usec=%" PRIu64
                  ",usec_per_call=%.2f,rejected_calls=%" PRIu64 ",failed_calls=%" PRIu64 "\r\n",
                  FullName(StatSlotSpec(i)).c_str(), t.calls[i], t.usec[i],
                  t.calls[i] == 0 ? 0.0
                                  : static_cast<double>(t.usec[i]) / static_cast<double>(t.calls[i]),
                  t.rejected[i], t.failed[i]);
    out->append(line);
  }
}

void ErrorstatsSection(const CommandTotals& t, std::string* out) {
  const std::size_t n = ErrorCodeCount();
  for (std::size_t i = 0; i < n; ++i) {
    if (t.errors[i] == 0) continue;
    out->append("errorstat_");
    out->append(ErrorCodeName(i));
    out->append(":count=" + std::to_string(t.errors[i]) + "\r\n");
  }
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

enum Section {
  kServer,
  kClients,
  kMemory,
  kPersistence,
  kStats,
  kReplication,
  kCpu,
  kModules,
  kCommandstats,
  kErrorstats,
  kCluster,
  kKeyspace,
  kSectionCount
};

constexpr const char* kSectionNames[kSectionCount] = {
    "Server", "Clients", "Memory",       "Persistence", "Stats",   "Replication",
    "CPU",    "Modules", "Commandstats", "Errorstats",  "Cluster", "Keyspace"};

}  // namespace

uint64_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages = 0, rss = 0;
  statm >> pages >> rss;
  return rss * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

uint64_t SampleMemoryPeak(ServerState& s, uint64_t used) {
  uint64_t peak = s.used_memory_peak.load();
  while (used > peak && !s.used_memory_peak.compare_exchange_weak(peak, used)) {
  }
  return std::max(peak, used);
}

void InfoCommand(CommandContext& ctx) {
  bool want[kSectionCount] = {};
  auto select_default = [&] {
    for (int i = 0; i < kSectionCount; ++i) want[i] = want[i] || i != kCommandstats;
  };
  if (ctx.argv.size() == 1) select_default();
  for (std::size_t a = 1; a < ctx.argv.size(); ++a) {
    const std::string_view arg = ctx.argv[a];
    if (EqualsIgnoreCase(arg, "all") || EqualsIgnoreCase(arg, "everything")) {
      for (bool& w : want) w = true;
    } else if (EqualsIgnoreCase(arg, "default")) {
      select_default();
    } else {
      for (int i = 0; i < kSectionCount; ++i) {
        if (EqualsIgnoreCase(arg, kSectionNames[i])) want[i] = true;
      }
    }
  }
  ServerState& s = ctx.server;
  const Stats st = s.store->stats();
  const CommandTotals totals = s.CommandStatsSinceReset();
  std::string out;
  for (int i = 0; i < kSectionCount; ++i) {
    if (!want[i]) continue;
    if (!out.empty()) out += "\r\n";
    out += "# ";
    out += kSectionNames[i];
    out += "\r\n";
    switch (i) {
      case kServer:
        ServerSection(s, &out);
        break;
      case kClients:
        ClientsSection(s, &out);
        break;
      case kMemory:
        MemorySection(s, st, &out);
        break;
      case kPersistence:
        PersistenceSection(s, st, &out);
        break;
      case kStats:
        StatsSection(s, st, totals, &out);
        break;
      case kReplication:
        ReplicationSection(s, &out);
        break;
      case kCpu:
        CpuSection(&out);
        break;
      case kModules:
        break;  // no modules
      case kCommandstats:
        CommandstatsSection(totals, &out);
        break;
      case kErrorstats:
        ErrorstatsSection(totals, &out);
        break;
      case kCluster:
        Field(&out, "cluster_enabled", "0");
        break;
      case kKeyspace:
        KeyspaceSection(*s.store, st, &out);
        break;
    }
  }
  ctx.reply.Verbatim(out);
}

}  // namespace kvstore::server
