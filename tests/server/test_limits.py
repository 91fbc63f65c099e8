#!/usr/bin/env python3
# Copyright (c) the kvstore developers.
#
# Hostile sizes against the real kvstore-server, each of which must neither
# crash it nor grow its memory without bound, with Redis 7.0's behaviour:
# an LRANGE reply past the normal class of client-output-buffer-limit (the
# client is closed, the server's memory stays near the limit, the data
# survives), a ZUNIONSTORE of two large sorted sets (working memory within
# twice the inputs'), a long pipeline of BLPOPs from one client (one waiter; the
# rest stays unparsed input, served in order once elements come), and an
# HSET of a million field/value pairs (accepted, as Redis 7 takes up to
# INT_MAX arguments; a longer multibulk count is a protocol error that
# closes the connection after its reply).
#
# Sizes are CI-sized; LIMITS_SCALE multiplies the sorted sets' and the
# pipeline's sizes (17: 10.2 million members in all) for the figures in
# docs/SERVER.md's Limits section.

import os
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_harness import (Conn, Server, cmd, proc_status_kb,  # noqa: E402
                            recv_until_closed, rss_kb)

SCALE = int(os.environ.get("LIMITS_SCALE", "1"))


def mb(kb):
    return kb / 1024.0


class LimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server("--sync", "no", "--save", "")
        cls.r = Conn(cls.srv, timeout=60)

    @classmethod
    def tearDownClass(cls):
        cls.r.close()
        cls.srv.stop()
        shutil.rmtree(cls.srv.tmp, ignore_errors=True)

    def setUp(self):
        self.assertEqual(self.r.call("FLUSHALL"), b"+OK")

    def call(self, *args):
        return self.r.call(*args)

    def fill_list(self, key, n, size):
        """RPUSHes n elements of `size` bytes to key, 1000 per command."""
        per = 1000
        element = "e" * size
        pipeline = b"".join(cmd("RPUSH", key, *([element] * per)) for _ in range(n // per))
        self.r.sock.sendall(pipeline)
        for _ in range(n // per):
            self.r.reply()
        self.assertEqual(self.call("LLEN", key), n)

    # ---- 1. client-output-buffer-limit normal ----

    def test_lrange_past_normal_hard_limit_closes_the_client(self):
        n, size = 400000, 100  # a reply of about 42 MB
        self.fill_list("big", n, size)
        self.assertEqual(self.call("CONFIG", "SET", "client-output-buffer-limit",
                                   "normal 4mb 2mb 10"), b"+OK")
        try:
            for stop in ("-1", "2147483648"):
                before = rss_kb(self.srv.proc.pid)
                c = self.srv.connect(timeout=10)
                # Not read until the whole reply would have been built.
                c.sendall(cmd("LRANGE", "big", "0", stop))
                time.sleep(1.5)
                grown = mb(rss_kb(self.srv.proc.pid) - before)
                got = recv_until_closed(c, timeout=10)
                c.close()
                # Without the limit the reply (42 MB) would be built whole.
                self.assertLess(grown, 24, "RSS grew by %.0f MB" % grown)
                # Closed before anything of the reply is sent, as Redis does.
                self.assertEqual(got, b"")
            # The data and the other clients survive.
            self.assertEqual(self.call("LLEN", "big"), n)
            self.assertEqual(self.call("LINDEX", "big", "-1"), b"e" * size)
            self.assertIn(b"past client-output-buffer-limit (normal)",
                          self.srv.output().encode())
            # Many small replies add up the same way (pipelined, never read).
            c = self.srv.connect(timeout=10)
            c.sendall(b"".join(cmd("LRANGE", "big", "0", "999") for _ in range(100)))
            got = recv_until_closed(c, timeout=10)
            c.close()
            self.assertLess(len(got), 12 << 20)  # 100 replies of 103 KB: cut
        finally:
            self.assertEqual(self.call("CONFIG", "SET", "client-output-buffer-limit",
                                       "normal 0 0 0"), b"+OK")
        # With Redis's default (no limit) the same reply arrives whole.
        c = Conn(self.srv, timeout=30)
        reply = c.call("LRANGE", "big", "0", "-1")
        c.close()
        self.assertEqual(len(reply), n)
        self.assertEqual(reply[-1], b"e" * size)

    def test_reply_under_the_limit_is_sent(self):
        self.fill_list("l", 10000, 100)
        self.assertEqual(self.call("CONFIG", "SET", "client-output-buffer-limit",
                                   "normal 4mb 2mb 10"), b"+OK")
        try:
            reply = self.call("LRANGE", "l", "0", "-1")  # about 1 MB
            self.assertEqual(len(reply), 10000)
            self.assertEqual(self.call("PING"), b"+PONG")
        finally:
            self.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0")

    def test_random_picks_with_repeats_stop_at_the_limit(self):
        # HRANDFIELD / SRANDMEMBER / ZRANDMEMBER with a negative count draw
        # -count picks with repeats: far more than the value holds. Past the
        # limit the drawing stops, so the client is closed at once and the
        # server neither builds the picks first nor spends minutes drawing
        # into a discarded reply.
        self.call("HSET", "h", "f1", "v1", "f2", "v2")
        self.call("SADD", "s", "m1", "m2", "x")
        self.call("ZADD", "z", "1", "m1", "2", "m2")
        self.assertEqual(self.call("CONFIG", "SET", "client-output-buffer-limit",
                                   "normal 1mb 512kb 10"), b"+OK")
        try:
            for command in (("HRANDFIELD", "h", "-300000000", "WITHVALUES"),
                            ("SRANDMEMBER", "s", "-300000000"),
                            ("ZRANDMEMBER", "z", "-300000000", "WITHSCORES")):
                before = rss_kb(self.srv.proc.pid)
                start = time.time()
                c = self.srv.connect(timeout=30)
                c.sendall(cmd(*command))
                got = recv_until_closed(c, timeout=30)
                c.close()
                took = time.time() - start
                grown = mb(rss_kb(self.srv.proc.pid) - before)
                self.assertEqual(got, b"", command[0])
                self.assertLess(took, 10, "%s took %.1f s" % (command[0], took))
                self.assertLess(grown, 64, "%s: RSS grew by %.0f MB" % (command[0], grown))
                self.assertEqual(self.call("PING"), b"+PONG")
        finally:
            self.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0")
        self.assertEqual(self.call("ZCARD", "z"), 2)

    # ---- 2. ZUNIONSTORE of large sorted sets ----

    def test_zunionstore_of_large_sets(self):
        # A server of its own, so that its VmHWM is this test's.
        srv = Server("--sync", "no", "--save", "")
        try:
            self.zunionstore_of_large_sets(srv, 300000 * SCALE)
        finally:
            srv.stop(timeout=20 * SCALE)  # shutting down writes the sets out
            shutil.rmtree(srv.tmp, ignore_errors=True)

    def zunionstore_of_large_sets(self, srv, n):
        """Two sorted sets of n members, half of them in both, stored as
        their union."""
        r = Conn(srv, timeout=600)
        empty = rss_kb(srv.proc.pid)
        per = 1000
        for key, offset in (("za", 0), ("zb", n // 2)):
            for start in range(0, n, per * 50):
                batch = []
                for s in range(start, min(n, start + per * 50), per):
                    args = []
                    for i in range(s, s + per):
                        args += [str(i), "member:%d" % (i + offset)]
                    batch.append(cmd("ZADD", key, *args))
                r.sock.sendall(b"".join(batch))
                for _ in batch:
                    r.reply()
        self.assertEqual(r.call("ZCARD", "za"), n)
        pid = srv.proc.pid
        time.sleep(0.5)
        base = rss_kb(pid)
        hwm_before = proc_status_kb(pid, "VmHWM")
        start = time.time()
        self.assertEqual(r.call("ZUNIONSTORE", "zu", "2", "za", "zb"), n + n // 2)
        took = time.time() - start
        after = rss_kb(pid)
        inputs = base - empty  # what the two sets hold
        hwm = proc_status_kb(pid, "VmHWM")
        peak = hwm - base  # the most the command held at once
        print("\nZUNIONSTORE of 2 x %d members (%d in the result): %.1f s; RSS %.0f MB before, "
              "%.0f MB after, VmHWM %.0f MB (was %.0f MB)"
              % (n, n + n // 2, took, mb(base), mb(after), mb(hwm), mb(hwm_before)),
              file=sys.stderr)
        # Scores add up where the sets overlap: member:k is in za with
        # score k and in zb with score k - n/2.
        self.assertEqual(r.call("ZSCORE", "zu", "member:%d" % (3 * n // 4)), b"%d" % n)
        self.assertEqual(r.call("ZSCORE", "zu", "member:%d" % n), b"%d" % (n // 2))
        self.assertEqual(r.call("ZCARD", "zu"), n + n // 2)
        # The result holds 3/4 of the inputs' members; the command's working
        # memory stays within twice the inputs' (a copy of every member per
        # step, or worse, would exceed it).
        self.assertGreater(inputs, 0)
        self.assertLess(peak, 2 * inputs + 32 * 1024,
                        "peak %.0f MB for inputs of %.0f MB" % (mb(peak), mb(inputs)))
        r.close()

    # ---- 3. a long pipeline of BLPOPs ----

    def test_pipelined_blpops_wait_as_unparsed_input(self):
        n = 100000 * SCALE
        before = rss_kb(self.srv.proc.pid)
        waiter = Conn(self.srv, timeout=60)
        pipeline = cmd("BLPOP", "q", "0") * n
        waiter.sock.sendall(pipeline)
        # One waiter; the rest of the pipeline waits unparsed.
        deadline = time.time() + 10
        while time.time() < deadline:
            info = self.call("INFO", "clients").decode()
            if "blocked_clients:1" in info:
                break
            time.sleep(0.05)
        self.assertIn("blocked_clients:1\r\n", info)
        grown = mb(rss_kb(self.srv.proc.pid) - before)
        print("\n%d pipelined BLPOPs (%.0f MB): RSS grew by %.1f MB"
              % (n, len(pipeline) / (1 << 20), grown), file=sys.stderr)
        # The input itself is n * 32 bytes (3.2 MB for 100,000).
        self.assertLess(grown, 3 * len(pipeline) / (1 << 20) + 16,
                        "RSS grew by %.0f MB" % grown)
        # Elements come from another client, some one at a time, the rest
        # in one push: each BLPOP takes one, in order.
        singles = 100
        for i in range(singles):
            self.assertGreaterEqual(self.call("RPUSH", "q", "v%d" % i), 1)
        self.assertGreaterEqual(self.call("RPUSH", "q", *["v%d" % i for i in range(singles, n)]),
                                n - singles - 1)
        start = time.time()
        for i in range(n):
            self.assertEqual(waiter.reply(), [b"q", b"v%d" % i])
        print("served in order in %.1f s" % (time.time() - start), file=sys.stderr)
        self.assertEqual(waiter.call("PING"), b"+PONG")  # the connection survives
        self.assertEqual(self.call("LLEN", "q"), 0)
        waiter.close()

    def test_query_buffer_limit_closes_a_blocked_client(self):
        self.assertEqual(self.call("CONFIG", "SET", "client-query-buffer-limit", "1mb"), b"+OK")
        try:
            c = self.srv.connect(timeout=10)
            c.sendall(cmd("BLPOP", "q2", "0") * 100000)  # 3.2 MB
            got = recv_until_closed(c, timeout=10)
            c.close()
            self.assertEqual(got, b"")  # closed without a reply, as Redis
            self.assertIn(b"exceeds client-query-buffer-limit", self.srv.output().encode())
            self.assertEqual(self.call("RPUSH", "q2", "x"), 1)  # nobody waits any more
        finally:
            self.call("CONFIG", "SET", "client-query-buffer-limit", "1gb")

    # ---- 4. multibulk length ----

    def test_hset_of_a_million_pairs(self):
        n = 1000000
        args = [b"HSET", b"h"]
        for i in range(n):
            args.append(b"f%d" % i)
            args.append(b"v%d" % i)
        self.assertEqual(self.r.call(*args), n)  # 2,000,002 arguments
        self.assertEqual(self.call("HLEN", "h"), n)
        self.assertEqual(self.call("HGET", "h", "f999999"), b"v999999")

    def test_multibulk_length_past_int_max_is_a_protocol_error(self):
        c = self.srv.connect(timeout=10)
        c.sendall(b"*2147483648\r\n$4\r\nPING\r\n")
        self.assertEqual(recv_until_closed(c, timeout=10),
                         b"-ERR Protocol error: invalid multibulk length\r\n")
        c.close()
        # INT_MAX itself is accepted (and waits for its arguments).
        c = Conn(self.srv, timeout=1)
        c.sock.sendall(b"*2147483647\r\n$4\r\nPING\r\n")
        with self.assertRaises(OSError):
            c.reply()
        c.close()
        self.assertEqual(self.call("PING"), b"+PONG")


if __name__ == "__main__":
    unittest.main()
