// Copyright (c) the kvstore developers.
//
// The pub/sub registry, mailboxes and delivery queues; see pubsub.h.

#include "pubsub.h"

#include <algorithm>
#include <chrono>

#include "common/glob.h"
#include "resp_parser.h"
#include "string_util.h"

namespace kvstore::server {

namespace {

constexpr const char* kClassNames[OutputBufferLimits::kClassCount] = {"normal", "slave", "pubsub"};

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The words of a CONFIG value, split on spaces.
std::vector<std::string_view> Words(std::string_view v) {
  std::vector<std::string_view> words;
  std::size_t pos = 0;
  while (pos < v.size()) {
    const std::size_t end = std::min(v.find(' ', pos), v.size());
    if (end > pos) words.push_back(v.substr(pos, end - pos));
    pos = end + 1;
  }
  return words;
}

int ClassOf(std::string_view name) {
  if (EqualsIgnoreCase(name, "normal")) return OutputBufferLimits::kNormal;
  if (EqualsIgnoreCase(name, "slave") || EqualsIgnoreCase(name, "replica")) {
    return OutputBufferLimits::kReplica;
  }
  if (EqualsIgnoreCase(name, "pubsub")) return OutputBufferLimits::kPubsub;
  return -1;
}

// One message as the subscriber sees it: RESP2 array or RESP3 push of
// (kind, [pattern,] channel, message).
std::string Frame(int protocol, std::string_view kind, const std::string_view* pattern,
                  std::string_view channel, std::string_view message) {
  std::string out;
  out.reserve(32 + kind.size() + channel.size() + message.size() +
              (pattern ? pattern->size() + 16 : 0));
  out += protocol == 3 ? '>' : '*';
  out += pattern ? '4' : '3';
  out += "\r\n";
  auto bulk = [&out](std::string_view s) {
    out += '$';
    out += std::to_string(s.size());
    out += "\r\n";
    out.append(s);
    out += "\r\n";
  };
  bulk(kind);
  if (pattern) bulk(*pattern);
  bulk(channel);
  bulk(message);
  return out;
}

// The same message framed for each RESP version, built on first use.
class Framed {
 public:
  Framed(std::string_view kind, const std::string_view* pattern, std::string_view channel,
         std::string_view message)
      : kind_(kind), pattern_(pattern), channel_(channel), message_(message) {}
  std::string_view For(int protocol) {
    std::string& f = frames_[protocol == 3 ? 1 : 0];
    if (f.empty()) f = Frame(protocol, kind_, pattern_, channel_, message_);
    return f;
  }

