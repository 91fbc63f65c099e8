// Copyright (c) the kvstore developers.
//
// kvstore-server: parses the settings, opens the data directory, starts the
// listeners and I/O threads, then waits for SIGTERM / SIGINT / SHUTDOWN and
// stops in order: stop accepting and finish the running batches (Server::
// Stop), wait for a BGSAVE, write the final snapshot unless NOSAVE, sync the
// WAL, close the store (which releases the directory lock).

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>

#include "config.h"
#include "config_params.h"
#include "function_file.h"
#include "kvstore/kvstore.h"
#include "metrics.h"
#include "notify.h"
#include "server.h"
#include "server_state.h"
#include "service.h"

namespace kvstore::server {
namespace {

// The one place the server opens its store. Automatic checkpoints follow the
// library's defaults (Redis's save rules, plus a WAL-size rule); the final
// snapshot at close is taken explicitly by the shutdown sequence instead of
// CheckpointPolicy::on_close, because SHUTDOWN NOSAVE must be able to skip
// it and the policy cannot change after open.
// Loads the function libraries kept in dir (function_file.h). False, with
// the reason on stderr, if the file is damaged or a library no longer loads:
// starting without them would silently drop acknowledged FUNCTION LOADs.
bool LoadFunctions(const std::string& dir, LuaEngine& lua) {
  auto codes = LoadFunctionFile(dir);
  if (!codes) {
    std::cerr << "kvstore-server: " << codes.error().message() << "\n";
    return false;
  }
  for (const auto& code : *codes) {
    std::string name, error;
    if (!lua.LoadLibrary(code, false, &name, &error)) {
      std::cerr << "kvstore-server: a function library in '" << dir << "/" << kFunctionFileName
                << "' does not load: " << error << "\n";
      return false;
    }
  }
  return true;
}

// expired_to: where the active expiry cycle's "expired" events go (set once
// the server's state exists; the store is closed before it is destroyed).
Result<KvStore> OpenStore(const std::string& dir, const Config& config,
                          std::shared_ptr<std::atomic<ServerState*>> expired_to) {
  Options options;
  options.on_expired = [expired_to](std::string_view key) {
    if (ServerState* s = expired_to->load()) Notify(*s, kNotifyExpired, "expired", key);
  };
  // --sync always is the store's kAlways: the I/O loops write without
  // waiting and wait once per batch before sending its replies
  // (durability.h), sharing the store's group commit.
  options.sync = config.sync_mode();
  options.checkpoint.on_close = false;
  // "save" given at start replaces the default snapshot rules (checked by
  // CheckRuntimeParams before).
  for (const auto& [name, value] : config.runtime_params) {
    if (name != "save") continue;
    options.checkpoint.after_changes.clear();
    std::istringstream rules(value);
    int64_t seconds = 0;
    uint64_t changes = 0;
    while (rules >> seconds >> changes) {
      options.checkpoint.after_changes.emplace_back(std::chrono::seconds(seconds), changes);
    }
  }
  options.log_sink = service::LibraryLogSink();
  options.log_level = spdlog::get_level() == spdlog::level::off
                          ? LogLevel::kOff
                          : static_cast<LogLevel>(static_cast<int>(spdlog::get_level()));
  return KvStore::open_dir(dir, options);
}

// The runtime parameters given at start, checked as CONFIG SET checks them.
bool CheckRuntimeParams(const Config& config) {
  for (const auto& [name, value] : config.runtime_params) {
    const ConfigParam* p = FindConfigParam(name);
    if (const std::string why = p == nullptr ? "unknown" : ValidateConfigValue(*p, value);
        !why.empty()) {
      std::cerr << "kvstore-server: --" << name << " '" << value << "': " << why << "\n";
      return false;
    }
  }
  return true;
}

std::string StoreOpenError(const std::string& dir, const Error& e) {
  if (e.code() == ErrorCode::kBusy) {
    return "data directory '" + dir +
           "' is locked by another process (another kvstore-server or kvstore on it?): " +
           e.message();
  }
  return "cannot open data directory '" + dir + "': " + e.message();
}

// Final snapshot (unless NOSAVE or nothing changed since the last one), then
// sync and close. Returns the process exit code.
int CloseStore(ServerState& state, KvStore& store, ShutdownMode mode) {
  int rc = 0;
  state.JoinBgsave();
  const bool changed = store.stats().changes_since_checkpoint > 0;
  if (mode == ShutdownMode::kSave || (mode == ShutdownMode::kDefault && changed)) {
    spdlog::info("writing the final snapshot");
    if (auto r = store.checkpoint(); !r) {
      // The WAL still holds every acknowledged write: nothing is lost.
      spdlog::error("final snapshot failed (the WAL keeps the data): {}", r.error().message());
      rc = 1;
    }
  }
  if (auto r = store.sync(); !r) {
    spdlog::error("WAL sync failed: {}", r.error().message());
    rc = 1;
  }
  if (auto r = store.close(); !r) {
    spdlog::error("closing the store failed: {}", r.error().message());
    rc = 1;
  }
  return rc;
}

int Run(int argc, char** argv) {
  Config config;
  if (const int rc = ParseConfig(argc, argv, &config); rc >= 0) return rc;
  if (!CheckRuntimeParams(config)) return 2;
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  if (std::string error; !service::SetUpLogging(config.logfile, &error)) {
    std::cerr << "kvstore-server: " << error << "\n";
    return 1;
  }

  // Block the stop signals in every thread (the store's background threads
  // included, hence before opening it); the main thread takes them with
  // sigwait. SIGUSR1 is the SHUTDOWN command waking the main thread; SIGHUP
  // reopens the log file.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGUSR1);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::error_code ec;
  std::filesystem::create_directories(config.dir, ec);
  if (ec) {
    std::cerr << "kvstore-server: cannot create data directory '" << config.dir
              << "': " << ec.message() << "\n";
    return 1;
  }
  auto expired_to = std::make_shared<std::atomic<ServerState*>>(nullptr);
  auto opened = OpenStore(config.dir, config, expired_to);
  if (!opened) {
    std::cerr << "kvstore-server: " << StoreOpenError(config.dir, opened.error()) << "\n";
    return 1;
  }
  KvStore store = std::move(opened).value();

  ServerState state(config, &store);
  expired_to->store(&state);
  state.maxclients.store(config.maxclients);
  state.timeout.store(config.timeout);
  state.multi_max_queued_bytes.store(config.multi_max_queued_bytes);
  for (const auto& [name, value] : config.runtime_params) {
    (void)FindConfigParam(name)->apply(state, value);  // checked above; none of these fails
  }
  state.requirepass = config.requirepass;
  state.auth_required.store(!config.requirepass.empty());
  state.start_ms = NowMs();
  state.start_unix = state.start_ms / 1000;
  state.wake_main = [] { kill(getpid(), SIGUSR1); };
  if (!LoadFunctions(config.dir, state.lua)) {
    (void)store.close();
    return 1;
  }

  Server server(&state);
  std::string error;
  if (!server.Listen(&error)) {
    std::cerr << "kvstore-server: " << error << "\n";
    (void)store.close();
    return 1;
  }
  MetricsServer metrics(&state);
  if (config.metrics_port != 0 && !metrics.Start(&error)) {
    std::cerr << "kvstore-server: " << error << "\n";
    (void)store.close();
    return 1;
  }
  server.Start();
  std::string binds;
  for (const auto& b : config.bind) binds += (binds.empty() ? "" : ",") + b;
  spdlog::info(
      "kvstore-server {} ready: port {} on {}, dir {}, sync {}, {} I/O threads, "
      "{} keys loaded{}",
      KVSTORE_SERVER_VERSION, config.port, binds, config.dir, config.sync, config.threads,
      store.size(),
      config.metrics_port ? ", metrics on :" + std::to_string(config.metrics_port) : "");
  service::NotifyReady("ready: " + std::to_string(store.size()) + " keys, port " +
                       std::to_string(config.port));

  int sig = 0;
  while (true) {
    sigwait(&stop_signals, &sig);
    if (sig == SIGHUP) {
      service::ReopenLog();
      continue;
    }
    if (sig != SIGUSR1 || state.shutdown_requested.load()) break;
  }
  service::NotifyStopping();
  const ShutdownMode mode = state.shutdown_mode.load();
  spdlog::info(
      "shutting down ({}{})",
      sig == SIGUSR1 ? "SHUTDOWN command" : (sig == SIGINT ? "SIGINT" : "SIGTERM"),
      mode == ShutdownMode::kNoSave ? ", NOSAVE" : (mode == ShutdownMode::kSave ? ", SAVE" : ""));
  server.Stop();
  metrics.Stop();
  const int rc = CloseStore(state, store, mode);
  spdlog::info(rc == 0 ? "bye" : "stopped with errors");
  return rc;
}

}  // namespace
}  // namespace kvstore::server

int main(int argc, char** argv) { return kvstore::server::Run(argc, argv); }
