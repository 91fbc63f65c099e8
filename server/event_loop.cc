// Copyright (c) the kvstore developers.
//
// The I/O loop; see event_loop.h.

#include "event_loop.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>

namespace kvstore::server {

namespace {

// epoll data for the loop's own descriptors; connections use their pointer.
constexpr uint64_t kWakeTag = 0;
constexpr uint64_t kListenTagBase = 1;  // + listener index

std::string AddrString(const sockaddr_storage& sa) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (sa.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&sa);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    port = ntohs(in->sin_port);
  } else if (sa.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    port = ntohs(in6->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

ParserLimits LimitsOf(const Config& c) {
  ParserLimits l;
  l.max_bulk_len = c.proto_max_bulk_len;
  l.max_multibulk_len = c.max_multibulk_len;
  return l;
}

}  // namespace

EventLoop::EventLoop(ServerState* state, int index, const std::vector<int>& listen_fds,
                     std::vector<std::unique_ptr<EventLoop>>* all)
    : state_(state),
      listen_fds_(listen_fds),
      all_(all),
      limits_(LimitsOf(state->config)),
      stats_(*state->thread_stats[static_cast<std::size_t>(index)]),
      // appendfsync always: replies wait for their writes' fdatasync, once per batch.
      durability_(state->store),
      dispatcher_(*state, stats_, durability_),
      delivery_([this] { Wake(); }),
      unblocked_([this] { Wake(); }),
      may_poll_(static_cast<unsigned>(state->config.threads) < std::thread::hardware_concurrency()) {
  dispatcher_.set_while_busy([this](const ClientInfo* running) { ServeWhileBusy(running); });
}

EventLoop::~EventLoop() {
  if (epfd_ >= 0) close(epfd_);
  if (wakefd_ >= 0) close(wakefd_);
}

bool EventLoop::Init(std::string* error) {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  wakefd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epfd_ < 0 || wakefd_ < 0) {
    *error = std::string("epoll/eventfd: ") + std::strerror(errno);
    return false;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeTag;
  epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev);
  for (std::size_t i = 0; i < listen_fds_.size(); ++i) {
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.u64 = kListenTagBase + i;
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, listen_fds_[i], &ev) != 0) {
      *error = std::string("epoll_ctl(listener): ") + std::strerror(errno);
      return false;
    }
  }
  return true;
}

void EventLoop::Start() {
  thread_ = std::thread([this] { Run(); });
}

void EventLoop::Stop() {
  stop_.store(true);
  Wake();
}

void EventLoop::Join() {
  if (thread_.joinable()) thread_.join();
}

void EventLoop::Adopt(int fd) {
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    if (!inbox_closed_) {
      inbox_.push_back(fd);
      fd = -1;
    }
  }
  if (fd >= 0) {  // this loop has already shut down (the server is stopping)
    close(fd);
    state_->connected_clients.fetch_sub(1);
    return;
  }
  Wake();
}

void EventLoop::Wake() {
  const uint64_t one = 1;
  (void)!write(wakefd_, &one, sizeof(one));
}

void EventLoop::Run() {
  epoll_event events[256];
  int64_t last_sweep = NowMs();
  while (!stop_.load(std::memory_order_relaxed)) {
    const int n = WaitForEvents(events, 256);
    now_ms_ = NowMs();
    for (int i = 0; i < n; ++i) Dispatch(events[i]);
    DeliverMessages();
    FinishWaits();
    ExpireWaits();
    FlushPending();
    closed_.clear();  // no event of this batch refers to them any more
    if (now_ms_ - last_sweep >= 1000) {
      last_sweep = now_ms_;
      SweepIdle();
      state_->SampleOps(now_ms_);
    }
  }
  Shutdown();
}

// close_inbox: refuse later hand-offs (shutdown).
void EventLoop::DrainInbox(bool close_inbox) {
  std::vector<int> fds;
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    fds.swap(inbox_);
    if (close_inbox) inbox_closed_ = true;
  }
  for (int fd : fds) AddConnection(fd);
}

