// Copyright (c) the kvstore developers.
//
// The blocking registry and the blocking commands' shared steps; see
// blocking.h.

#include "blocking.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "command.h"
#include "durability.h"
#include "server_state.h"
#include "string_util.h"

namespace kvstore::server {

namespace {

// Keys this thread wrote that someone waits for, not yet served
// (BlockingRegistry::Signal, ServeReady).
thread_local std::deque<std::string> t_ready;

void AddReady(std::string_view key) {
  if (std::find(t_ready.begin(), t_ready.end(), key) == t_ready.end()) t_ready.emplace_back(key);
}

}  // namespace

void UnblockQueue::Post(std::shared_ptr<Waiter> w) {
  bool was_empty = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    was_empty = done_.empty();
    done_.push_back(std::move(w));
  }
  if (was_empty && wake_) wake_();
}

std::vector<std::shared_ptr<Waiter>> UnblockQueue::Take() {
  std::vector<std::shared_ptr<Waiter>> out;
  std::lock_guard<std::mutex> lock(mu_);
  out.swap(done_);
  return out;
}

void BlockingRegistry::Block(const std::shared_ptr<Waiter>& w) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& key : w->keys) by_key_[key].push_back(w);
  by_client_[w->client_id] = w;
  w->state = Waiter::State::kWaiting;
  count_.store(by_client_.size(), std::memory_order_relaxed);
}

void BlockingRegistry::RemoveLocked(const std::shared_ptr<Waiter>& w) {
  for (const std::string& key : w->keys) {
    auto it = by_key_.find(key);
    if (it == by_key_.end()) continue;
    auto& queue = it->second;
    queue.erase(std::remove(queue.begin(), queue.end(), w), queue.end());
    if (queue.empty()) by_key_.erase(it);
  }
  if (auto it = by_client_.find(w->client_id); it != by_client_.end() && it->second == w) {
    by_client_.erase(it);
  }
  w->state = Waiter::State::kDone;
  count_.store(by_client_.size(), std::memory_order_relaxed);
}

void BlockingRegistry::Signal(std::string_view key) {
  if (count_.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (by_key_.contains(absl::string_view(key.data(), key.size()))) AddReady(key);
}

bool BlockingRegistry::HasReady() { return !t_ready.empty(); }

void BlockingRegistry::ServeReady(ServerState& server, ThreadStats& stats,
                                  DurabilityBarrier& durability) {
  // The attempts run as no client: they touch only the store and the reply.
  static thread_local ClientInfo scratch;
  while (!t_ready.empty()) {
    const std::string key = std::move(t_ready.front());
    t_ready.pop_front();
    for (;;) {
      std::shared_ptr<Waiter> w;
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = by_key_.find(key);
        if (it == by_key_.end()) break;
        w = it->second.front();
        // Another thread is serving the head: it goes on down this queue.
        if (w->state != Waiter::State::kWaiting) break;
        w->state = Waiter::State::kServing;
      }
      std::string out;
      ReplyWriter reply(&out, w->protocol->load(std::memory_order_relaxed), &stats.errors);
      CommandContext ctx{server, scratch, {}, reply, stats, durability};
      bool rearmed = false;
      const std::function<void()> on_empty = [&] {
        std::lock_guard<std::mutex> lock(mu_);
        if (w->cancel != Waiter::End::kNone) return;  // ended meanwhile: removed below
        w->state = Waiter::State::kWaiting;
        rearmed = true;
      };
      const uint64_t before = durability.latest();
      const AttemptResult result = w->attempt(ctx, &key, on_empty);
      reply.Resume();
      if (rearmed) break;  // the key is empty again: its later waiters would find it so too
      {
        std::lock_guard<std::mutex> lock(mu_);
        RemoveLocked(w);
        if (result == AttemptResult::kEmpty) {
          w->end = w->cancel;
        } else {
          w->end = Waiter::End::kServed;
          w->reply = std::move(out);
          w->sequence = durability.latest() != before ? durability.latest() : 0;
        }
      }
      w->queue->Post(w);
      if (result != AttemptResult::kEmpty) {
        // It may have stood at the head of its other keys' queues.
        for (const std::string& k : w->keys) {
          if (k != key) AddReady(k);
        }
      }
    }
  }
}