 private:
  std::string_view kind_;
  const std::string_view* pattern_;
  std::string_view channel_, message_;
  std::string frames_[2];
};

}  // namespace

// ---- OutputBufferLimits ----

bool OutputBufferCheck::Over(const OutputBufferLimits::Limit& limit, uint64_t used,
                             int64_t now_ms) {
  if (limit.hard > 0 && used >= limit.hard) return true;
  if (limit.soft == 0 || used < limit.soft) {
    soft_since_ms_ = 0;
    return false;
  }
  if (soft_since_ms_ == 0) {
    soft_since_ms_ = now_ms;
    return false;
  }
  return now_ms - soft_since_ms_ > limit.soft_seconds * 1000;
}

OutputBufferLimits::OutputBufferLimits() {
  constexpr Limit kDefaults[kClassCount] = {
      {0, 0, 0}, {256ull << 20, 64ull << 20, 60}, {32ull << 20, 8ull << 20, 60}};
  for (int i = 0; i < kClassCount; ++i) {
    hard_[i].store(kDefaults[i].hard);
    soft_[i].store(kDefaults[i].soft);
    seconds_[i].store(kDefaults[i].soft_seconds);
  }
}

OutputBufferLimits::Limit OutputBufferLimits::Get(Class c) const {
  return {hard_[c].load(std::memory_order_relaxed), soft_[c].load(std::memory_order_relaxed),
          seconds_[c].load(std::memory_order_relaxed)};
}

std::string OutputBufferLimits::ToString() const {
  std::string out;
  for (int i = 0; i < kClassCount; ++i) {
    const Limit l = Get(static_cast<Class>(i));
    if (!out.empty()) out += ' ';
    out += std::string(kClassNames[i]) + " " + std::to_string(l.hard) + " " +
           std::to_string(l.soft) + " " + std::to_string(l.soft_seconds);
  }
  return out;
}

std::string OutputBufferLimits::Check(std::string_view value) {
  const std::vector<std::string_view> w = Words(value);
  if (w.size() % 4 != 0) return "Wrong number of arguments in buffer limit configuration.";
  for (std::size_t i = 0; i < w.size(); i += 4) {
    if (ClassOf(w[i]) < 0) return "Invalid client class specified in buffer limit configuration.";
    uint64_t hard = 0, soft = 0;
    int64_t seconds = 0;
    if (!ParseMemorySize(w[i + 1], &hard) || !ParseMemorySize(w[i + 2], &soft) ||
        !ParseInt64(w[i + 3], &seconds) || seconds < 0 || hard > (uint64_t{1} << 62) ||
        soft > (uint64_t{1} << 62)) {
      return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    }
  }
  return "";
}

void OutputBufferLimits::Set(std::string_view value) {
  const std::vector<std::string_view> w = Words(value);
  for (std::size_t i = 0; i + 3 < w.size(); i += 4) {
    const int c = ClassOf(w[i]);
    uint64_t hard = 0, soft = 0;
    int64_t seconds = 0;
    if (c < 0 || !ParseMemorySize(w[i + 1], &hard) || !ParseMemorySize(w[i + 2], &soft) ||
        !ParseInt64(w[i + 3], &seconds)) {
      continue;  // Check() refused it already
    }
    hard_[c].store(hard);
    soft_[c].store(soft);
    seconds_[c].store(seconds);
  }
}

// ---- DeliveryQueue ----

void DeliveryQueue::Post(PubSubClient* c) {
  bool was_empty = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    was_empty = ready_.empty();
    ready_.push_back(c);
  }
  if (was_empty && wake_) wake_();
}

std::vector<PubSubClient*> DeliveryQueue::Take() {
  std::vector<PubSubClient*> out;
  std::lock_guard<std::mutex> lock(mu_);
  out.swap(ready_);
  return out;
}

void DeliveryQueue::Forget(PubSubClient* c) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase(ready_, c);
}

// ---- PubSubClient ----

std::vector<std::string> PubSubClient::Names(PubSubKind k) const {
  const auto& set = names_[static_cast<int>(k)];
  return {set.begin(), set.end()};
}

bool PubSubClient::TakeMessages(std::string* out) {
  std::lock_guard<std::mutex> lock(mu_);
  queued_ = false;
  if (over_limit_) return false;
  if (out->empty()) {
    out->swap(mailbox_);  // no copy in the common case
  } else {
    out->append(mailbox_);
    mailbox_.clear();
  }
  return true;
}

void PubSubClient::Deliver(std::string_view framed, const OutputBufferLimits::Limit& limit,
                           int64_t now_ms) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (over_limit_) return;
    Append(framed, limit, now_ms);
    if (queued_ || queue_ == nullptr) return;
    queued_ = true;
  }
  queue_->Post(this);  // the publisher still holds the registry: the client is alive
}

// Adds the message, or frees the mailbox if the client is past its limit.
// REQUIRES: mu_ held.
void PubSubClient::Append(std::string_view framed, const OutputBufferLimits::Limit& limit,
                          int64_t now_ms) {
  // The message counts in, as in Redis, which checks as it adds a reply.
  const uint64_t used = mailbox_.size() + framed.size() + unsent_.load(std::memory_order_relaxed);
  const bool over = check_.Over(limit, used, now_ms);
  if (over) {
    over_limit_ = true;
    std::string().swap(mailbox_);
  } else {
    mailbox_.append(framed);
  }
}

