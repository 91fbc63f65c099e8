// Copyright (c) the kvstore developers.
//
// EventLoop: one I/O thread. It runs its own epoll loop over the connections
// it owns and executes their commands itself (against the thread-safe
// KvStore), so a request never crosses a thread or a queue.
//
// One turn of the loop: every ready connection is read and its commands run
// (Dispatcher), its replies appended to its output buffer; then, once for
// the whole batch, the loop waits until the batch's writes are durable
// (DurabilityBarrier: with --sync always; a no-op otherwise) and only then
// sends each connection's replies with one send. A failed wait closes those
// connections without their replies.
//
// Accepting: the listening sockets are registered in every loop's epoll with
// EPOLLEXCLUSIVE, so one thread wakes per pending connection; the thread
// that accepts deals connections round-robin across the loops, through a
// small per-loop inbox touched only on connect (see server.h for why).
//
// Stop(): the loop stops taking input, finishes the batch it is running,
// sends what it can of pending replies without blocking (after the same
// durability wait), and closes its connections.

#ifndef KVSTORE_SERVER_EVENT_LOOP_H_
#define KVSTORE_SERVER_EVENT_LOOP_H_

#include <sys/epoll.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "connection.h"
#include "dispatcher.h"
#include "durability.h"
#include "server_state.h"

namespace kvstore::server {

class EventLoop {
 public:
  // `all` is every loop of the server, for round-robin hand-off of accepted
  // connections; `listen_fds` must outlive the loop.
  EventLoop(ServerState* state, int index, const std::vector<int>& listen_fds,
            std::vector<std::unique_ptr<EventLoop>>* all);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  bool Init(std::string* error);
  void Start();
  void Stop();
  void Join();

  // Hands an accepted socket to this loop (called from any loop).
  void Adopt(int fd);

 private:
  void Wake();
  void Run();
  void DrainInbox(bool close_inbox = false);
  void AcceptFrom(int lfd);
  void AddConnection(int fd);
  void CloseConnection(Connection* c);
  void Dispatch(const epoll_event& ev);
  void HandleEvent(Connection* c, uint32_t events);
  bool ReadAndProcess(Connection* c);
  // Queues c's replies for the batch's end, or closes c (past its output
  // limit, or done after QUIT). Returns false if c was closed.
  bool MarkPending(Connection* c);
  // client-output-buffer-limit, normal class, for a client that is not a
  // subscriber (whose messages their publishers check, pubsub.h): checked
  // after its commands and after each send. Returns false if c was closed.
  bool CheckOutputLimit(Connection* c);
  // Sends the replies held for the batch's end, after its durability wait.
  // running: the client whose script is running (ServeWhileBusy), if any.
  void FlushPending(const ClientInfo* running = nullptr);
  // Moves messages published to this loop's subscribers into their output.
  void DeliverMessages();
  // Blocked clients: those whose wait ended on another thread get its
  // outcome; those past their deadline time out (blocking.h).
  void FinishWaits();
  // Delivers the outcome of an orphan's wait (a served pop's reply, with one
  // non-blocking send once it is durable), then closes its socket.
  void FinishOrphan(std::unique_ptr<Connection> c, const Waiter& w);
  void ExpireWaits();
  // Ends c's wait with `reply` written, and resumes its pipelined input.
  void EndWait(Connection* c);
  // The next events into `events` (epoll_wait's result; see event_loop.cc).
  int WaitForEvents(epoll_event* events, int max);
  // How long epoll may sleep: up to the nearest blocked client's deadline.
  int PollTimeoutMs() const;
  bool Flush(Connection* c);
  void SetWriting(Connection* c, bool writing);
  void SweepIdle();
  // While a script run by `running` is past busy-reply-threshold: serves the
  // loop's other connections (see event_loop.cc).
  void ServeWhileBusy(const ClientInfo* running);
  void Shutdown();

  ServerState* state_;
  const std::vector<int>& listen_fds_;
  std::vector<std::unique_ptr<EventLoop>>* all_;
  const ParserLimits limits_;
  ThreadStats& stats_;
  DurabilityBarrier durability_;
  Dispatcher dispatcher_;
  int epfd_ = -1;
  int wakefd_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex inbox_mu_;
  std::vector<int> inbox_;     // GUARDED_BY(inbox_mu_)
  bool inbox_closed_ = false;  // GUARDED_BY(inbox_mu_)
  std::unordered_map<Connection*, std::unique_ptr<Connection>> conns_;
  std::vector<std::unique_ptr<Connection>> closed_;  // closed in this batch
  std::vector<Connection*> pending_;  // replies to send at the batch's end
  DeliveryQueue delivery_;            // subscribers with messages (pubsub.h)
  UnblockQueue unblocked_;            // waits that ended on another thread (blocking.h)
  std::unordered_set<Connection*> blocked_;  // connections with a wait
  // Connections closed while another thread was serving their wait, or had
  // served it without this loop having taken the outcome yet: the pop may
  // have happened, so the socket stays open until the outcome arrives
  // (FinishOrphan), and a peer that only shut down its writing side still
  // gets the element it was given. Keyed by the wait.
  std::unordered_map<const Waiter*, std::unique_ptr<Connection>> orphans_;
  int64_t now_ms_ = 0;
  // Whether the last wait found events within kBusyGap (WaitForEvents).
  bool busy_ = false;
  // Whether a core is left when every I/O thread polls (WaitForEvents).
  const bool may_poll_;
};

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_EVENT_LOOP_H_
