// Copyright (c) the kvstore developers.
//
// Server: the listening sockets and the I/O threads (event_loop.h: one
// EventLoop per thread, each executing its own connections' commands).
//
// Accepting: one listening socket per address, registered in every loop's
// epoll with EPOLLEXCLUSIVE, so one thread wakes per pending connection. The
// thread that accepts deals connections round-robin across the loops
// (through a small per-loop inbox, touched only on connect). We chose this
// over one SO_REUSEPORT socket per thread because SO_REUSEPORT lets a second
// server process (same user) bind the same port silently and steal half the
// connections, while a plain socket makes "port in use" an error at start;
// and round-robin keeps the load even when the kernel favours one waiter.
//
// Stop(): every loop stops taking input, finishes the batch it is running,
// flushes what it can of pending replies without blocking, and closes its
// connections; then the threads are joined. The store is left open for the
// caller to checkpoint, sync and close.

#ifndef KVSTORE_SERVER_SERVER_H_
#define KVSTORE_SERVER_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "server_state.h"

namespace kvstore::server {

class EventLoop;

class Server {
 public:
  explicit Server(ServerState* state);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens on every configured address. On failure returns false
  // with a one-line *error (e.g. the port is in use).
  bool Listen(std::string* error);

  // Starts the I/O threads. REQUIRES: Listen() succeeded.
  void Start();

  // Stops and joins the I/O threads and closes the listening sockets.
  // Idempotent.
  void Stop();

 private:
  ServerState* state_;
  std::vector<int> listen_fds_;
  std::vector<std::unique_ptr<EventLoop>> loops_;
};

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_SERVER_H_
