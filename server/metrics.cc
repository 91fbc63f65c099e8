// Copyright (c) the kvstore developers.
//
// See metrics.h.

#include "metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "command.h"

namespace kvstore::server {

namespace {

void Counter(std::string* out, const char* name, const char* help, const char* type, uint64_t v) {
  *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
          name + " " + std::to_string(v) + "\n";
}

}  // namespace

std::string MetricsServer::Render(ServerState& s) {
  std::string out = FormatPrometheus(s.store->stats());
  uint64_t commands = 0;
  for (const auto& t : s.thread_stats) commands += t->commands.Get();
  Counter(&out, "kvstore_server_connected_clients", "Clients connected now.", "gauge",
          s.connected_clients.load());
  Counter(&out, "kvstore_server_connections_total", "Connections accepted since start.", "counter",
          s.total_connections.load());
  Counter(&out, "kvstore_server_rejected_connections_total",
          "Connections refused because maxclients was reached.", "counter",
          s.rejected_connections.load());
  Counter(&out, "kvstore_server_protocol_errors_total", "Clients closed for a protocol error.",
          "counter", s.protocol_errors.load());
  Counter(&out, "kvstore_server_commands_total", "Commands executed since start.", "counter",
          commands);
  out +=
      "# HELP kvstore_server_command_calls_total Calls per command since start.\n"
      "# TYPE kvstore_server_command_calls_total counter\n";
  for (std::size_t i = 0; i < StatSlotCount(); ++i) {
    uint64_t calls = 0;
    for (const auto& t : s.thread_stats) calls += t->calls[i].Get();
    if (calls == 0) continue;
    out += std::string("kvstore_server_command_calls_total{command=\"") + FullName(StatSlotSpec(i)) + "\"} " +
           std::to_string(calls) + "\n";
  }
  return out;
}

bool MetricsServer::Start(std::string* error) {
  const Config& c = state_->config;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(c.metrics_port));
  if (inet_pton(AF_INET, c.metrics_bind.c_str(), &sa.sin_addr) != 1) {
    *error = "--metrics-bind must be an IPv4 address: " + c.metrics_bind;
    return false;
  }
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  if (fd_ >= 0) setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 ||
      listen(fd_, 16) != 0) {
    *error = "cannot listen on metrics port " + c.metrics_bind + ":" +
             std::to_string(c.metrics_port) + ": " + std::strerror(errno);
    return false;
  }
  thread_ = std::thread([this] { Run(); });
  return true;
}

void MetricsServer::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

void MetricsServer::Run() {
  while (!stop_.load()) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;  // wake up to see stop_
    const int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    Serve(c);
    close(c);
  }
}

void MetricsServer::Serve(int fd) {
  // A scraper sends its request at once; do not let a silent peer hold the
  // (single) metrics thread for long.
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  std::string req;
  char buf[1024];
  while (req.find("\r\n\r\n") == std::string::npos && req.size() < 8192) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    req.append(buf, static_cast<std::size_t>(n));
  }
  std::string status = "200 OK", body, type = "text/plain; version=0.0.4; charset=utf-8";
  if (req.starts_with("GET /metrics ") || req.starts_with("GET /metrics?")) {
    body = Render(*state_);
  } else if (req.starts_with("GET ")) {
    status = "404 Not Found";
    body = "only /metrics is served here\n";
    type = "text/plain";
  } else {
    status = "400 Bad Request";
    type = "text/plain";
  }
  const std::string resp = "HTTP/1.0 " + status + "\r\nContent-Type: " + type +
                           "\r\nContent-Length: " + std::to_string(body.size()) +
                           "\r\nConnection: close\r\n\r\n" + body;
  std::size_t off = 0;
  while (off < resp.size()) {
    const ssize_t n = send(fd, resp.data() + off, resp.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace kvstore::server
