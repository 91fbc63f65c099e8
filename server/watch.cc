// Copyright (c) the kvstore developers.
//
// The WATCH registry; see watch.h.

#include "watch.h"

#include "server_state.h"

namespace kvstore::server {

bool WatchRegistry::IsWatched(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  return clients_.find(key) != clients_.end();
}

std::vector<std::string> WatchRegistry::Keys() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> keys;
  keys.reserve(clients_.size());
  for (const auto& [key, clients] : clients_) keys.push_back(key);
  return keys;
}

bool WatchRegistry::Watch(ClientInfo* c, std::string_view key) {
  for (const auto& w : c->watched) {
    if (w.key == key) return false;
  }
  c->watched.push_back({std::string(key)});
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(key);
  if (it == clients_.end()) {
    it = clients_.emplace(std::string(key), std::vector<ClientInfo*>()).first;
    watched_keys_.store(clients_.size(), std::memory_order_relaxed);
  }
  it->second.push_back(c);
  return true;
}

void WatchRegistry::UnwatchAll(ClientInfo* c) {
  if (!c->watched.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& w : c->watched) {
      auto it = clients_.find(w.key);
      if (it == clients_.end()) continue;
      std::erase(it->second, c);
      if (it->second.empty()) clients_.erase(it);
    }
    watched_keys_.store(clients_.size(), std::memory_order_relaxed);
    c->watched.clear();
  }
  c->watch_dirty.store(false, std::memory_order_relaxed);
}

void WatchRegistry::Touch(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(key);
  if (it == clients_.end()) return;
  for (ClientInfo* c : it->second) c->watch_dirty.store(true, std::memory_order_release);
}

}  // namespace kvstore::server
