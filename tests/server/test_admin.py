#!/usr/bin/env python3
# Copyright (c) the kvstore developers.
#
# Integration tests of kvstore-server's introspection and administration
# over real connections: INFO as redis-py parses it, counters summed across
# I/O threads, CONFIG SET parameters that change what the server does
# (appendfsync, proto-max-bulk-len, client-query-buffer-limit, timeout,
# maxclients), startup flags and CONFIG REWRITE of the runtime parameters,
# SLOWLOG with client addresses and names, WAITAOF. Error texts are Redis
# 7's (checked against redis-server 7.0 side by side).
#
#   KVSTORE_SERVER=build/server/kvstore-server python3 tests/server/test_admin.py

import os
import shutil
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402  (Debian: python3-redis)

from server_harness import RedisCase, Server, cmd, recv_until_closed  # noqa: E402


class Admin(RedisCase):
    """One server shared by the tests; each restores what it changes."""

    @classmethod
    def setUpClass(cls):
        cls.start(sync=None)  # the server's default sync mode

    def err(self, *args):
        with self.assertRaises(redis.ResponseError) as cm:
            self.x.execute_command(*args)
        return str(cm.exception)

    def test_info_parses_and_sums_every_thread(self):
        self.r.config_resetstat()
        # Several connections land on both I/O threads (--threads 2).
        clients = [redis.Redis(port=self.srv.port) for _ in range(4)]
        try:
            for c in clients:
                c.set("k", "v")
                with self.assertRaises(redis.ResponseError):
                    c.execute_command("INCR", "k")
                with self.assertRaises(redis.ResponseError):
                    c.execute_command("GET")
        finally:
            for c in clients:
                c.close()
        info = self.r.info("everything")
        self.assertEqual(info["errorstat_ERR"], "count=8")  # redis-py leaves it as text
        self.assertEqual(info["total_error_replies"], 8)
        self.assertEqual(info["cmdstat_incr"]["calls"], 4)
        self.assertEqual(info["cmdstat_incr"]["failed_calls"], 4)
        self.assertEqual(info["cmdstat_get"]["rejected_calls"], 4)
        self.assertEqual(info["cmdstat_get"]["calls"], 0)
        for field in ("used_cpu_sys", "used_cpu_user", "used_cpu_sys_children",
                      "used_cpu_user_children", "used_cpu_sys_main_thread",
                      "used_cpu_user_main_thread"):
            self.assertIsInstance(info[field], float, field)
        self.assertEqual(info["redis_mode"], "standalone")
        self.assertEqual(info["role"], "master")
        self.assertEqual(info["cluster_enabled"], 0)
        self.assertGreaterEqual(info["master_repl_offset"], 4)
        self.assertEqual(info["db0"]["keys"], 1)
        default = self.r.info()
        self.assertIn("errorstat_ERR", default)
        self.assertNotIn("cmdstat_incr", default)
        text = self.x.execute_command("INFO", "cpu", "memory").decode()
        self.assertTrue(text.startswith("# Memory\r\n"), text[:20])
        self.assertIn("\r\n# CPU\r\n", text)
        self.assertNotIn("# Server", text)

    def test_instantaneous_ops_per_sec_follows_the_load(self):
        deadline = time.time() + 4
        while time.time() < deadline:
            for _ in range(50):
                self.r.ping()
            if self.r.info("stats")["instantaneous_ops_per_sec"] > 0:
                break
        self.assertGreater(self.r.info("stats")["instantaneous_ops_per_sec"], 0)

    def test_appendfsync_at_runtime(self):
        try:
            self.assertTrue(self.r.config_set("appendfsync", "always"))
            before = self.r.info("persistence")["wal_syncs"]
            for i in range(5):
                self.r.set("k%d" % i, "v")
            p = self.r.info("persistence")
            self.assertEqual(p["aof_fsync"], "always")
            self.assertEqual(p["wal_durable_sequence"], p["wal_last_sequence"])
            self.assertGreaterEqual(p["wal_syncs"] - before, 5)
            self.assertTrue(self.r.config_set("appendfsync", "no"))
            before = self.r.info("persistence")["wal_syncs"]
            for i in range(5):
                self.r.set("k%d" % i, "w")
            p = self.r.info("persistence")
            self.assertEqual(p["wal_syncs"], before)
            self.assertLess(p["wal_durable_sequence"], p["wal_last_sequence"])
            # WAITAOF 1 makes this client's writes durable even so; the
            # first element of another client's, which wrote nothing, is
            # 1 at once (nothing of its own to wait for).
            self.assertEqual(self.r.execute_command("WAITAOF", "0", "0", "0"), [0, 0])
            self.assertEqual(self.x.execute_command("WAITAOF", "0", "0", "0"), [1, 0])
            p = self.r.info("persistence")
            self.assertLess(p["wal_durable_sequence"], p["wal_last_sequence"])
            self.assertEqual(self.r.execute_command("WAITAOF", "1", "0", "100"), [1, 0])
            p = self.r.info("persistence")
            self.assertEqual(p["wal_durable_sequence"], p["wal_last_sequence"])
        finally:
            self.r.config_set("appendfsync", "everysec")
        self.assertEqual(self.r.config_get("appendfsync"), {"appendfsync": "everysec"})

    def test_proto_max_bulk_len_applies_to_open_connections(self):
        s = self.srv.connect()
        try:
            s.sendall(cmd("PING"))
            self.assertEqual(s.recv(100), b"+PONG\r\n")
            self.assertTrue(self.r.config_set("proto-max-bulk-len", "1mb"))
            s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n")
            self.assertEqual(recv_until_closed(s),
                             b"-ERR Protocol error: invalid bulk length\r\n")
        finally:
            s.close()
            self.r.config_set("proto-max-bulk-len", "512mb")
        self.assertEqual(self.r.config_get("proto-max-bulk-len"),
                         {"proto-max-bulk-len": str(512 << 20)})

    def test_client_query_buffer_limit_at_runtime(self):
        s = self.srv.connect()
        try:
            self.assertTrue(self.r.config_set("client-query-buffer-limit", "1mb"))
            # An incomplete 3 MB argument: the buffer passes the limit.
            s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n")
            try:
                for _ in range(3):
                    s.sendall(b"x" * 1000000)
            except OSError:
                pass  # closed while sending: what the test expects
            self.assertEqual(recv_until_closed(s), b"")
        finally:
            s.close()
            self.r.config_set("client-query-buffer-limit", "1gb")
        self.assertEqual(self.r.ping(), True)

    def test_timeout_and_maxclients_at_runtime(self):
        # A server of its own: idle clients of the shared one must not be closed.
        srv = Server()
        r = redis.Redis(port=srv.port)
        try:
            self.assertTrue(r.config_set("maxclients", "1"))
            s = srv.connect()
            self.assertEqual(recv_until_closed(s), b"-ERR max number of clients reached\r\n")
            s.close()
            self.assertTrue(r.config_set("maxclients", "10"))
            idle = srv.connect()
            self.assertTrue(r.config_set("timeout", "1"))
            start = time.time()
            self.assertEqual(recv_until_closed(idle, timeout=10), b"")
            self.assertLess(time.time() - start, 6)
            idle.close()
        finally:
            r.close()
            srv.stop()
            shutil.rmtree(srv.tmp, ignore_errors=True)

    def test_slowlog_names_the_client(self):
        c = redis.Redis(port=self.srv.port, client_name="reporter")
        try:
            self.r.slowlog_reset()
            self.assertTrue(self.r.config_set("slowlog-log-slower-than", "0"))
            c.set("slow", "x" * 300)
            entries = self.x.execute_command("SLOWLOG", "GET", "-1")
            mine = [e for e in entries if e[3][0] == b"set"]
            self.assertEqual(len(mine), 1)
            self.assertEqual(mine[0][3][:2], [b"set", b"slow"])
            self.assertEqual(mine[0][3][2], b"x" * 128 + b"... (172 more bytes)")
            self.assertEqual(mine[0][5], b"reporter")
            self.assertTrue(mine[0][4].startswith(b"127.0.0.1:"))
            self.assertEqual(self.err("SLOWLOG", "GET", "1", "2"),
                             "unknown subcommand or wrong number of arguments for 'get'. "
                             "Try SLOWLOG HELP.")
        finally:
            c.close()
            self.r.config_set("slowlog-log-slower-than", "10000")
            self.r.slowlog_reset()

    def test_config_set_errors_and_atomicity(self):
        self.assertTrue(self.r.config_set("save", ""))
        self.assertEqual(self.r.config_get("save"), {"save": ""})
        self.assertEqual(self.err("CONFIG", "SET", "hz", "50", "maxmemory", "-1"),
                         "CONFIG SET failed (possibly related to argument 'maxmemory') - "
                         "argument must be a memory value")
        self.assertEqual(self.r.config_get("hz"), {"hz": "10"})
        self.assertEqual(self.err("CONFIG", "SET", "port", "1"),
                         "CONFIG SET failed (possibly related to argument 'port') - can't set "
                         "immutable config")
        self.assertEqual(self.x.execute_command("CONFIG", "SET", "hz", "50", "maxmemory", "2mb",
                                                "notify-keyspace-events", "KEA"), b"OK")
        self.assertEqual(self.r.info("server")["hz"], 50)
        self.assertEqual(self.r.info("memory")["maxmemory"], 2 << 20)
        self.assertEqual(self.r.config_get("notify-keyspace-events"),
                         {"notify-keyspace-events": "AKE"})
        self.x.execute_command("CONFIG", "SET", "hz", "10", "maxmemory", "0",
                               "notify-keyspace-events", "", "save", "3600 1 300 100 60 10000")

    def test_object_memory_copy(self):
        self.r.set("n", 12345)
        self.r.set("s", "hello")
        self.assertEqual(self.x.execute_command("OBJECT", "ENCODING", "n"), b"int")
        self.assertEqual(self.x.execute_command("OBJECT", "ENCODING", "s"), b"embstr")
        self.assertIsNone(self.x.execute_command("OBJECT", "ENCODING", "none"))
        self.assertGreater(self.r.memory_usage("s"), len("s") + len("hello"))
        self.assertIsNone(self.r.memory_usage("none"))
        self.assertEqual(self.r.copy("s", "t"), True)
        self.assertEqual(self.r.get("t"), b"hello")
        self.assertEqual(self.err("COPY", "s", "u", "DB", "1"), "DB index is out of range")
        self.assertEqual(self.r.touch("s", "t", "none"), 2)
        self.assertEqual(self.r.unlink("s", "t", "n"), 3)
        self.assertEqual(self.r.dbsize(), 0)