void EventLoop::AcceptFrom(int lfd) {
  for (int i = 0; i < 64; ++i) {
    const int fd = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) {
        spdlog::warn("accept: {} (raise the open-file limit or lower --maxclients)",
                     std::strerror(errno));
      }
      return;  // EAGAIN: another loop took it, or none left
    }
    state_->total_connections.fetch_add(1, std::memory_order_relaxed);
    if (state_->connected_clients.load() >= state_->maxclients.load()) {
      static const char kMsg[] = "-ERR max number of clients reached\r\n";
      (void)!send(fd, kMsg, sizeof(kMsg) - 1, MSG_NOSIGNAL);
      close(fd);
      state_->rejected_connections.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("rejected a connection: max number of clients ({}) reached",
                   state_->maxclients.load());
      continue;
    }
    state_->connected_clients.fetch_add(1);
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    static std::atomic<uint64_t> next_loop{0};
    EventLoop* target = (*all_)[next_loop.fetch_add(1) % all_->size()].get();
    if (target == this) {
      AddConnection(fd);
    } else {
      target->Adopt(fd);
    }
  }
}

void EventLoop::AddConnection(int fd) {
  auto conn = std::make_unique<Connection>(fd, limits_);
  ClientInfo& info = conn->info;
  info.id = state_->next_client_id.fetch_add(1);
  sockaddr_storage sa{};
  socklen_t len = sizeof(sa);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0) info.addr = AddrString(sa);
  len = sizeof(sa);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0) info.laddr = AddrString(sa);
  info.created_ms = NowMs();
  info.last_active_ms.store(info.created_ms);
  info.authenticated = !state_->auth_required.load();
  info.pubsub.Attach(&delivery_, conn.get());
  info.blocking.queue = &unblocked_;
  info.blocking.owner = conn.get();
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = conn.get();
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    close(fd);
    state_->connected_clients.fetch_sub(1);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(state_->clients_mu);
    state_->clients[info.id] = &conn->info;
  }
  Connection* raw = conn.get();
  conns_.emplace(raw, std::move(conn));
}

void EventLoop::CloseConnection(Connection* c) {
  if (c->flush_pending) std::erase(pending_, c);
  epoll_ctl(epfd_, EPOLL_CTL_DEL, c->info.fd, nullptr);
  // A wait that another thread is serving (or has served) cannot be taken
  // back: its outcome is delivered when it arrives (orphans_).
  const Waiter* orphaned = nullptr;
  if (c->info.blocking.waiter &&
      !state_->blocking.Cancel(c->info.blocking.waiter, Waiter::End::kClosed)) {
    orphaned = c->info.blocking.waiter.get();
  }
  if (orphaned == nullptr) close(c->info.fd);
  {
    std::lock_guard<std::mutex> lock(state_->clients_mu);
    state_->clients.erase(c->info.id);
  }
  state_->watches.UnwatchAll(&c->info);  // no write may touch a client that is gone
  state_->pubsub.UnsubscribeAll(&c->info.pubsub);  // nor a publisher
  if (c->info.blocking.waiter) {  // nor a write that would serve it (cancelled above)
    c->info.blocking.waiter.reset();
    blocked_.erase(c);
  }
  delivery_.Forget(&c->info.pubsub);
  state_->connected_clients.fetch_sub(1);
  // Freed at the end of the batch: a later event of the batch may still
  // name it (it was closed while a script's hook served the loop).
  auto it = conns_.find(c);
  if (orphaned != nullptr) {
    orphans_.emplace(orphaned, std::move(it->second));
  } else {
    closed_.push_back(std::move(it->second));
  }
  conns_.erase(it);
}

// One event of an epoll batch: the wake-up (new connections handed over, or
// Stop), a listener, or a connection.
void EventLoop::Dispatch(const epoll_event& ev) {
  const uint64_t tag = ev.data.u64;
  if (tag == kWakeTag) {
    uint64_t v;
    (void)!read(wakefd_, &v, sizeof(v));
    DrainInbox();
  } else if (tag < kListenTagBase + listen_fds_.size()) {
    AcceptFrom(listen_fds_[tag - kListenTagBase]);
  } else if (auto* c = reinterpret_cast<Connection*>(tag); conns_.contains(c)) {
    HandleEvent(c, ev.events);
  }
}

void EventLoop::HandleEvent(Connection* c, uint32_t events) {
  if (events & EPOLLOUT) {
    if (!Flush(c)) return;
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    if (c->writing) {
      // Input is paused until the replies drain; but a dead peer would
      // keep reporting HUP/ERR (level-triggered) without EPOLLOUT.
      if (events & (EPOLLHUP | EPOLLERR)) CloseConnection(c);
      return;
    }
    ReadAndProcess(c);
  }
}

