#!/usr/bin/env python3
# Copyright (c) the kvstore developers.
#
# Transactions against the real kvstore-server: MULTI/EXEC/DISCARD replies
# and error texts (Redis 7's), EXECABORT after queue-time errors, run-time
# errors in place, WATCH aborting EXEC when another client writes, the
# multi-max-queued-bytes limit, redis-py's transactional pipeline, atomicity
# seen by a concurrent reader, and all-or-nothing after kill -9.

import os
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402  (Debian: python3-redis)

from server_harness import (  # noqa: E402
    Server, assert_reads_never_torn, assert_units_whole_after_kill9, client, kill9_and_restart)

EXECABORT = "Transaction discarded because of previous errors."


def info_field(r, section, name):
    for line in r.execute_command("INFO", section).decode().splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1]
    return None


class MultiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        shutil.rmtree(cls.srv.tmp, ignore_errors=True)

    def setUp(self):
        self.r = client(self.srv)
        self.other = client(self.srv)
        self.r.execute_command("FLUSHALL")

    def tearDown(self):
        self.r.close()
        self.other.close()

    def x(self, *args):
        return self.r.execute_command(*args)

    def error_of(self, *args, r=None):
        with self.assertRaises(redis.exceptions.ResponseError) as cm:
            (r or self.r).execute_command(*args)
        return str(cm.exception)

    def test_exec_returns_each_reply_in_order(self):
        self.assertEqual(self.x("MULTI"), b"OK")
        self.assertEqual(self.x("SET", "a", "1"), b"QUEUED")
        self.assertEqual(self.x("INCR", "a"), b"QUEUED")
        self.assertEqual(self.x("GET", "a"), b"QUEUED")
        self.assertEqual(self.x("GET", "missing"), b"QUEUED")
        self.assertEqual(self.x("EXEC"), [b"OK", 2, b"2", None])
        self.assertEqual(self.x("MULTI"), b"OK")
        self.assertEqual(self.x("EXEC"), [])

    def test_run_time_error_is_replied_in_place_and_the_rest_runs(self):
        self.x("MULTI")
        self.x("SET", "a", "x")
        self.x("INCR", "a")
        self.x("SET", "b", "y")
        out = self.x("EXEC")
        self.assertEqual(out[0], b"OK")
        self.assertIsInstance(out[1], redis.exceptions.ResponseError)
        self.assertEqual(str(out[1]), "value is not an integer or out of range")
        self.assertEqual(out[2], b"OK")
        self.assertEqual(self.other.execute_command("MGET", "a", "b"), [b"x", b"y"])

    def test_queue_time_errors_abort_exec(self):
        for bad in (("NOSUCHCOMMAND", "x"), ("GET",), ("SAVE",), ("CONFIG", "NOSUCH")):
            self.x("MULTI")
            self.x("SET", "k", "v")
            self.error_of(*bad)
            self.assertEqual(self.x("SET", "k2", "v"), b"QUEUED")
            err = self.error_of("EXEC")
            self.assertEqual(err, EXECABORT, bad)
            self.assertEqual(self.other.execute_command("EXISTS", "k", "k2"), 0, bad)
            # The transaction is over.
            self.assertEqual(self.error_of("EXEC"), "EXEC without MULTI")

    def test_error_texts(self):
        self.assertEqual(self.error_of("EXEC"), "EXEC without MULTI")
        self.assertEqual(self.error_of("DISCARD"), "DISCARD without MULTI")
        self.x("MULTI")
        self.assertEqual(self.error_of("MULTI"), "MULTI calls can not be nested")
        self.assertEqual(self.error_of("WATCH", "k"), "WATCH inside MULTI is not allowed")
        self.assertEqual(self.error_of("SAVE"), "Command not allowed inside a transaction")
        self.assertEqual(self.error_of("SHUTDOWN"), "Command not allowed inside a transaction")
        self.assertEqual(self.x("DISCARD"), b"OK")
        # Nested MULTI and WATCH inside MULTI do not fail the transaction.
        self.x("MULTI")
        self.error_of("MULTI")
        self.error_of("WATCH", "k")
        self.x("SET", "k", "v")
        self.assertEqual(self.x("EXEC"), [b"OK"])
        self.assertEqual(self.r.ping(), b"PONG")  # SHUTDOWN above did not run

    def test_discard_drops_the_queue(self):
        self.x("MULTI")
        self.x("SET", "d", "1")
        self.assertEqual(self.x("DISCARD"), b"OK")
        self.assertIsNone(self.x("GET", "d"))
        self.assertEqual(self.error_of("EXEC"), "EXEC without MULTI")

    def test_watch_aborts_exec_when_another_client_writes(self):
        writes = [
            ("SET", "w", "same"),  # the same value still counts
            ("DEL", "w"),
            ("APPEND", "w", "x"),
            ("INCR", "n"),
            ("RENAME", "w", "elsewhere"),
            ("RENAME", "src", "w"),
            ("MSET", "q", "1", "w", "2"),
            ("FLUSHALL",),
            ("FLUSHDB",),
            ("GETDEL", "w"),
        ]
        for write in writes:
            self.other.execute_command("MSET", "w", "same", "n", "1", "src", "s")
            self.assertEqual(self.x("WATCH", "w", "n"), b"OK")
            self.other.execute_command(*write)
            self.x("MULTI")
            self.x("SET", "result", "ran")
            self.assertIsNone(self.x("EXEC"), write)
            self.assertIsNone(self.other.execute_command("GET", "result"), write)

    def test_watch_ignores_writes_that_change_nothing_watched(self):
        self.other.execute_command("SET", "w", "1")
        no_ops = [
            ("DEL", "absent"),
            ("DEL", "watched-absent"),
            ("SET", "other", "1"),
            ("SETNX", "w", "2"),  # w exists: SETNX writes nothing
            ("INCR", "w-string"),
        ]
        self.other.execute_command("SET", "w-string", "abc")
        for write in no_ops:
            self.x("WATCH", "w", "watched-absent")
            try:
                self.other.execute_command(*write)
            except redis.exceptions.ResponseError:
                pass
            self.x("MULTI")
            self.x("GET", "w")
            self.assertEqual(self.x("EXEC"), [b"1"], write)
        # FLUSHALL touches only watched keys that exist.
        self.x("WATCH", "watched-absent")
        self.other.execute_command("FLUSHALL")
        self.x("MULTI")
        self.x("PING")
        self.assertEqual(self.x("EXEC"), [b"PONG"])

    def test_exec_discard_unwatch_and_disconnect_clear_watches(self):
        self.assertEqual(info_field(self.r, "clients", "total_watched_keys"), "0")
        for end in ("EXEC", "DISCARD", "UNWATCH"):
            self.x("WATCH", "a", "b")
            self.assertEqual(info_field(self.r, "clients", "total_watched_keys"), "2")
            if end != "UNWATCH":
                self.x("MULTI")
            self.x(end)
            self.assertEqual(info_field(self.r, "clients", "total_watched_keys"), "0", end)
            # A later write does not abort the next transaction.
            self.other.execute_command("SET", "a", "1")
            self.x("MULTI")
            self.x("PING")
            self.assertEqual(self.x("EXEC"), [b"PONG"], end)
        # An aborted EXEC clears the watches and the dirty flag too.
        self.x("WATCH", "a")
        self.other.execute_command("SET", "a", "2")
        self.x("MULTI")
        self.assertIsNone(self.x("EXEC"))
        self.x("MULTI")
        self.assertEqual(self.x("EXEC"), [])
        # Disconnecting clients leave nothing behind, and writes to the keys
        # they watched still work.
        for i in range(50):
            c = client(self.srv)
            c.execute_command("WATCH", "a", "k%d" % i)
            c.close()
            c.connection_pool.disconnect()  # close() only returns it to the pool
        deadline = time.time() + 10
        while info_field(self.r, "clients", "total_watched_keys") != "0":
            self.assertLess(time.time(), deadline, "watches of closed clients remain")
            time.sleep(0.02)
        self.other.execute_command("SET", "a", "3")
        self.other.execute_command("SET", "k7", "3")

    def test_whole_keyspace_commands_see_the_transaction(self):
        self.other.execute_command("MSET", "a", "1", "b", "2")
        self.x("MULTI")
        self.x("SET", "c", "3")
        self.x("DBSIZE")
        self.x("KEYS", "*")
        self.x("FLUSHALL")
        self.x("DBSIZE")
        self.x("SET", "only", "1")
        self.x("SCAN", "0")
        self.x("RANDOMKEY")
        self.x("EXISTS", "a")
        out = self.x("EXEC")
        self.assertEqual(out[0], b"OK")
        self.assertEqual(out[1], 3)
        self.assertEqual(sorted(out[2]), [b"a", b"b", b"c"])
        self.assertEqual(out[3:6], [b"OK", 0, b"OK"])
        self.assertEqual(out[6], [b"0", [b"only"]])
        self.assertEqual(out[7:], [b"only", 0])
        self.assertEqual(self.other.execute_command("KEYS", "*"), [b"only"])

    def test_no_multi_commands_are_refused(self):
        self.x("MULTI")
        self.assertEqual(self.error_of("SAVE"), "Command not allowed inside a transaction")
        self.assertEqual(self.error_of("EXEC"), EXECABORT)

    def test_queued_bytes_limit(self):
        self.assertEqual(self.x("CONFIG", "GET", "multi-max-queued-bytes"),
                         [b"multi-max-queued-bytes", b"67108864"])
        self.x("CONFIG", "SET", "multi-max-queued-bytes", "4096")
        try:
            self.x("MULTI")
            self.assertEqual(self.x("SET", "small", "1"), b"QUEUED")
            err = self.error_of("SET", "big", "x" * 5000)
            self.assertTrue(err.startswith("transaction too large"), err)
            self.assertIn("multi-max-queued-bytes", err)
            self.assertEqual(self.x("PING"), b"QUEUED")
            self.assertEqual(self.error_of("EXEC"), EXECABORT)
            self.assertEqual(self.x("EXISTS", "small", "big"), 0)
            self.assertEqual(self.r.ping(), b"PONG")  # the connection is kept
            # Many small commands add up.
            self.x("MULTI")
            with self.assertRaises(redis.exceptions.ResponseError):
                for i in range(1000):
                    self.x("SET", "k%d" % i, "v" * 40)
            self.assertEqual(self.error_of("EXEC"), EXECABORT)
        finally:
            self.x("CONFIG", "SET", "multi-max-queued-bytes", "67108864")

    def test_commandstats_count_queued_commands_when_they_run(self):
        self.x("CONFIG", "RESETSTAT")
        self.x("MULTI")
        self.x("SET", "s", "x")
        self.x("INCR", "s")
        self.x("INCR", "s")
        stats = self.x("INFO", "commandstats").decode()
        self.assertNotIn("cmdstat_incr", stats)  # queued, not run
        self.x("EXEC")
        stats = self.x("INFO", "commandstats").decode()
        self.assertIn("cmdstat_set:calls=1,", stats)
        self.assertIn("cmdstat_incr:calls=2,", stats)
        self.assertRegex(stats, r"cmdstat_incr:calls=2,.*failed_calls=2")
        self.assertIn("cmdstat_exec:calls=1,", stats)

    def test_redis_py_pipeline(self):
        r = redis.Redis(port=self.srv.port)
        with r.pipeline() as p:  # transaction=True: MULTI ... EXEC
            p.set("p1", "a").incr("p2").get("p1").mget("p1", "p2")
            self.assertEqual(p.execute(), [True, 1, b"a", [b"a", b"1"]])
        # Optimistic locking: the watched key changes, execute() raises.
        with r.pipeline() as p:
            p.watch("p2")
            self.other.execute_command("INCR", "p2")
            p.multi()
            p.set("p3", "x")
            with self.assertRaises(redis.exceptions.WatchError):
                p.execute()
        self.assertIsNone(r.get("p3"))
        # The classic retry loop converges.
        def incr_twice(pipe):
            v = int(pipe.get("p2"))
            pipe.multi()
            pipe.set("p2", v + 2)
        r.transaction(incr_twice, "p2")
        self.assertEqual(r.get("p2"), b"4")
        r.close()

    def test_concurrent_reader_never_sees_part_of_a_transaction(self):
        def writes():
            for i in range(400):
                self.x("MULTI")
                if i % 3 == 0:
                    self.x("FLUSHALL")  # update_all: the whole keyspace
                self.x("SET", "a", str(i))
                self.x("SET", "filler%d" % (i % 10), "x" * 100)
                self.x("SET", "b", str(i))
                if i % 2 == 0:
                    self.x("SET", "n", str(i))
                else:
                    self.x("DEL", "n")
                self.assertEqual(len(self.x("EXEC")), 4 if i % 3 else 5)

        self.other.execute_command("MSET", "a", "0", "b", "0")
        assert_reads_never_torn(self, self.srv, ["a", "b", "n"],
                                lambda v: v[0] == v[1] and (v[2] is None or v[2] == v[0]),
                                writes)


