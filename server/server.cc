// Copyright (c) the kvstore developers.
//
// Listeners, I/O threads and connections; see server.h for the model.

#include "server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "commands.h"
#include "reply.h"
#include "resp_parser.h"

namespace kvstore::server {

namespace {

// Bytes read per read() when no large argument is pending.
constexpr std::size_t kReadChunk = 16 * 1024;
// Buffers grown past these for one large request are released once idle.
constexpr std::size_t kKeepInput = 64 * 1024;
constexpr std::size_t kKeepOutput = 1024 * 1024;
// A run of pipelined SETs becomes one update() of at most this many keys /
// bytes, so that the shard locks it holds are held briefly.
constexpr std::size_t kMaxSetBatch = 128;
constexpr std::size_t kMaxSetBatchBytes = 1 << 20;
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

// One client connection, owned by one EventLoop.
struct Connection {
  Connection(int fd, const ParserLimits& limits) : parser(limits) { info.fd = fd; }

  ClientInfo info;
  RespParser parser;
  std::vector<char> in;  // bytes [0, in_len) are unparsed input
  std::size_t in_len = 0;
  std::size_t need = 0;  // parser's hint: in_len needed before re-parsing
  std::string out;       // replies not yet sent, from out_off
  std::size_t out_off = 0;
  bool writing = false;        // waiting for EPOLLOUT (input paused)
  SetBatch sets;               // pipelined plain SETs not yet run (see commands.h)
  bool flush_pending = false;  // in EventLoop::pending_ (replies await the batch's end)
};

class EventLoop {
 public:
  EventLoop(ServerState* state, int index, const std::vector<int>& listen_fds,
            std::vector<std::unique_ptr<EventLoop>>* all)
      : state_(state),
        index_(index),
        listen_fds_(listen_fds),
        all_(all),
        limits_(LimitsOf(state->config)) {}

  ~EventLoop() {
    if (epfd_ >= 0) close(epfd_);
    if (wakefd_ >= 0) close(wakefd_);
  }