bool BlockingRegistry::Cancel(const std::shared_ptr<Waiter>& w, Waiter::End why) {
  std::lock_guard<std::mutex> lock(mu_);
  if (w->state == Waiter::State::kWaiting) {
    RemoveLocked(w);
    w->end = why;
    return true;
  }
  if (w->state == Waiter::State::kServing) w->cancel = why;
  return false;
}

bool BlockingRegistry::Unblock(uint64_t id, Waiter::End why) {
  std::shared_ptr<Waiter> w;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_client_.find(id);
    if (it == by_client_.end()) return false;
    w = it->second;
    if (w->state == Waiter::State::kServing) {
      w->cancel = why;
      return true;
    }
    RemoveLocked(w);
    w->end = why;
  }
  w->queue->Post(w);
  return true;
}

bool ParseBlockTimeout(CommandContext& ctx, std::string_view arg, int64_t* timeout_ms) {
  long double seconds = 0;
  if (!ParseLongDouble(arg, &seconds)) {
    ctx.reply.Error("ERR timeout is not a float or out of range");
    return false;
  }
  // Redis rounds seconds * 1000 up (0.0001 waits 1 ms; -0.0001 is 0,
  // forever) and converts it to a long long: on x86 a value out of its range
  // (inf included) becomes the lowest one, which is negative.
  const long double ms = std::ceil(seconds * 1000.0L);
  constexpr long double kLimit = 9223372036854775807.0L;
  if (!(ms > -kLimit && ms < kLimit) || static_cast<int64_t>(ms) < 0) {
    ctx.reply.Error("ERR timeout is negative");
    return false;
  }
  *timeout_ms = static_cast<int64_t>(ms);
  return true;
}

void BlockOrServe(CommandContext& ctx, std::span<const std::string_view> keys, int64_t timeout_ms,
                  BlockedAttempt attempt, void (*reply_now)(ReplyWriter&),
                  void (*reply_timeout)(ReplyWriter&)) {
  BlockingClient& client = ctx.client.blocking;
  const bool can_block = ctx.tx == nullptr && client.queue != nullptr;
  std::shared_ptr<Waiter> waiter;
  // Inside the attempt's update, under the keys' locks: no write to them
  // can come between finding them empty and registering.
  const std::function<void()> on_empty = [&] {
    if (!can_block) return;
    waiter = std::make_shared<Waiter>();
    waiter->client_id = ctx.client.id;
    waiter->owner = client.owner;
    waiter->queue = client.queue;
    waiter->protocol = &ctx.client.protocol;
    for (const std::string_view k : keys) {
      if (std::find(waiter->keys.begin(), waiter->keys.end(), k) == waiter->keys.end()) {
        waiter->keys.emplace_back(k);
      }
    }
    waiter->attempt = attempt;
    waiter->reply_timeout = reply_timeout;
    if (timeout_ms > 0) {
      const int64_t now = NowMs();
      waiter->deadline_ms = timeout_ms > std::numeric_limits<int64_t>::max() - now
                                ? std::numeric_limits<int64_t>::max()
                                : now + timeout_ms;
    }
    ctx.server.blocking.Block(waiter);
  };
  const AttemptResult result = attempt(ctx, nullptr, on_empty);
  if (result == AttemptResult::kEmpty) {
    if (waiter) {
      client.waiter = std::move(waiter);
    } else {
      reply_now(ctx.reply);
    }
    return;
  }
  // Registered, but the update then failed (its error is the reply).
  if (waiter) ctx.server.blocking.Cancel(waiter, Waiter::End::kClosed);
}

}  // namespace kvstore::server