class MultiCrashTest(unittest.TestCase):
    """kill -9: a transaction is all or nothing after restart."""

    def test_acknowledged_exec_survives_kill9(self):
        def load(srv):
            r = client(srv)
            r.execute_command("MULTI")
            for i in range(500):
                r.execute_command("SET", "k%d" % i, "v%d" % i)
            r.execute_command("FLUSHALL")  # an update_all batch with a clear op
            for i in range(500):
                r.execute_command("SET", "k%d" % i, "w%d" % i)
            self.assertEqual(len(r.execute_command("EXEC")), 1001)

        def check(r):
            self.assertEqual(r.execute_command("DBSIZE"), 500)
            vals = r.execute_command("MGET", *["k%d" % i for i in range(500)])
            self.assertEqual(vals, [b"w%d" % i for i in range(500)])

        kill9_and_restart(load, check)

    def test_transactions_in_flight_at_kill9_are_whole_or_absent(self):
        def write_unit(c, t):
            p = c.pipeline(transaction=True)
            for j in range(40):
                p.set("t%d:%d" % (t, j), "%d" % t)
            p.execute()

        assert_units_whole_after_kill9(self, write_unit,
                                       lambda t: ["t%d:%d" % (t, j) for j in range(40)])


if __name__ == "__main__":
    unittest.main(verbosity=1)