// Returns false if the connection was closed.
bool EventLoop::ReadAndProcess(Connection* c) {
  std::size_t n = 0;
  switch (c->Read(&n)) {
    case Connection::ReadStatus::kClosed:
      CloseConnection(c);
      return false;
    case Connection::ReadStatus::kNothing:
      return true;
    case Connection::ReadStatus::kData:
      break;
  }
  stats_.net_input_bytes.Add(n);
  c->info.last_active_ms.store(now_ms_, std::memory_order_relaxed);
  dispatcher_.ProcessInput(*c);
  if (c->info.blocking.waiter) blocked_.insert(c);
  const uint64_t limit = state_->client_query_buffer_limit.load(std::memory_order_relaxed);
  if (!c->info.close_after_reply && c->in_len > limit) {
    spdlog::warn(
        "closing client id={} addr={}: query buffer of {} bytes exceeds "
        "client-query-buffer-limit ({})",
        c->info.id, c->info.addr, c->in_len, limit);
    CloseConnection(c);
    return false;
  }
  return MarkPending(c);
}

// Replies wait until every ready connection of this epoll batch has run its
// commands (FlushPending).
bool EventLoop::MarkPending(Connection* c) {
  if (!CheckOutputLimit(c)) return false;
  if (c->flush_pending || !c->has_output()) {
    if (!c->has_output() && c->info.close_after_reply) {
      CloseConnection(c);
      return false;
    }
    return true;
  }
  c->flush_pending = true;
  pending_.push_back(c);
  return true;
}

// As Redis, which closes such a client (asynchronously) as it adds the reply
// that puts it over: its unsent output is dropped and its memory freed.
bool EventLoop::CheckOutputLimit(Connection* c) {
  if (!c->output_over_limit) {
    if (c->info.pubsub.subscribed()) return true;
    const OutputBufferLimits::Limit limit =
        state_->pubsub.limits().Get(OutputBufferLimits::kNormal);
    if (!c->output_check.Over(limit, c->out.size() - c->out_off, now_ms_)) return true;
  }
  spdlog::warn(
      "closing client id={} addr={}: output buffer of {} bytes past client-output-buffer-limit "
      "(normal)",
      c->info.id, c->info.addr, c->out.size() - c->out_off);
  CloseConnection(c);
  return false;
}

// Redis serves other clients while a script runs long (they get BUSY, and
// SCRIPT KILL can stop it). A script runs on its client's I/O thread, so
// this loop's other connections are served here, from the script's hook, as
// the loop would serve them: every command run here is refused with BUSY or
// is keyless and allow-busy (SCRIPT KILL, FUNCTION STATS, SHUTDOWN...).
// Replies go out at once, those this batch held back before the script
// started included: their client may be the one that would kill it, and
// would otherwise wait for the script forever. They first wait for the
// batch's writes to be durable, as at the batch's end (the script's own
// writes are logged only when it ends).
void EventLoop::ServeWhileBusy(const ClientInfo* running) {
  epoll_event events[64];
  const int n = epoll_wait(epfd_, events, 64, 0);
  now_ms_ = NowMs();
  for (int i = 0; i < n; ++i) {
    // The script's own connection is in the middle of its command; its
    // events come back after it (epoll is level-triggered).
    if (auto* c = reinterpret_cast<Connection*>(events[i].data.u64);
        conns_.contains(c) && &c->info == running) {
      continue;
    }
    Dispatch(events[i]);
  }
  FlushPending(running);
}

// The end of a batch: one durability wait for every write the batch made
// (Redis's beforeSleep; the group commit across clients that one blocking
// fsync per write would lose), then each connection's replies with one send.
void EventLoop::FlushPending(const ClientInfo* running) {
  if (pending_.empty()) return;
  if (running != nullptr && std::any_of(pending_.begin(), pending_.end(),
                                        [&](const Connection* c) { return &c->info == running; })) {
    // Never seen (a script's connection joins the batch after its command),
    // but a failed wait below must not close the connection under the
    // running script: its replies and the others' wait for the batch's end.
    return;
  }
  if (auto r = durability_.Wait(); !r) {
    // The replies would promise durability that the disk refused: never send
    // them. The clients see the connection drop (outcome unknown), and the
    // store fails every later write (a failed fdatasync is sticky).
    spdlog::error("WAL sync failed; closing {} clients without their replies: {}",
                  pending_.size(), r.error().message());
    std::vector<Connection*> doomed;
    doomed.swap(pending_);
    for (Connection* c : doomed) CloseConnection(c);
    return;
  }
  std::vector<Connection*> batch;
  batch.swap(pending_);
  // A send can run commands that input paused for, one of them a script
  // whose hook then serves (ServeWhileBusy) the others of the batch: they
  // are out of the list first, so that it sends their replies, and may have
  // been closed by it.
  for (Connection* c : batch) c->flush_pending = false;
  for (Connection* c : batch) {
    if (conns_.contains(c)) Flush(c);
  }
  batch.clear();
  if (pending_.empty()) pending_.swap(batch);  // keep the capacity
}