class Startup(unittest.TestCase):
    """Runtime parameters given as flags or in the config file."""

    def test_flags_and_rewrite_round_trip(self):
        tmp = tempfile.mkdtemp(prefix="kvsrv-conf-")
        conf = os.path.join(tmp, "kvstore.conf")
        with open(conf, "w") as f:
            f.write("hz 20\nsave \"\"\nslowlog-max-len 5\n")
        srv = Server("--config", conf, "--maxmemory", "1mb")
        try:
            r = redis.Redis(port=srv.port)
            self.assertEqual(r.config_get("hz"), {"hz": "20"})
            self.assertEqual(r.config_get("save"), {"save": ""})
            self.assertEqual(r.config_get("maxmemory"), {"maxmemory": str(1 << 20)})
            self.assertTrue(r.config_set("notify-keyspace-events", "Ex"))
            self.assertTrue(r.config_set("slowlog-log-slower-than", "-1"))
            self.assertTrue(r.config_rewrite())
            r.close()
        finally:
            srv.stop()
        # The rewritten file starts a server with the same settings.
        srv = Server("--config", conf, data_dir=os.path.join(tmp, "data2"))
        try:
            r = redis.Redis(port=srv.port)
            self.assertEqual(r.config_get("notify-keyspace-events"),
                             {"notify-keyspace-events": "xE"})
            self.assertEqual(r.config_get("slowlog-log-slower-than"),
                             {"slowlog-log-slower-than": "-1"})
            self.assertEqual(r.config_get("hz"), {"hz": "20"})
            r.close()
        finally:
            srv.stop()
            shutil.rmtree(tmp, ignore_errors=True)

    def test_bad_runtime_flag_is_refused(self):
        tmp = tempfile.mkdtemp(prefix="kvsrv-bad-")
        try:
            srv = Server("--save", "10", data_dir=os.path.join(tmp, "d"), wait=False)
            self.assertEqual(srv.proc.wait(10), 2)
            self.assertIn("--save '10': Invalid save parameters", srv.output())
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
