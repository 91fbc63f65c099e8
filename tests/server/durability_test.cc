// Copyright (c) the kvstore developers.
//
// --sync always: a reply is sent only once the write it acknowledges is on
// stable storage. Commands write without waiting (the DurabilityBarrier
// collects their sequence numbers) and the I/O loop waits once per batch
// before sending. Checked on the barrier itself and end to end through a
// running server: whenever a client holds a reply, the store's durable
// sequence covers every write that reply acknowledged.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "command_fixture.h"
#include "server.h"

namespace kvstore::server {
namespace {

// A loopback port that was free a moment ago.
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(sa);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  close(fd);
  return ntohs(sa.sin_port);
}

class SyncAlwaysTest : public CommandFixture {
 protected:
  SyncAlwaysTest() {
    config_.sync = "always";
    config_.port = FreePort();
    config_.threads = 2;
  }
};

TEST_F(SyncAlwaysTest, CommandsDeferAndTheBarrierWaitsOnce) {
  const uint64_t before = store_->last_sequence();
  EXPECT_EQ(Run({"SET", "a", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"INCR", "n"}), ":1\r\n");
  EXPECT_EQ(Run({"MSET", "b", "2", "c", "3"}), "+OK\r\n");
  // The commands returned without waiting for their fdatasync...
  EXPECT_EQ(store_->last_sequence(), before + 3);
  EXPECT_LT(store_->durable_sequence(), store_->last_sequence());
  // ...and the barrier knows what the loop must wait for.
  EXPECT_TRUE(durability_->pending());
  EXPECT_EQ(durability_->highest(), store_->last_sequence());
  ASSERT_TRUE(durability_->Wait());
  EXPECT_GE(store_->durable_sequence(), before + 3);
  EXPECT_FALSE(durability_->pending());
  // A command that wrote nothing leaves nothing to wait for.
  EXPECT_EQ(Run({"GET", "a"}), "$1\r\n1\r\n");
  EXPECT_EQ(Run({"DEL", "nosuch"}), ":0\r\n");
  EXPECT_FALSE(durability_->pending());
}

class EverySecondTest : public CommandFixture {};

TEST_F(EverySecondTest, OtherModesNeverWait) {
  EXPECT_EQ(Run({"SET", "a", "1"}), "+OK\r\n");
  EXPECT_FALSE(durability_->pending());
}

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

std::string Cmd(std::initializer_list<std::string> args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

std::string ReadExactly(int fd, std::size_t n) {
  std::string got(n, '\0');
  std::size_t have = 0;
  while (have < n) {
    const ssize_t r = read(fd, got.data() + have, n - have);
    if (r <= 0) break;
    have += static_cast<std::size_t>(r);
  }
  got.resize(have);
  return got;
}

TEST_F(SyncAlwaysTest, ServerRepliesOnlyAfterTheWritesAreDurable) {
  const Config& cfg = state_->config;
  Server server(state_.get());
  std::string error;
  ASSERT_TRUE(server.Listen(&error)) << error;
  server.Start();
  const int a = Connect(cfg.port);
  const int b = Connect(cfg.port);
  for (int round = 0; round < 20; ++round) {
    // A pipelined batch (SETs are batched into one update) and single writes
    // of other kinds, from two clients at once.
    std::string batch, want;
    for (int i = 0; i < 50; ++i) {
      batch += Cmd({"SET", "k" + std::to_string(i), std::to_string(round)});
      want += "+OK\r\n";
    }
    batch += Cmd({"INCR", "counter"});
    ASSERT_EQ(write(a, batch.data(), batch.size()), static_cast<ssize_t>(batch.size()));
    const std::string single = Cmd({"APPEND", "log", "x"});
    ASSERT_EQ(write(b, single.data(), single.size()), static_cast<ssize_t>(single.size()));
    const std::string got_a = ReadExactly(a, want.size() + 1 + std::to_string(round + 1).size() + 2);
    // Every write client a's replies acknowledge is durable now.
    const uint64_t durable_after_a = store_->durable_sequence();
    const std::string got_b = ReadExactly(b, 1 + std::to_string(round + 1).size() + 2);
    const uint64_t durable_after_b = store_->durable_sequence();
    ASSERT_EQ(got_a, want + ":" + std::to_string(round + 1) + "\r\n");
    ASSERT_EQ(got_b, ":" + std::to_string(round + 1) + "\r\n");
    // Both replies were received, so both clients' writes are at or below
    // last_sequence() and must be durable; nobody else writes.
    const uint64_t last = store_->last_sequence();
    EXPECT_GE(std::max(durable_after_a, durable_after_b), last) << "round " << round;
  }
  close(a);
  close(b);
  server.Stop();
}

}  // namespace
}  // namespace kvstore::server