// A subscriber's messages join its output like replies. One past its
// client-output-buffer-limit is closed (its mailbox is already freed).
void EventLoop::DeliverMessages() {
  std::vector<PubSubClient*> ready = delivery_.Take();
  if (ready.size() > 1) {  // a client may be listed twice: once only, as it may be closed
    std::sort(ready.begin(), ready.end());
    ready.erase(std::unique(ready.begin(), ready.end()), ready.end());
  }
  for (PubSubClient* p : ready) {
    auto* c = static_cast<Connection*>(p->owner());
    if (!p->TakeMessages(&c->out)) {
      spdlog::warn(
          "closing client id={} addr={}: output buffer past client-output-buffer-limit "
          "(pubsub)",
          c->info.id, c->info.addr);
      CloseConnection(c);
      continue;
    }
    p->set_unsent(c->out.size() - c->out_off);
    if (!c->writing) MarkPending(c);
  }
}

void EventLoop::FinishWaits() {
  for (const std::shared_ptr<Waiter>& w : unblocked_.Take()) {
    if (auto o = orphans_.find(w.get()); o != orphans_.end()) {
      std::unique_ptr<Connection> orphan = std::move(o->second);
      orphans_.erase(o);
      FinishOrphan(std::move(orphan), *w);
      continue;
    }
    auto* c = static_cast<Connection*>(w->owner);
    // The connection may be gone, or the wait ended here already.
    if (!conns_.contains(c) || c->info.blocking.waiter != w) continue;
    ReplyWriter reply(&c->out, c->info.protocol.load(std::memory_order_relaxed), &stats_.errors);
    switch (w->end) {
      case Waiter::End::kServed:
        reply.Raw(w->reply);
        durability_.Include(w->sequence);  // sent once the pop is durable
        break;
      case Waiter::End::kUnblockError:
        reply.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
        break;
      default:
        w->reply_timeout(reply);
        break;
    }
    EndWait(c);
  }
}

void EventLoop::FinishOrphan(std::unique_ptr<Connection> c, const Waiter& w) {
  if (w.end == Waiter::End::kServed) {
    c->out.append(w.reply);
    durability_.Include(w.sequence);
    // The reply promises the pop is durable: never sent if the disk refused.
    if (durability_.Wait()) {
      (void)!send(c->info.fd, c->out.data() + c->out_off, c->out.size() - c->out_off,
                  MSG_NOSIGNAL | MSG_DONTWAIT);
    }
  }
  close(c->info.fd);
  closed_.push_back(std::move(c));  // an event of this batch may still name it
}

void EventLoop::ExpireWaits() {
  if (blocked_.empty()) return;
  std::vector<Connection*> expired;
  for (Connection* c : blocked_) {
    const Waiter& w = *c->info.blocking.waiter;
    if (w.deadline_ms != 0 && w.deadline_ms <= now_ms_) expired.push_back(c);
  }
  for (Connection* c : expired) {
    const std::shared_ptr<Waiter> w = c->info.blocking.waiter;
    // Being served on another thread: its outcome arrives through unblocked_.
    if (!state_->blocking.Cancel(w, Waiter::End::kTimeout)) continue;
    ReplyWriter reply(&c->out, c->info.protocol.load(std::memory_order_relaxed), &stats_.errors);
    w->reply_timeout(reply);
    EndWait(c);
  }
}

void EventLoop::EndWait(Connection* c) {
  c->info.blocking.waiter.reset();
  blocked_.erase(c);
  // Commands pipelined after the blocking one run now (one may block again).
  if (!c->writing && c->in_len > 0) dispatcher_.ProcessInput(*c);
  if (c->info.blocking.waiter) blocked_.insert(c);
  MarkPending(c);
}

