#!/usr/bin/env python3
# Copyright (c) the kvstore developers.
#
# Pub/sub against the real kvstore-server: SUBSCRIBE/PSUBSCRIBE/PUBLISH across
# connections on different I/O threads, Redis 7's confirmation and message
# frames in RESP2 and RESP3 (push), counts, UNSUBSCRIBE without arguments,
# subscribed-mode errors, RESET and disconnect dropping subscriptions,
# SUBSCRIBE inside MULTI, PUBSUB's subcommands, INFO and CLIENT LIST fields,
# redis-py's pubsub() API, the order of 10,000 messages from one publisher,
# and client-output-buffer-limit disconnecting a subscriber that never reads
# while the server's memory stays bounded.

import os
import shutil
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402  (Debian: python3-redis)

from server_harness import Server, cmd, rss_kb  # noqa: E402

MODE_ERROR = ("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
              "RESET are allowed in this context")


class Conn:
    """A raw RESP connection (RESP2 or RESP3) that parses what the server
    sends; push frames are returned as ("push", [...])."""

    def __init__(self, srv, timeout=10):
        self.s = srv.connect(timeout=timeout)
        self.buf = b""

    def send(self, *args):
        self.s.sendall(cmd(*args))

    def call(self, *args):
        self.send(*args)
        return self.read()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the server")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the server")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return Exception(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"_":
            return None
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n).decode()
        if kind in (b"*", b">"):
            n = int(rest)
            items = None if n < 0 else [self.read() for _ in range(n)]
            return ("push", items) if kind == b">" else items
        if kind == b"%":
            return {self.read(): self.read() for _ in range(int(rest))}
        raise AssertionError("unexpected frame %r" % line)

    def close(self):
        self.s.close()


class PubSubTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--threads", "2")
        cls.r = redis.Redis(port=cls.srv.port, socket_timeout=20, decode_responses=True)

    @classmethod
    def tearDownClass(cls):
        cls.r.close()
        cls.srv.stop()
        shutil.rmtree(cls.srv.tmp, ignore_errors=True)

    def setUp(self):
        self.conns = []

    def tearDown(self):
        for c in self.conns:
            c.close()
        # Every subscription goes with its connection.
        deadline = time.time() + 5
        while time.time() < deadline and (self.r.pubsub_numpat() or self.r.pubsub_channels()):
            time.sleep(0.01)
        self.assertEqual(self.r.pubsub_numpat(), 0)
        self.assertEqual(self.r.pubsub_channels(), [])

    def conn(self):
        c = Conn(self.srv)
        self.conns.append(c)
        return c

    def slow_subscriber(self, channel):
        """A raw socket subscribed to channel, with a tiny receive buffer,
        that the test never reads from."""
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.settimeout(10)
        slow.connect(("127.0.0.1", self.srv.port))
        self.conns.append(slow)
        slow.sendall(cmd("SUBSCRIBE", channel))
        self.assertTrue(slow.recv(100).startswith(b"*3\r\n$9\r\nsubscribe"))
        return slow

    def test_publish_reaches_subscribers_on_every_thread(self):
        # Connections are dealt round-robin across the two I/O loops, so
        # consecutive ones live on different threads.
        subs = [self.conn() for _ in range(6)]
        for s in subs:
            self.assertEqual(s.call("SUBSCRIBE", "news", "sport"),
                             ["subscribe", "news", 1])
            self.assertEqual(s.read(), ["subscribe", "sport", 2])
        for pub in (self.conn(), self.conn()):  # one on each loop
            self.assertEqual(pub.call("PUBLISH", "news", "hello"), 6)
            self.assertEqual(pub.call("PUBLISH", "weather", "rain"), 0)
            for s in subs:
                self.assertEqual(s.read(), ["message", "news", "hello"])
        self.assertEqual(self.r.pubsub_numsub("news", "sport", "none"),
                         [("news", 6), ("sport", 6), ("none", 0)])
        self.assertEqual(sorted(self.r.pubsub_channels()), ["news", "sport"])
        self.assertEqual(self.r.pubsub_channels("n*"), ["news"])

    def test_patterns_and_counts(self):
        s = self.conn()
        self.assertEqual(s.call("PSUBSCRIBE", "foo.*", "bar.?"), ["psubscribe", "foo.*", 1])
        self.assertEqual(s.read(), ["psubscribe", "bar.?", 2])
        self.assertEqual(s.call("SUBSCRIBE", "foo.x"), ["subscribe", "foo.x", 3])
        self.assertEqual(s.call("PSUBSCRIBE", "foo.*"), ["psubscribe", "foo.*", 3])  # again
        # A client subscribed by name and by pattern gets both, counted twice.
        self.assertEqual(self.r.publish("foo.x", "m1"), 2)
        self.assertEqual(s.read(), ["message", "foo.x", "m1"])
        self.assertEqual(s.read(), ["pmessage", "foo.*", "foo.x", "m1"])
        self.assertEqual(self.r.publish("bar.1", "m2"), 1)
        self.assertEqual(self.r.publish("bar.12", "m3"), 0)
        self.assertEqual(s.read(), ["pmessage", "bar.?", "bar.1", "m2"])
        other = self.conn()
        other.call("PSUBSCRIBE", "foo.*")
        self.assertEqual(self.r.pubsub_numpat(), 2)  # distinct patterns
        info = self.r.info("stats")
        self.assertEqual(info["pubsub_channels"], 1)
        self.assertEqual(info["pubsub_patterns"], 2)
        self.assertEqual(s.call("PUNSUBSCRIBE", "foo.*", "nope"), ["punsubscribe", "foo.*", 2])
        self.assertEqual(s.read(), ["punsubscribe", "nope", 2])
        self.assertEqual(self.r.publish("foo.y", "m4"), 1)  # only `other` now
        self.assertEqual(other.read(), ["pmessage", "foo.*", "foo.y", "m4"])

    def test_unsubscribe_all(self):
        s = self.conn()
        s.call("SUBSCRIBE", "a", "b", "c")
        s.read()
        s.read()
        s.send("UNSUBSCRIBE")
        replies = [s.read() for _ in range(3)]
        self.assertEqual(sorted(r[1] for r in replies), ["a", "b", "c"])
        self.assertEqual(sorted(r[2] for r in replies), [0, 1, 2])
        self.assertTrue(all(r[0] == "unsubscribe" for r in replies))
        # Nothing left: one reply with a null channel, as Redis 7.
        self.assertEqual(s.call("UNSUBSCRIBE"), ["unsubscribe", None, 0])
        self.assertEqual(s.call("PUNSUBSCRIBE"), ["punsubscribe", None, 0])
        self.assertEqual(self.r.publish("a", "x"), 0)
        # Out of subscribed mode: every command again.
        self.assertEqual(s.call("PING"), "PONG")
        self.assertEqual(s.call("SET", "k", "v"), "OK")

    def test_subscribed_mode_resp2(self):
        s = self.conn()
        s.call("SUBSCRIBE", "ch")
        for args, name in ((("GET", "x"), "get"), (("CONFIG", "GET", "port"), "config|get"),
                           (("MULTI",), "multi")):
            err = s.call(*args)
            self.assertIsInstance(err, Exception)
            self.assertEqual(str(err), MODE_ERROR % name)
        self.assertEqual(s.call("PING"), ["pong", ""])
        self.assertEqual(s.call("PING", "hi"), ["pong", "hi"])
        self.assertEqual(s.call("PSUBSCRIBE", "x*"), ["psubscribe", "x*", 2])
        # RESET drops every subscription and leaves subscribed mode.
        self.assertEqual(s.call("RESET"), "RESET")
        self.assertEqual(s.call("GET", "x"), None)
        self.assertEqual(self.r.publish("ch", "m"), 0)
        self.assertEqual(self.r.publish("xy", "m"), 0)
        # QUIT is allowed, and closing drops the subscription.
        s.call("SUBSCRIBE", "ch")
        self.assertEqual(self.r.pubsub_numsub("ch"), [("ch", 1)])
        self.assertEqual(s.call("QUIT"), "OK")
        deadline = time.time() + 5
        while self.r.pubsub_numsub("ch") != [("ch", 0)] and time.time() < deadline:
            time.sleep(0.01)
        self.assertEqual(self.r.pubsub_numsub("ch"), [("ch", 0)])

    def test_resp3_push_frames(self):
        s = self.conn()
        self.assertEqual(s.call("HELLO", "3")["proto"], 3)
        self.assertEqual(s.call("SUBSCRIBE", "ch"), ("push", ["subscribe", "ch", 1]))
        self.assertEqual(s.call("PSUBSCRIBE", "c*"), ("push", ["psubscribe", "c*", 2]))
        # Any command is allowed in RESP3, with its usual reply.
        self.assertEqual(s.call("SET", "k", "v"), "OK")
        self.assertEqual(s.call("PING"), "PONG")
        self.assertEqual(self.r.publish("ch", "hi"), 2)
        self.assertEqual(s.read(), ("push", ["message", "ch", "hi"]))
        self.assertEqual(s.read(), ("push", ["pmessage", "c*", "ch", "hi"]))
        # Publishing to itself: the pushes come before PUBLISH's reply.
        s.send("PUBLISH", "ch", "self")
        self.assertEqual(s.read(), ("push", ["message", "ch", "self"]))
        self.assertEqual(s.read(), ("push", ["pmessage", "c*", "ch", "self"]))
        self.assertEqual(s.read(), 2)
        self.assertEqual(s.call("UNSUBSCRIBE"), ("push", ["unsubscribe", "ch", 1]))
        self.assertEqual(s.call("PUNSUBSCRIBE"), ("push", ["punsubscribe", "c*", 0]))
        self.assertEqual(s.call("UNSUBSCRIBE"), ("push", ["unsubscribe", None, 0]))

    def test_subscribe_inside_multi(self):
        # Redis 7.0 queues SUBSCRIBE and runs it in EXEC, whose array then
        # counts the command once and holds one confirmation per channel.
        s = self.conn()
        self.assertEqual(s.call("MULTI"), "OK")
        self.assertEqual(s.call("SUBSCRIBE", "a"), "QUEUED")
        self.assertEqual(s.call("EXEC"), [["subscribe", "a", 1]])
        self.assertEqual(self.r.publish("a", "m"), 1)
        self.assertEqual(s.read(), ["message", "a", "m"])
        # A command refused in subscribed mode inside MULTI is refused
        # before it is queued (MULTI itself is refused).
        self.assertIsInstance(s.call("MULTI"), Exception)

    def test_shard_channels(self):
        s = self.conn()
        self.assertEqual(s.call("SSUBSCRIBE", "sh"), ["ssubscribe", "sh", 1])
        self.assertEqual(s.call("SUBSCRIBE", "sh"), ["subscribe", "sh", 1])  # its own count
        self.assertEqual(self.r.execute_command("SPUBLISH", "sh", "m"), 1)
        self.assertEqual(s.read(), ["smessage", "sh", "m"])
        self.assertEqual(self.r.execute_command("PUBSUB", "SHARDCHANNELS"), ["sh"])
        self.assertEqual(self.r.execute_command("PUBSUB", "SHARDNUMSUB", "sh"), ["sh", 1])
        self.assertEqual(s.call("SUNSUBSCRIBE"), ["sunsubscribe", "sh", 0])
        self.assertEqual(self.r.execute_command("SPUBLISH", "sh", "m"), 0)

    def test_pubsub_command_errors_and_help(self):
        with self.assertRaises(redis.ResponseError) as cm:
            self.r.execute_command("PUBSUB", "CHANNELS", "a", "b")
        self.assertEqual(str(cm.exception),
                         "unknown subcommand or wrong number of arguments for 'CHANNELS'. "
                         "Try PUBSUB HELP.")
        with self.assertRaises(redis.ResponseError) as cm:
            self.r.execute_command("PUBSUB", "NUMPAT", "x")
        self.assertEqual(str(cm.exception),
                         "wrong number of arguments for 'pubsub|numpat' command")
        with self.assertRaises(redis.ResponseError) as cm:
            self.r.execute_command("SUBSCRIBE")
        self.assertEqual(str(cm.exception), "wrong number of arguments for 'subscribe' command")
        helplines = self.r.execute_command("PUBSUB", "HELP")
        self.assertTrue(helplines[0].startswith("PUBSUB <subcommand>"))
        self.assertIn("NUMSUB [<channel> ...]", helplines)
        info = self.conn().call("COMMAND", "INFO", "subscribe", "publish")
        self.assertEqual(info[0][:3], ["subscribe", -2, ["pubsub", "noscript", "loading", "stale"]])
        self.assertEqual(info[1][:3], ["publish", 3, ["pubsub", "loading", "stale", "fast"]])

    def test_client_list_fields(self):
        s = self.conn()
        s.call("SUBSCRIBE", "a", "b")
        s.read()
        s.call("PSUBSCRIBE", "p*")
        s.send("CLIENT", "ID")  # refused in subscribed mode: find it by its fields
        s.read()
        lines = [l for l in self.r.execute_command("CLIENT", "LIST").splitlines()
                 if " sub=2 " in l]
        self.assertEqual(len(lines), 1)
        self.assertIn(" psub=1 ", lines[0])
        self.assertIn(" flags=P ", lines[0])
        # Redis's client types: a client with a subscription is of type pubsub.
        pubsub = self.r.execute_command("CLIENT", "LIST", "TYPE", "pubsub").splitlines()
        self.assertEqual(len(pubsub), 1)
        self.assertIn(" sub=2 ", pubsub[0])
        normal = self.r.execute_command("CLIENT", "LIST", "TYPE", "normal")
        self.assertNotIn(" sub=2 ", normal)
        self.assertIn(" sub=0 ", normal)  # this test's own client
        self.assertEqual(self.r.execute_command("CLIENT", "LIST", "TYPE", "replica"), "")
        with self.assertRaises(redis.ResponseError) as cm:
            self.r.execute_command("CLIENT", "LIST", "TYPE", "foo")
        self.assertEqual(str(cm.exception), "Unknown client type 'foo'")

    def test_redis_py_pubsub_api(self):
        p = self.r.pubsub()
        received = []
        p.subscribe("plain", **{"handled": lambda m: received.append(m["data"])})
        p.psubscribe("pat.*")
        for _ in range(3):  # the confirmations
            m = p.get_message(timeout=5)
            self.assertIn(m["type"], ("subscribe", "psubscribe"))
        self.assertEqual(self.r.publish("plain", "one"), 1)
        self.assertEqual(self.r.publish("pat.x", "two"), 1)
        self.assertEqual(self.r.publish("handled", "three"), 1)
        m = p.get_message(timeout=5)
        self.assertEqual((m["type"], m["channel"], m["data"]), ("message", "plain", "one"))
        m = p.get_message(timeout=5)
        self.assertEqual((m["type"], m["pattern"], m["channel"], m["data"]),
                         ("pmessage", "pat.*", "pat.x", "two"))
        self.assertIsNone(p.get_message(timeout=5))  # went to the handler
        self.assertEqual(received, ["three"])
        p.unsubscribe()
        p.punsubscribe()
        types = set()
        for _ in range(3):
            types.add(p.get_message(timeout=5)["type"])
        self.assertEqual(types, {"unsubscribe", "punsubscribe"})
        p.close()

    def test_order_of_many_messages(self):
        sub = self.conn()
        pub = self.conn()  # the next connection: the other I/O thread
        sub.call("SUBSCRIBE", "seq")
        n = 10000
        batch = b"".join(cmd("PUBLISH", "seq", str(i)) for i in range(n))
        pub.s.sendall(batch)
        for i in range(n):
            self.assertEqual(sub.read(), ["message", "seq", str(i)])
        for _ in range(n):
            self.assertEqual(pub.read(), 1)

    def test_slow_subscriber_is_disconnected(self):
        self.r.config_set("client-output-buffer-limit", "pubsub 1mb 512kb 1")
        try:
            self.assertEqual(self.r.config_get("client-output-buffer-limit"),
                             {"client-output-buffer-limit":
                              "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 524288 1"})
            slow = self.slow_subscriber("flood")
            pub = self.conn()
            rss_before = rss_kb(self.srv.proc.pid)
            # 100 MB published; without the limit the server would hold it all.
            payload = "x" * 10000
            batch = b"".join(cmd("PUBLISH", "flood", payload) for _ in range(100))
            delivered = 0
            for _ in range(100):
                pub.s.sendall(batch)
                delivered += sum(pub.read() for _ in range(100))
            self.assertLess(delivered, 10000)  # disconnected part way
            self.assertEqual(self.r.pubsub_numsub("flood"), [("flood", 0)])
            grown_mb = (rss_kb(self.srv.proc.pid) - rss_before) / 1024
            self.assertLess(grown_mb, 16, "RSS grew by %.0f MB" % grown_mb)
            # The subscriber's socket ends after what was sent before.
            got, closed = 0, False
            deadline = time.time() + 10
            while time.time() < deadline:
                try:
                    chunk = slow.recv(1 << 20)
                except ConnectionResetError:
                    closed = True
                    break
                if not chunk:
                    closed = True
                    break
                got += len(chunk)
            self.assertTrue(closed)
            self.assertLess(got, 16 << 20)
            # Other clients never noticed.
            self.assertTrue(self.r.set("k", "v"))
            self.assertEqual(self.r.get("k"), "v")
            self.assertEqual(pub.call("PING"), "PONG")
        finally:
            self.r.config_set("client-output-buffer-limit",
                              "pubsub 33554432 8388608 60")

    def test_soft_limit_needs_its_seconds(self):
        # No hard limit: a subscriber past the soft limit is closed only once
        # it has stayed past it for longer than the seconds given.
        self.r.config_set("client-output-buffer-limit", "pubsub 0 256kb 1")
        try:
            self.slow_subscriber("soft")
            payload = "y" * 10000
            batch = b"".join(cmd("PUBLISH", "soft", payload) for _ in range(100))
            pub = self.conn()
            start = time.time()
            while time.time() - start < 10:
                pub.s.sendall(batch)
                if sum(pub.read() for _ in range(100)) < 100:
                    break
                time.sleep(0.05)
            took = time.time() - start
            self.assertGreater(took, 1.0)
            self.assertLess(took, 10)
            self.assertEqual(self.r.pubsub_numsub("soft"), [("soft", 0)])
        finally:
            self.r.config_set("client-output-buffer-limit",
                              "pubsub 33554432 8388608 60")

    def test_config_errors(self):
        for value, why in (("pubsub 1mb 512kb", "Wrong number of arguments"),
                           ("master 1 1 1", "Invalid client class"),
                           ("pubsub x 1 1", "Error in hard, soft or soft_seconds"),
                           ("pubsub 1 1 -1", "Error in hard, soft or soft_seconds")):
            with self.assertRaises(redis.ResponseError) as cm:
                self.r.config_set("client-output-buffer-limit", value)
            self.assertIn(why, str(cm.exception))
        self.r.config_set("client-output-buffer-limit", "replica 1mb 512kb 1")
        self.assertEqual(self.r.config_get("client-output-buffer-limit"),
                         {"client-output-buffer-limit":
                          "normal 0 0 0 slave 1048576 524288 1 pubsub 33554432 8388608 60"})
        self.r.config_set("client-output-buffer-limit", "slave 268435456 67108864 60")


if __name__ == "__main__":
    unittest.main()
