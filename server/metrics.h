// Copyright (c) the kvstore developers.
//
// MetricsServer: a minimal HTTP/1.0 endpoint on its own thread answering
// "GET /metrics" with the store's Prometheus text (kvstore::FormatPrometheus)
// followed by the server's own counters (kvstore_server_*). One request per
// connection, handled sequentially: it is scraped every few seconds, not
// under load, and it must never touch the I/O threads.

#ifndef KVSTORE_SERVER_METRICS_H_
#define KVSTORE_SERVER_METRICS_H_

#include <atomic>
#include <string>
#include <thread>

#include "server_state.h"

namespace kvstore::server {

class MetricsServer {
 public:
  explicit MetricsServer(ServerState* state) : state_(state) {}
  ~MetricsServer() { Stop(); }

  // Listens on --metrics-bind:--metrics-port; false with *error on failure.
  bool Start(std::string* error);
  void Stop();

  // The response body for GET /metrics.
  static std::string Render(ServerState& state);

 private:
  void Run();
  void Serve(int fd);

  ServerState* state_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_METRICS_H_