  bool Init(std::string* error) {
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

  void Start() {
    thread_ = std::thread([this] { Run(); });
  }

  void Stop() {
    stop_.store(true);
    Wake();
  }

  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  // Hands an accepted socket to this loop (called from any loop).
  void Adopt(int fd) {
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

 private:
  void Wake() {
    const uint64_t one = 1;
    (void)!write(wakefd_, &one, sizeof(one));
  }

  void Run() {
    epoll_event events[256];
    int64_t last_sweep = NowMs();
    while (!stop_.load(std::memory_order_relaxed)) {
      const int n = epoll_wait(epfd_, events, 256, 1000);
      now_ms_ = NowMs();
      for (int i = 0; i < n; ++i) {
        const uint64_t tag = events[i].data.u64;
        if (tag == kWakeTag) {
          uint64_t v;
          (void)!read(wakefd_, &v, sizeof(v));
          DrainInbox();
        } else if (tag < kListenTagBase + listen_fds_.size()) {
          AcceptFrom(listen_fds_[tag - kListenTagBase]);
        } else {
          HandleEvent(reinterpret_cast<Connection*>(tag), events[i].events);
        }
      }
      FlushPending();
      if (now_ms_ - last_sweep >= 1000) {
        last_sweep = now_ms_;
        SweepIdle();
      }
    }
    Shutdown();
  }

  // close_inbox: refuse later hand-offs (shutdown).
  void DrainInbox(bool close_inbox = false) {
    std::vector<int> fds;
    {
      std::lock_guard<std::mutex> lock(inbox_mu_);
      fds.swap(inbox_);
      if (close_inbox) inbox_closed_ = true;
    }
    for (int fd : fds) AddConnection(fd);
  }

  void AcceptFrom(int lfd) {
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

  void AddConnection(int fd) {
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

  void CloseConnection(Connection* c) {
    if (c->flush_pending) std::erase(pending_, c);
    epoll_ctl(epfd_, EPOLL_CTL_DEL, c->info.fd, nullptr);
    close(c->info.fd);
    {
      std::lock_guard<std::mutex> lock(state_->clients_mu);
      state_->clients.erase(c->info.id);
    }
    state_->connected_clients.fetch_sub(1);
    conns_.erase(c);  // destroys c
  }

  void HandleEvent(Connection* c, uint32_t events) {
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
  bool ReadAndProcess(Connection* c) {
    const uint64_t limit = state_->config.client_query_buffer_limit;
    // Grow towards the parser's hint for a large argument, but at most
    // doubling per read, so a client that announces a huge bulk and sends
    // nothing does not make us commit the memory.
    std::size_t want = c->in_len + kReadChunk;
    if (c->need > want) want = std::min(c->need, std::max(want, 2 * c->in.size()));
    if (c->in.size() < want) c->in.resize(want);
    const ssize_t n = read(c->info.fd, c->in.data() + c->in_len, c->in.size() - c->in_len);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      CloseConnection(c);
      return false;
    }
    if (n < 0) return true;
    c->in_len += static_cast<std::size_t>(n);
    state_->thread_stats[index_]->net_input_bytes.Add(static_cast<uint64_t>(n));
    c->info.last_active_ms.store(now_ms_, std::memory_order_relaxed);
    Process(c);
    if (!c->info.close_after_reply && c->in_len > limit) {
      spdlog::warn(
          "closing client id={} addr={}: query buffer of {} bytes exceeds "
          "client-query-buffer-limit ({})",
          c->info.id, c->info.addr, c->in_len, limit);
      CloseConnection(c);
      return false;
    }
    MarkPending(c);
    return true;
  }

  // Replies wait until every ready connection of this epoll batch has run
  // its commands. Then, with --sync always, one fdatasync covers the writes
  // of all of them before any reply goes out (Redis's beforeSleep; the
  // group commit across clients that one blocking fsync per write would
  // lose), and then each connection's replies go out with one send.
  void MarkPending(Connection* c) {
    if (c->flush_pending || c->out_off == c->out.size()) {
      if (c->out_off == c->out.size() && c->info.close_after_reply) CloseConnection(c);
      return;
    }
    c->flush_pending = true;
    pending_.push_back(c);
  }

  void FlushPending() {
    if (pending_.empty()) return;
    bool wrote = false;
    for (Connection* c : pending_) {
      wrote |= c->info.wrote;
      c->info.wrote = false;
    }
    if (wrote && sync_each_batch_) {
      if (auto r = state_->store->sync(); !r) {
        // The replies promise durability that the disk refused: never send
        // them. The clients see the connection drop (outcome unknown), and
        // the store fails every later write (a failed fsync is sticky).
        spdlog::error("WAL sync failed; closing {} clients without their replies: {}",
                      pending_.size(), r.error().message());
        std::vector<Connection*> doomed;
        doomed.swap(pending_);
        for (Connection* c : doomed) CloseConnection(c);
        return;
      }
    }
    std::vector<Connection*> batch;
    batch.swap(pending_);
    for (Connection* c : batch) {
      c->flush_pending = false;
      Flush(c);
    }
    batch.clear();
    if (pending_.empty()) pending_.swap(batch);  // keep the capacity
  }

  // Parses and runs every complete command in the input buffer, appending
  // the replies to c->out (sent by one Flush for the whole batch).
  void Process(Connection* c) {
    ReplyWriter reply(&c->out, c->info.protocol.load(std::memory_order_relaxed));
    std::size_t pos = 0;
    while (!c->info.close_after_reply && pos < c->in_len) {
      if (c->need > c->in_len) break;  // a known-incomplete command
      std::size_t consumed = 0;
      const ParseStatus st =
          c->parser.Parse(c->in.data() + pos, c->in_len - pos, c->info.authenticated, &consumed);
      if (st == ParseStatus::kIncomplete) {
        c->need = c->parser.needed();  // relative to pos, which becomes 0 below
        break;
      }
      c->need = 0;
      if (st == ParseStatus::kError) {
        RunSetBatch(c->sets, *state_, c->info, reply, *state_->thread_stats[index_]);
        state_->protocol_errors.fetch_add(1, std::memory_order_relaxed);
        spdlog::debug("protocol error from client id={} addr={}: {}", c->info.id, c->info.addr,
                      c->parser.error());
        reply.Error(c->parser.error());
        c->info.close_after_reply = true;
        pos = c->in_len;
        break;
      }
      pos += consumed;
      const auto& args = c->parser.args();
      if (args.empty()) continue;
      // The views stay valid until the buffer is compacted below: later
      // parses never write before their own command's first byte.
      ThreadStats& stats = *state_->thread_stats[index_];
      if (IsBatchableSet(c->info, *state_, args)) {
        c->sets.pairs.emplace_back(args[1], args[2]);
        c->sets.bytes += args[1].size() + args[2].size();
        if (c->sets.pairs.size() >= kMaxSetBatch || c->sets.bytes >= kMaxSetBatchBytes) {
          RunSetBatch(c->sets, *state_, c->info, reply, stats);
        }
        continue;
      }
      RunSetBatch(c->sets, *state_, c->info, reply, stats);  // replies stay in order
      CommandContext ctx{*state_, c->info, args, reply, stats};
      Dispatch(ctx);
    }
    RunSetBatch(c->sets, *state_, c->info, reply, *state_->thread_stats[index_]);
    if (c->info.close_after_reply) pos = c->in_len;  // QUIT: drop what follows
    if (pos > 0) {
      std::memmove(c->in.data(), c->in.data() + pos, c->in_len - pos);
      c->in_len -= pos;
    }
    if (c->in_len == 0 && c->in.size() > kKeepInput) std::vector<char>().swap(c->in);
  }

  // Sends pending replies. Returns false if the connection was closed.
  bool Flush(Connection* c) {
    while (c->out_off < c->out.size()) {
      const ssize_t n =
          send(c->info.fd, c->out.data() + c->out_off, c->out.size() - c->out_off, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) {
          if (!c->writing) SetWriting(c, true);
          return true;
        }
        CloseConnection(c);
        return false;
      }
      c->out_off += static_cast<std::size_t>(n);
      state_->thread_stats[index_]->net_output_bytes.Add(static_cast<uint64_t>(n));
    }
    if (c->out.capacity() > kKeepOutput) {
      std::string().swap(c->out);
    } else {
      c->out.clear();
    }
    c->out_off = 0;
    if (c->info.close_after_reply) {
      CloseConnection(c);
      return false;
    }
    if (c->writing) {
      SetWriting(c, false);
      // Input that arrived while paused may hold whole commands already.
      if (c->in_len > 0) {
        Process(c);
        MarkPending(c);
      }
    }
    return true;
  }

  void SetWriting(Connection* c, bool writing) {
    c->writing = writing;
    epoll_event ev{};
    ev.events = writing ? EPOLLOUT : EPOLLIN;
    ev.data.ptr = c;
    epoll_ctl(epfd_, EPOLL_CTL_MOD, c->info.fd, &ev);
  }

  void SweepIdle() {
    const int64_t timeout = state_->timeout.load(std::memory_order_relaxed);
    if (timeout <= 0) return;
    std::vector<Connection*> idle;
    for (auto& [raw, conn] : conns_) {
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

  void Shutdown() {
    for (std::size_t i = 0; i < listen_fds_.size(); ++i) {
      epoll_ctl(epfd_, EPOLL_CTL_DEL, listen_fds_[i], nullptr);
    }
    DrainInbox(/*close_inbox=*/true);
    while (!conns_.empty()) {
      Connection* c = conns_.begin()->first;
      // One non-blocking attempt: replies already computed go out if the
      // socket takes them; a client that does not read is not waited for.
      if (c->out_off < c->out.size()) {
        (void)!send(c->info.fd, c->out.data() + c->out_off, c->out.size() - c->out_off,
                    MSG_NOSIGNAL | MSG_DONTWAIT);
      }
      CloseConnection(c);
    }
  }

  ServerState* state_;
  const int index_;
  const std::vector<int>& listen_fds_;
  std::vector<std::unique_ptr<EventLoop>>* all_;
  const ParserLimits limits_;
  int epfd_ = -1;
  int wakefd_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex inbox_mu_;
  std::vector<int> inbox_;     // GUARDED_BY(inbox_mu_)
  bool inbox_closed_ = false;  // GUARDED_BY(inbox_mu_)
  std::unordered_map<Connection*, std::unique_ptr<Connection>> conns_;
  std::vector<Connection*> pending_;  // replies to send at the batch's end
  // --sync always: the store is opened without per-write fsync and the
  // loop syncs once per batch instead (see FlushPending).
  const bool sync_each_batch_ = state_->config.sync_mode() == SyncMode::kAlways;
  int64_t now_ms_ = 0;
};

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
