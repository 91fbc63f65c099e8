// Copyright (c) the kvstore developers.
//
// FormatPrometheus: Stats in the Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/). Every
// family has HELP and TYPE lines; counters end in _total, durations are in
// seconds and sizes in bytes, as the Prometheus naming conventions ask.
// Written by hand: the format is a few lines of text, and the C++ client
// library (prometheus-cpp) is not packaged in Debian 12.

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <string>

#include "kvstore/kvstore.h"

namespace kvstore {
namespace {

class Writer {
 public:
  void Family(const char* name, const char* type, const char* help) {
    out_ += "# HELP kvstore_";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE kvstore_";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void Sample(const std::string& name, const std::string& labels, double v) {
    out_ += "kvstore_" + name;
    if (!labels.empty()) out_ += "{" + labels + "}";
    out_ += ' ';
    out_ += Number(v);
    out_ += '\n';
  }
  void Metric(const char* name, const char* type, const char* help, double v) {
    Family(name, type, help);
    Sample(name, "", v);
  }
  void Hist(const char* name, const char* help, const Histogram& h) {
    Family(name, "histogram", help);
    uint64_t cumulative = 0;
    for (std::size_t i = 0; i < h.bounds.size() && i < h.counts.size(); ++i) {
      cumulative += h.counts[i];
      Sample(std::string(name) + "_bucket", "le=\"" + Number(h.bounds[i]) + "\"",
             static_cast<double>(cumulative));
    }
    Sample(std::string(name) + "_bucket", "le=\"+Inf\"", static_cast<double>(h.count));
    Sample(std::string(name) + "_sum", "", h.sum);
    Sample(std::string(name) + "_count", "", static_cast<double>(h.count));
  }
  std::string Take() { return std::move(out_); }

  static std::string Number(double v) {
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    if (std::isnan(v)) return "NaN";
    char buf[40];
    if (v == std::floor(v) && std::fabs(v) < 1e15) {
      std::snprintf(buf, sizeof buf, "%.0f", v);
    } else {
      std::snprintf(buf, sizeof buf, "%.9g", v);
    }
    return buf;
  }

 private:
  std::string out_;
};

std::string Escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '\\' || c == '"') {
      o += '\\';
      o += c;
    } else if (c == '\n') {
      o += "\\n";
    } else {
      o += c;
    }
  }
  return o;
}

}  // namespace

std::string FormatPrometheus(const Stats& s) {
  Writer w;
  auto d = [](uint64_t v) { return static_cast<double>(v); };
  w.Metric("keys", "gauge", "Number of keys in the store.", d(s.keys));
  w.Metric("memory_bytes", "gauge", "Approximate bytes held by the in-memory map.",
           d(s.memory_bytes));

  w.Family("operations_total", "counter", "Store operations since open, by type.");
  w.Sample("operations_total", "type=\"get\"", d(s.gets));
  w.Sample("operations_total", "type=\"set\"", d(s.sets));
  w.Sample("operations_total", "type=\"remove\"", d(s.removes));
  w.Sample("operations_total", "type=\"clear\"", d(s.clears));
  w.Sample("operations_total", "type=\"update\"", d(s.updates));
  w.Sample("operations_total", "type=\"scan\"", d(s.scans));
  w.Metric("get_hits_total", "counter", "Gets that found their key.", d(s.get_hits));
  w.Metric("get_misses_total", "counter", "Gets that did not find their key.", d(s.get_misses));

  w.Metric("wal_records_total", "counter", "WAL records appended since open.", d(s.wal_records));
  w.Metric("wal_bytes_total", "counter", "WAL bytes appended since open.", d(s.wal_bytes));
  w.Metric("wal_syncs_total", "counter", "fdatasync calls on the WAL since open.", d(s.wal_syncs));
  w.Hist("wal_sync_duration_seconds", "Latency of WAL fdatasync calls.", s.wal_sync_seconds);
  w.Hist("group_commit_records", "Records made durable by one WAL fdatasync.",
         s.group_commit_records);

  w.Metric("checkpoints_total", "counter", "Snapshots written successfully since open.",
           d(s.checkpoints));
  w.Metric("checkpoint_failures_total", "counter", "Snapshot attempts that failed since open.",
           d(s.checkpoint_failures));
  w.Metric("checkpoint_running", "gauge", "1 while a snapshot is being written.",
           s.checkpoint_running ? 1 : 0);
  w.Family("last_checkpoint_ok", "gauge",
           "1 if the last snapshot attempt succeeded (the error label says why not).");
  w.Sample("last_checkpoint_ok",
           s.last_checkpoint_ok ? "" : "error=\"" + Escape(s.last_checkpoint_error) + "\"",
           s.last_checkpoint_ok ? 1 : 0);
  w.Metric("last_checkpoint_duration_seconds", "gauge", "Duration of the last successful snapshot.",
           s.last_checkpoint_seconds);
  w.Metric("last_checkpoint_size_bytes", "gauge", "Size of the last snapshot written.",
           d(s.last_checkpoint_bytes));
  w.Metric("last_checkpoint_timestamp_seconds", "gauge",
           "Unix time of the last successful snapshot (0: none).",
           static_cast<double>(s.last_checkpoint_unix));
  w.Metric("changes_since_checkpoint", "gauge", "Writes since the last snapshot.",
           d(s.changes_since_checkpoint));
  w.Metric("wal_bytes_since_checkpoint", "gauge", "WAL bytes written since the last snapshot.",
           d(s.wal_bytes_since_checkpoint));

  w.Metric("keys_with_expiry", "gauge", "Keys that have an expiry deadline.",
           d(s.keys_with_expiry));
  w.Metric("expired_keys_total", "counter", "Expired keys reclaimed since open.",
           d(s.expired_keys));
  w.Metric("expired_stale_percent", "gauge",
           "Share of the keys with a deadline that have expired but are not yet reclaimed.",
           s.expired_stale_perc);
  w.Metric("expire_cycles_total", "counter", "Runs of the active expiry cycle.",
           d(s.expire_cycles));
  w.Metric("expire_cycle_cpu_seconds_total", "counter", "CPU time of the active expiry cycle.",
           static_cast<double>(s.expire_cycle_cpu_us) / 1e6);
  w.Hist("expire_lag_seconds", "How long after its deadline each expired key was reclaimed.",
         s.expire_lag_seconds);

  w.Metric("recovery_snapshot_keys", "gauge", "Keys loaded from the snapshot at open.",
           d(s.recovery.snapshot_keys));
  w.Metric("recovery_records_replayed", "gauge", "WAL records replayed at open.",
           d(s.recovery.records_replayed));
  w.Metric("recovery_bytes_dropped", "gauge", "Bytes of torn or damaged WAL dropped at open.",
           d(s.recovery.bytes_dropped));
  w.Metric("recovery_duration_seconds", "gauge", "Duration of the open (load and replay).",
           std::chrono::duration<double>(s.recovery.duration).count());
  return w.Take();
}

}  // namespace kvstore
