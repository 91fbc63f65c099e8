// Copyright (c) the kvstore developers.
//
// The pub/sub registry without sockets: who receives what, the exact frames
// in RESP2 and RESP3, the delivery queue's wake-ups, and the pubsub class of
// client-output-buffer-limit (parsing and enforcement).

#include "pubsub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>

namespace kvstore::server {
namespace {

struct Client {
  explicit Client(DeliveryQueue* queue, int proto = 2) : protocol(proto), ps(&protocol) {
    ps.Attach(queue, this);
  }
  std::string Take() {
    std::string out;
    EXPECT_TRUE(ps.TakeMessages(&out));
    return out;
  }
  std::atomic<int> protocol;
  PubSubClient ps;
};

TEST(PubSub, ChannelsPatternsAndFrames) {
  int wakes = 0;
  DeliveryQueue queue([&wakes] { ++wakes; });
  PubSub reg;
  Client a(&queue), b(&queue, 3);
  EXPECT_TRUE(reg.Subscribe(&a.ps, PubSubKind::kChannel, "news"));
  EXPECT_FALSE(reg.Subscribe(&a.ps, PubSubKind::kChannel, "news"));
  EXPECT_TRUE(reg.Subscribe(&a.ps, PubSubKind::kPattern, "n*"));
  EXPECT_TRUE(reg.Subscribe(&b.ps, PubSubKind::kPattern, "n*"));
  EXPECT_EQ(a.ps.channels_and_patterns(), 2u);
  EXPECT_EQ(reg.Size(PubSubKind::kPattern), 1u);  // distinct patterns
  EXPECT_EQ(reg.NumSub(PubSubKind::kChannel, "news"), 1);

  EXPECT_EQ(reg.Publish(PubSubKind::kChannel, "news", "hi"), 3);
  EXPECT_EQ(reg.Publish(PubSubKind::kChannel, "other", "x"), 0);
  EXPECT_EQ(reg.Publish(PubSubKind::kShard, "news", "x"), 0);  // a namespace of its own
  EXPECT_EQ(a.Take(),
            "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
            "*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
  EXPECT_EQ(b.Take(), ">4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
  // Each client was queued once, and the loop woken once for the batch.
  EXPECT_EQ(queue.Take().size(), 2u);
  EXPECT_EQ(wakes, 1);

  reg.UnsubscribeAll(&a.ps);
  EXPECT_FALSE(a.ps.subscribed());
  EXPECT_FALSE(reg.Unsubscribe(&a.ps, PubSubKind::kChannel, "news"));
  EXPECT_EQ(reg.Publish(PubSubKind::kChannel, "news", "hi"), 1);
  EXPECT_TRUE(reg.Unsubscribe(&b.ps, PubSubKind::kPattern, "n*"));
  EXPECT_EQ(reg.Size(PubSubKind::kPattern), 0u);
  EXPECT_TRUE(reg.Channels(PubSubKind::kChannel, nullptr).empty());
}

TEST(PubSub, HardLimitFreesTheMailbox) {
  DeliveryQueue queue(nullptr);
  PubSub reg;
  reg.limits().Set("pubsub 1000 0 0");
  Client c(&queue);
  reg.Subscribe(&c.ps, PubSubKind::kChannel, "ch");
  const std::string payload(300, 'x');
  for (int i = 0; i < 10; ++i) reg.Publish(PubSubKind::kChannel, "ch", payload);
  std::string out;
  EXPECT_FALSE(c.ps.TakeMessages(&out));  // past 1000 bytes: to be closed
  EXPECT_TRUE(out.empty());
  // Unsent bytes count too: a new client with 900 unsent bytes fits no message.
  Client d(&queue);
  reg.Subscribe(&d.ps, PubSubKind::kChannel, "ch2");
  d.ps.set_unsent(900);
  reg.Publish(PubSubKind::kChannel, "ch2", payload);
  EXPECT_FALSE(d.ps.TakeMessages(&out));
}

TEST(OutputBufferLimits, ParseAndReport) {
  OutputBufferLimits l;
  EXPECT_EQ(l.ToString(), "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
  EXPECT_EQ(OutputBufferLimits::Check("pubsub 1mb 512kb 1"), "");
  EXPECT_EQ(OutputBufferLimits::Check(""), "");
  EXPECT_EQ(OutputBufferLimits::Check("pubsub 1mb 512kb"),
            "Wrong number of arguments in buffer limit configuration.");
  EXPECT_EQ(OutputBufferLimits::Check("master 1 1 1"),
            "Invalid client class specified in buffer limit configuration.");
  EXPECT_EQ(OutputBufferLimits::Check("pubsub 1 1 -1"),
            "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
  l.Set("pubsub 1mb 512kb 1 replica 1 2 3");
  EXPECT_EQ(l.ToString(), "normal 0 0 0 slave 1 2 3 pubsub 1048576 524288 1");
  const OutputBufferLimits::Limit p = l.Get(OutputBufferLimits::kPubsub);
  EXPECT_EQ(p.hard, 1048576u);
  EXPECT_EQ(p.soft, 524288u);
  EXPECT_EQ(p.soft_seconds, 1);
}

// Redis's rule, shared by subscribers and normal clients: the hard limit at
// once, the soft one only after its seconds, and a client back under the
// soft limit starts afresh.
TEST(OutputBufferCheck, HardAndSoftLimits) {
  const OutputBufferLimits::Limit limit{1000, 500, 2};
  OutputBufferCheck check;
  EXPECT_FALSE(check.Over(limit, 999, 1000));
  EXPECT_TRUE(check.Over(limit, 1000, 1000));
  OutputBufferCheck soft;
  EXPECT_FALSE(soft.Over(limit, 600, 10000));  // the clock starts
  EXPECT_FALSE(soft.Over(limit, 600, 12000));  // 2 s: not longer than the seconds
  EXPECT_TRUE(soft.Over(limit, 600, 12001));
  OutputBufferCheck back;
  EXPECT_FALSE(back.Over(limit, 600, 10000));
  EXPECT_FALSE(back.Over(limit, 100, 11000));  // under again: the clock stops
  EXPECT_FALSE(back.Over(limit, 600, 12500));  // and starts afresh
  EXPECT_FALSE(back.Over(limit, 600, 14000));
  EXPECT_TRUE(back.Over(limit, 600, 14501));
  OutputBufferCheck none;
  EXPECT_FALSE(none.Over(OutputBufferLimits::Limit{0, 0, 0}, uint64_t{1} << 40, 0));
}

}  // namespace
}  // namespace kvstore::server
