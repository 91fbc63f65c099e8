// Copyright (c) the kvstore developers.
//
// Listeners and I/O threads; see server.h.

#include "server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

#include "event_loop.h"

namespace kvstore::server {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RandomHex40() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::string out(40, '0');
  for (char& c : out) c = kHex[rd() & 15];
  return out;
}

std::string DefaultSaveRules() {
  std::string out;
  for (const auto& [secs, changes] : CheckpointPolicy{}.after_changes) {
    if (!out.empty()) out += ' ';
    out += std::to_string(secs.count()) + " " + std::to_string(changes);
  }
  return out;
}

Server::Server(ServerState* state) : state_(state) {}

Server::~Server() { Stop(); }

bool Server::Listen(std::string* error) {
  for (const std::string& host : state_->config.bind) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(state_->config.port);
    if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
      *error = "cannot listen on " + host + ":" + port + ": " + gai_strerror(rc);
      return false;
    }
    const int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    // SO_REUSEADDR only lets us rebind over TIME_WAIT after a restart; unlike
    // SO_REUSEPORT it does not let two live servers share the port.
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd >= 0 && res->ai_family == AF_INET6) {
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    }
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 511) != 0) {
      *error = "cannot listen on " + host + ":" + port + ": " + std::strerror(errno);
      if (fd >= 0) close(fd);
      freeaddrinfo(res);
      return false;
    }
    freeaddrinfo(res);
    listen_fds_.push_back(fd);
  }
  const int n = state_->config.threads;
  state_->thread_stats.clear();
  for (int i = 0; i < n; ++i) {
    state_->thread_stats.push_back(std::make_unique<ThreadStats>());
    loops_.push_back(std::make_unique<EventLoop>(state_, i, listen_fds_, &loops_));
    if (!loops_.back()->Init(error)) return false;
  }
  return true;
}

void Server::Start() {
  for (auto& loop : loops_) loop->Start();
}

void Server::Stop() {
  for (auto& loop : loops_) loop->Stop();
  for (auto& loop : loops_) loop->Join();
  loops_.clear();
  for (int fd : listen_fds_) close(fd);
  listen_fds_.clear();
}

}  // namespace kvstore::server