// While requests keep coming (the last wait ended within kBusyGap), the
// thread polls epoll for up to busy-poll-us before it sleeps. A sleeping
// thread costs whoever wakes it a wake-up, and on a virtual machine whose
// idle CPU halts, one that exits to the hypervisor: at pipeline 1 on 2 vCPUs
// those wake-ups, not the commands, decided the requests per second
// (docs/BENCHMARKS.md). The poll costs at most busy-poll-us of CPU per wait,
// and none once the clients have been quiet for kBusyGap. Threads that
// would poll on every core are not let to: they would take the cores from
// each other and from the rest of the machine (measured: 2 polling threads
// on 2 vCPUs served pipeline 1 at 0.7-0.95x of 2 sleeping ones).
int EventLoop::WaitForEvents(epoll_event* events, int max) {
  constexpr auto kBusyGap = std::chrono::milliseconds(1);
  const int64_t poll_us = state_->busy_poll_us.load(std::memory_order_relaxed);
  if (busy_ && may_poll_ && poll_us > 0) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(poll_us);
    do {
      const int n = epoll_wait(epfd_, events, max, 0);
      if (n != 0) return n;
    } while (std::chrono::steady_clock::now() < until);
  }
  const auto start = std::chrono::steady_clock::now();
  const int n = epoll_wait(epfd_, events, max, PollTimeoutMs());
  busy_ = n > 0 && std::chrono::steady_clock::now() - start < kBusyGap;
  return n;
}

int EventLoop::PollTimeoutMs() const {
  int64_t timeout = 1000;
  const int64_t now = NowMs();
  for (const Connection* c : blocked_) {
    const int64_t deadline = c->info.blocking.waiter->deadline_ms;
    if (deadline != 0) timeout = std::min(timeout, std::max<int64_t>(0, deadline - now));
  }
  return static_cast<int>(timeout);
}

// Sends pending replies. Returns false if the connection was closed.
bool EventLoop::Flush(Connection* c) {
  std::size_t sent = 0;
  const Connection::SendStatus st = c->Send(&sent);
  stats_.net_output_bytes.Add(sent);
  c->info.pubsub.set_unsent(c->out.size() - c->out_off);
  if (st == Connection::SendStatus::kClosed) {
    CloseConnection(c);
    return false;
  }
  if (st == Connection::SendStatus::kBlocked) {
    if (!CheckOutputLimit(c)) return false;  // the soft limit's seconds run out while it drains
    if (!c->writing) SetWriting(c, true);
    return true;
  }
  if (c->info.close_after_reply) {
    CloseConnection(c);
    return false;
  }
  if (c->writing) {
    SetWriting(c, false);
    // Input that arrived while paused may hold whole commands already; their
    // replies join this batch's (and its durability wait).
    if (c->in_len > 0) {
      dispatcher_.ProcessInput(*c);
      if (c->info.blocking.waiter) blocked_.insert(c);
      return MarkPending(c);
    }
  }
  return true;
}

void EventLoop::SetWriting(Connection* c, bool writing) {
  c->writing = writing;
  epoll_event ev{};
  ev.events = writing ? EPOLLOUT : EPOLLIN;
  ev.data.ptr = c;
  epoll_ctl(epfd_, EPOLL_CTL_MOD, c->info.fd, &ev);
}

void EventLoop::SweepIdle() {
  const int64_t timeout = state_->timeout.load(std::memory_order_relaxed);
  if (timeout <= 0) return;
  std::vector<Connection*> idle;
  for (auto& [raw, conn] : conns_) {
    if (raw->info.blocking.waiter) continue;  // Redis never times out a blocked client
    if (now_ms_ - raw->info.last_active_ms.load(std::memory_order_relaxed) > timeout * 1000) {
      idle.push_back(raw);
    }
  }
  for (Connection* c : idle) {
    spdlog::info("closing idle client id={} addr={} (timeout {} s)", c->info.id, c->info.addr,
                 timeout);
    CloseConnection(c);
  }
}

void EventLoop::Shutdown() {
  for (std::size_t i = 0; i < listen_fds_.size(); ++i) {
    epoll_ctl(epfd_, EPOLL_CTL_DEL, listen_fds_[i], nullptr);
  }
  DrainInbox(/*close_inbox=*/true);
  // Replies already computed go out only once their writes are durable.
  const bool durable = static_cast<bool>(durability_.Wait());
  while (!conns_.empty()) {
    Connection* c = conns_.begin()->first;
    // One non-blocking attempt: a client that does not read is not waited for.
    if (durable && c->has_output()) {
      (void)!send(c->info.fd, c->out.data() + c->out_off, c->out.size() - c->out_off,
                  MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    CloseConnection(c);
  }
  for (auto& [w, c] : orphans_) close(c->info.fd);  // their outcome will not be taken
  orphans_.clear();
}

}  // namespace kvstore::server