// ---- PubSub ----

bool PubSub::Subscribe(PubSubClient* c, PubSubKind kind, std::string_view name) {
  const int k = static_cast<int>(kind);
  std::unique_lock<std::shared_mutex> lock(mu_);
  if (!c->names_[k].emplace(name).second) return false;
  by_name_[k][absl::string_view(name.data(), name.size())].insert(c);
  c->counts_[k].store(c->names_[k].size(), std::memory_order_relaxed);
  return true;
}

bool PubSub::Unsubscribe(PubSubClient* c, PubSubKind kind, std::string_view name) {
  const int k = static_cast<int>(kind);
  const absl::string_view key(name.data(), name.size());
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto mine = c->names_[k].find(key);
  if (mine == c->names_[k].end()) return false;
  c->names_[k].erase(mine);
  c->counts_[k].store(c->names_[k].size(), std::memory_order_relaxed);
  if (auto it = by_name_[k].find(key); it != by_name_[k].end()) {
    it->second.erase(c);
    if (it->second.empty()) by_name_[k].erase(it);
  }
  return true;
}

void PubSub::UnsubscribeAll(PubSubClient* c) {
  if (!c->subscribed()) return;  // the common case: no lock
  std::unique_lock<std::shared_mutex> lock(mu_);
  for (int k = 0; k < kPubSubKinds; ++k) {
    for (const std::string& name : c->names_[k]) {
      if (auto it = by_name_[k].find(name); it != by_name_[k].end()) {
        it->second.erase(c);
        if (it->second.empty()) by_name_[k].erase(it);
      }
    }
    c->names_[k].clear();
    c->counts_[k].store(0, std::memory_order_relaxed);
  }
}

int64_t PubSub::Publish(PubSubKind kind, std::string_view channel, std::string_view message) {
  const OutputBufferLimits::Limit limit = limits_.Get(OutputBufferLimits::kPubsub);
  const int64_t now_ms = SteadyMs();
  int64_t receivers = 0;
  const int k = static_cast<int>(kind);
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (auto it = by_name_[k].find(absl::string_view(channel.data(), channel.size()));
      it != by_name_[k].end()) {
    Framed msg(kind == PubSubKind::kShard ? "smessage" : "message", nullptr, channel, message);
    for (PubSubClient* c : it->second) {
      c->Deliver(msg.For(c->protocol_->load(std::memory_order_relaxed)), limit, now_ms);
      ++receivers;
    }
  }
  if (kind != PubSubKind::kChannel) return receivers;
  for (const auto& [pattern, subscribers] : by_name_[static_cast<int>(PubSubKind::kPattern)]) {
    const std::string_view p(pattern);
    if (!common::GlobMatch(p, channel)) continue;
    Framed msg("pmessage", &p, channel, message);
    for (PubSubClient* c : subscribers) {
      c->Deliver(msg.For(c->protocol_->load(std::memory_order_relaxed)), limit, now_ms);
      ++receivers;
    }
  }
  return receivers;
}

std::vector<std::string> PubSub::Channels(PubSubKind kind, const std::string_view* pattern) {
  std::vector<std::string> out;
  std::shared_lock<std::shared_mutex> lock(mu_);
  for (const auto& [name, subscribers] : by_name_[static_cast<int>(kind)]) {
    if (pattern == nullptr || common::GlobMatch(*pattern, name)) out.push_back(name);
  }
  return out;
}

int64_t PubSub::NumSub(PubSubKind kind, std::string_view channel) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  const auto& map = by_name_[static_cast<int>(kind)];
  auto it = map.find(absl::string_view(channel.data(), channel.size()));
  return it == map.end() ? 0 : static_cast<int64_t>(it->second.size());
}

std::size_t PubSub::Size(PubSubKind kind) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return by_name_[static_cast<int>(kind)].size();
}

}  // namespace kvstore::server
