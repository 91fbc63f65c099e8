// Copyright (c) the kvstore developers.
//
// CommandFixture: the server's command layer without a socket. It opens a
// store in a fresh temporary directory, builds the ServerState and a
// Dispatcher as an I/O loop does, and runs one argv at a time, returning the
// exact RESP bytes of the reply.

#ifndef KVSTORE_TESTS_SERVER_COMMAND_FIXTURE_H_
#define KVSTORE_TESTS_SERVER_COMMAND_FIXTURE_H_

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dispatcher.h"
#include "durability.h"
#include "kvstore/kvstore.h"
#include "server_state.h"
#include "support/temp_dir.h"

namespace kvstore::server {

// Redis's reply to a command on a key of the wrong type (without the '-').
inline constexpr char kWrongType[] =
    "WRONGTYPE Operation against a key holding the wrong kind of value";

// The bulk strings of a flat reply ("*n", "~n" or "%n" then bulks), in order.
inline std::vector<std::string> Bulks(const std::string& reply) {
  std::vector<std::string> out;
  std::size_t pos = reply.find("\r\n") + 2;
  while (pos < reply.size()) {
    EXPECT_EQ(reply[pos], '$') << reply;
    const std::size_t nl = reply.find("\r\n", pos);
    const std::size_t len = std::stoul(reply.substr(pos + 1, nl - pos - 1));
    out.push_back(reply.substr(nl + 2, len));
    pos = nl + 2 + len + 2;
  }
  return out;
}

class CommandFixture : public ::testing::Test {
 protected:
  // Subclasses may change these before SetUp() runs (in their constructor).
  Config config_;
  std::function<int64_t()> clock_;  // the store's clock (Options::clock); empty: real time

  void SetUp() override {
    Options options;
    options.sync = config_.sync_mode();
    options.checkpoint.on_close = false;
    options.log_level = LogLevel::kOff;
    options.clock = clock_;
    auto opened = KvStore::open_dir(dir_.path(), options);
    ASSERT_TRUE(opened) << opened.error().message();
    store_ = std::make_unique<KvStore>(std::move(opened).value());
    config_.dir = dir_.path();  // FUNCTION LOAD keeps its libraries here
    state_ = std::make_unique<ServerState>(config_, store_.get());
    state_->maxclients.store(config_.maxclients);
    state_->timeout.store(config_.timeout);
    state_->thread_stats.push_back(std::make_unique<ThreadStats>());
    durability_ = std::make_unique<DurabilityBarrier>(store_.get());
    dispatcher_ = std::make_unique<Dispatcher>(*state_, *state_->thread_stats[0], *durability_);
    client_.id = 7;
  }

  void TearDown() override {
    if (store_) (void)store_->close();
  }

  // Runs one command; returns its reply's RESP bytes.
  std::string Run(const std::vector<std::string>& argv) {
    std::vector<std::string_view> views(argv.begin(), argv.end());
    std::string out;
    ReplyWriter reply(&out, client_.protocol.load(), &state_->thread_stats[0]->errors);
    dispatcher_->Execute(client_, views, reply);
    return out;
  }

  // "CONFIG GET name" for one parameter: its value.
  std::string ConfigGet(const std::string& name) {
    const std::string r = Run({"CONFIG", "GET", name});
    const std::string head = "*2\r\n" + Bulk(name);
    EXPECT_EQ(r.substr(0, head.size()), head) << r;
    const std::string rest = r.substr(head.size());
    const auto nl = rest.find("\r\n");
    return rest.substr(nl + 2, rest.size() - nl - 4);
  }

  // An error reply's text ("ERR ..."), or "" (and a test failure) if the
  // reply was not an error.
  std::string Err(const std::vector<std::string>& argv) {
    const std::string r = Run(argv);
    EXPECT_TRUE(r.size() > 3 && r[0] == '-') << r;
    if (r.size() < 3 || r[0] != '-') return "";
    return r.substr(1, r.size() - 3);
  }

  static std::string Bulk(std::string_view s) {
    return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
  }
  static std::string Int(int64_t v) { return ":" + std::to_string(v) + "\r\n"; }

  testing::TempDir dir_;
  std::unique_ptr<KvStore> store_;
  std::unique_ptr<ServerState> state_;
  std::unique_ptr<DurabilityBarrier> durability_;
  std::unique_ptr<Dispatcher> dispatcher_;
  ClientInfo client_;
};

}  // namespace kvstore::server

#endif  // KVSTORE_TESTS_SERVER_COMMAND_FIXTURE_H_
