// Copyright (c) the kvstore developers.
//
// The CONFIG parameter table; see config_params.h. Only maxclients,
// requirepass, timeout and multi-max-queued-bytes change at runtime; the rest describe the running
// server (the store's sync mode, the listeners and the parser limits are
// fixed at start).

#include "config_params.h"

#include <limits>
#include <mutex>

#include "resp_parser.h"
#include "string_util.h"

namespace kvstore::server {

namespace {

std::string Bind(ServerState& s) {
  std::string out;
  for (const auto& b : s.config.bind) out += (out.empty() ? "" : " ") + b;
  return out;
}

// The store's default checkpoint policy, which the server uses unchanged.
std::string Save(ServerState&) {
  std::string out;
  for (const auto& [secs, changes] : CheckpointPolicy{}.after_changes) {
    if (!out.empty()) out += ' ';
    out += std::to_string(secs.count()) + " " + std::to_string(changes);
  }
  return out;
}

std::string Requirepass(ServerState& s) {
  std::lock_guard<std::mutex> lock(s.auth_mu);
  return s.requirepass;
}

void SetRequirepass(ServerState& s, std::string_view v) {
  std::lock_guard<std::mutex> lock(s.auth_mu);
  s.requirepass.assign(v);
  s.auth_required.store(!v.empty());
}

void SetMaxclients(ServerState& s, std::string_view v) {
  int64_t n = 0;
  ParseInt64(v, &n);  // validated before
  s.maxclients.store(static_cast<uint64_t>(n));
}

void SetTimeout(ServerState& s, std::string_view v) {
  int64_t n = 0;
  ParseInt64(v, &n);  // validated before
  s.timeout.store(n);
}

void SetMultiMaxQueuedBytes(ServerState& s, std::string_view v) {
  int64_t n = 0;
  ParseInt64(v, &n);  // validated before
  s.multi_max_queued_bytes.store(static_cast<uint64_t>(n));
}

constexpr int64_t kNoMin = 0, kNoMax = 0;

const ConfigParam kParams[] = {
    {"bind", nullptr, ParamType::kList, "127.0.0.1", kNoMin, kNoMax, Bind, nullptr},
    {"port", nullptr, ParamType::kInteger, "6479", 0, 65535,
     [](ServerState& s) { return std::to_string(s.config.port); }, nullptr},
    {"dir", nullptr, ParamType::kString, "./data", kNoMin, kNoMax,
     [](ServerState& s) { return s.config.dir; }, nullptr},
    // The WAL plays the append-only file's part and is always on.
    {"appendonly", nullptr, ParamType::kBool, "yes", kNoMin, kNoMax,
     [](ServerState&) { return std::string("yes"); }, nullptr},
    {"appendfsync", "sync", ParamType::kEnum, "everysec", kNoMin, kNoMax,
     [](ServerState& s) { return s.config.sync; }, nullptr},
    {"save", nullptr, ParamType::kList, "3600 1 300 100 60 10000", kNoMin, kNoMax, Save, nullptr},
    {"maxclients", nullptr, ParamType::kInteger, "10000", 1, 1 << 20,
     [](ServerState& s) { return std::to_string(s.maxclients.load()); }, SetMaxclients},
    {"requirepass", nullptr, ParamType::kString, "", kNoMin, kNoMax, Requirepass,
     SetRequirepass},
    {"timeout", nullptr, ParamType::kInteger, "0", 0, std::numeric_limits<int32_t>::max(),
     [](ServerState& s) { return std::to_string(s.timeout.load()); }, SetTimeout},
    {"multi-max-queued-bytes", nullptr, ParamType::kInteger, "67108864", 1, int64_t{1} << 62,
     [](ServerState& s) { return std::to_string(s.multi_max_queued_bytes.load()); },
     SetMultiMaxQueuedBytes},
    {"databases", nullptr, ParamType::kInteger, "1", 1, 1,
     [](ServerState&) { return std::string("1"); }, nullptr},
    {"maxmemory", nullptr, ParamType::kInteger, "0", 0, 0,
     [](ServerState&) { return std::string("0"); }, nullptr},
    {"maxmemory-policy", nullptr, ParamType::kEnum, "noeviction", kNoMin, kNoMax,
     [](ServerState&) { return std::string("noeviction"); }, nullptr},
    {"io-threads", "threads", ParamType::kInteger, "0", 0, 256,
     [](ServerState& s) { return std::to_string(s.config.threads); }, nullptr},
    {"proto-max-bulk-len", nullptr, ParamType::kInteger, "536870912", 1,
     std::numeric_limits<int64_t>::max(),
     [](ServerState& s) { return std::to_string(s.config.proto_max_bulk_len); }, nullptr},
    {"client-query-buffer-limit", nullptr, ParamType::kInteger, "1073741824", 1,
     std::numeric_limits<int64_t>::max(),
     [](ServerState& s) { return std::to_string(s.config.client_query_buffer_limit); }, nullptr},
    {"protected-mode", nullptr, ParamType::kBool, "no", kNoMin, kNoMax,
     [](ServerState&) { return std::string("no"); }, nullptr},
    {"daemonize", nullptr, ParamType::kBool, "no", kNoMin, kNoMax,
     [](ServerState&) { return std::string("no"); }, nullptr},
    {"loglevel", "log-level", ParamType::kEnum, "info", kNoMin, kNoMax,
     [](ServerState& s) { return s.config.log_level; }, nullptr},
    {"tcp-keepalive", nullptr, ParamType::kInteger, "0", 0, 0,
     [](ServerState&) { return std::string("0"); }, nullptr},
};

}  // namespace

std::span<const ConfigParam> ConfigParams() { return kParams; }

const ConfigParam* FindConfigParam(std::string_view name) {
  for (const auto& p : kParams) {
    if (EqualsIgnoreCase(name, p.name) || (p.alias != nullptr && EqualsIgnoreCase(name, p.alias))) {
      return &p;
    }
  }
  return nullptr;
}

std::string ValidateConfigValue(const ConfigParam& p, std::string_view value) {
  if (p.type == ParamType::kInteger) {
    int64_t v = 0;
    if (!ParseInt64(value, &v)) return "argument couldn't be parsed into an integer";
    if (v < p.min || v > p.max) {
      return "argument must be between " + std::to_string(p.min) + " and " +
             std::to_string(p.max) + " inclusive";
    }
  }
  return "";
}

}  // namespace kvstore::server
