#!/usr/bin/env python3
# Copyright (c) the kvstore developers.
#
# Integration tests of kvstore-server: the real binary on a free port with a
# temporary data directory, driven by redis-py, raw sockets and redis-cli.
# Error texts are compared with Redis 7's exactly (checked against
# redis-server 7.0 side by side when these tests were written).
#
#   KVSTORE_SERVER=build/server/kvstore-server python3 tests/server/test_server.py

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402  (Debian: python3-redis)

from server_harness import (RedisCase, Server, cmd, free_port, recv_exactly,  # noqa: E402
                            recv_until_closed)


class Commands(RedisCase):
    """Every command's replies and error texts, on one shared server."""

    @classmethod
    def setUpClass(cls):
        cls.metrics_port = free_port()
        cls.start("--metrics-port", str(cls.metrics_port), sync=None)

    def test_ping_echo_time_select(self):
        self.assertEqual(self.x.execute_command("PING"), b"PONG")
        self.assertEqual(self.x.execute_command("PING", "hi"), b"hi")
        self.assertEqual(self.err("PING", "a", "b"), "wrong number of arguments for 'ping' command")
        self.assertEqual(self.r.echo("x\x00y"), b"x\x00y")
        sec, usec = self.x.execute_command("TIME")
        self.assertLess(abs(int(sec) - time.time()), 5)
        self.assertLess(int(usec), 1000000)
        self.assertEqual(self.x.execute_command("SELECT", "0"), b"OK")
        self.assertEqual(self.err("SELECT", "1"), "DB index is out of range")
        self.assertEqual(self.err("SELECT", "x"), "value is not an integer or out of range")

    def test_unknown_and_arity(self):
        self.assertEqual(self.err("FOO", "a", "b"),
                         "unknown command 'FOO', with args beginning with: 'a' 'b' ")
        self.assertEqual(self.err("foo"), "unknown command 'foo', with args beginning with: ")
        self.assertEqual(self.err("GET"), "wrong number of arguments for 'get' command")
        self.assertEqual(self.err("get", "a", "b"), "wrong number of arguments for 'get' command")
        self.assertEqual(self.err("MSET", "a"), "wrong number of arguments for 'mset' command")
        self.assertEqual(self.err("MSET", "a", "1", "b"), "wrong number of arguments for 'mset' command")

    def test_get_set_options(self):
        r, x = self.r, self.x
        self.assertIsNone(r.get("k"))
        self.assertTrue(r.set("k", "v"))
        self.assertEqual(r.get("k"), b"v")
        self.assertIsNone(x.execute_command("SET", "k", "w", "NX"))
        self.assertEqual(r.get("k"), b"v")
        self.assertIsNone(x.execute_command("SET", "new", "w", "XX"))
        self.assertIsNone(r.get("new"))
        self.assertEqual(x.execute_command("SET", "k", "w", "XX"), b"OK")
        self.assertEqual(x.execute_command("SET", "k", "x", "GET"), b"w")
        self.assertIsNone(x.execute_command("SET", "fresh", "1", "GET"))
        self.assertEqual(x.execute_command("SET", "k", "y", "NX", "GET"), b"x")
        self.assertEqual(r.get("k"), b"x")
        self.assertEqual(x.execute_command("SET", "k", "z", "KEEPTTL"), b"OK")
        self.assertEqual(self.err("SET", "k", "v", "NX", "XX"), "syntax error")
        self.assertEqual(self.err("SET", "k", "v", "EX"), "syntax error")
        self.assertEqual(self.err("SET", "k", "v", "BOGUS"), "syntax error")
        self.assertEqual(self.err("SET", "k", "v", "EX", "x"), "value is not an integer or out of range")
        self.assertEqual(self.err("SET", "k", "v", "EX", "0"), "invalid expire time in 'set' command")
        self.assertEqual(r.get("k"), b"z")  # a refused SET writes nothing
        self.assertEqual(x.execute_command("SET", "k", "v", "PX", "100000"), b"OK")
        self.assertTrue(99000 < x.execute_command("PTTL", "k") <= 100000)

    def test_binary_safe(self):
        key = b"\x00k\r\n\xff"
        val = bytes(range(256)) * 40
        self.r.set(key, val)
        self.assertEqual(self.r.get(key), val)
        self.assertEqual(self.r.strlen(key), len(val))

    def test_setnx_getset_getdel(self):
        r, x = self.r, self.x
        self.assertEqual(x.execute_command("SETNX", "a", "1"), 1)
        self.assertEqual(x.execute_command("SETNX", "a", "2"), 0)
        self.assertEqual(x.execute_command("GETSET", "a", "3"), b"1")
        self.assertIsNone(x.execute_command("GETSET", "b", "1"))
        self.assertEqual(x.execute_command("GETDEL", "a"), b"3")
        self.assertIsNone(x.execute_command("GETDEL", "a"))
        self.assertEqual(r.exists("a"), 0)

    def test_multi_key(self):
        r, x = self.r, self.x
        self.assertEqual(x.execute_command("MSET", "a", "1", "b", "2", "a", "3"), b"OK")
        self.assertEqual(r.mget("a", "b", "c"), [b"3", b"2", None])
        self.assertEqual(x.execute_command("MSETNX", "c", "1", "a", "9"), 0)
        self.assertIsNone(r.get("c"))
        self.assertEqual(x.execute_command("MSETNX", "c", "1", "d", "2"), 1)
        self.assertEqual(r.exists("a", "a", "zz"), 2)
        self.assertEqual(x.execute_command("DEL", "a", "a", "b", "zz"), 2)
        self.assertEqual(x.execute_command("DEL", "c"), 1)
        self.assertEqual(x.execute_command("DEL", "c"), 0)
        self.assertEqual(r.dbsize(), 1)

    def test_append_strlen_ranges(self):
        r, x = self.r, self.x
        self.assertEqual(r.append("s", "Hello"), 5)
        self.assertEqual(r.append("s", " World"), 11)
        self.assertEqual(r.strlen("s"), 11)
        self.assertEqual(r.strlen("none"), 0)
        self.assertEqual(r.getrange("s", 0, 4), b"Hello")
        self.assertEqual(r.getrange("s", -5, -1), b"World")
        self.assertEqual(r.getrange("s", 5, 2), b"")
        self.assertEqual(r.getrange("s", 0, 100), b"Hello World")
        self.assertEqual(r.getrange("s", -1, -5), b"")
        self.assertEqual(r.getrange("none", 0, -1), b"")
        self.assertEqual(self.err("GETRANGE", "s", "a", "1"), "value is not an integer or out of range")
        self.assertEqual(r.setrange("s", 6, "Redis"), 11)
        self.assertEqual(r.get("s"), b"Hello Redis")
        self.assertEqual(r.setrange("pad", 3, "x"), 4)
        self.assertEqual(r.get("pad"), b"\x00\x00\x00x")
        self.assertEqual(r.setrange("empty", 5, ""), 0)
        self.assertEqual(r.exists("empty"), 0)
        self.assertEqual(self.err("SETRANGE", "s", "-1", "x"), "offset is out of range")
        self.assertEqual(self.err("SETRANGE", "s", "536870911", "xx"),
                         "string exceeds maximum allowed size (proto-max-bulk-len)")

    def test_incr_family(self):
        r, x = self.r, self.x
        self.assertEqual(r.incr("n"), 1)
        self.assertEqual(x.execute_command("INCRBY", "n", "10"), 11)
        self.assertEqual(x.execute_command("DECR", "n"), 10)
        self.assertEqual(x.execute_command("DECRBY", "n", "20"), -10)
        r.set("s", "abc")
        self.assertEqual(self.err("INCR", "s"), "value is not an integer or out of range")
        r.set("s", " 1")
        self.assertEqual(self.err("INCR", "s"), "value is not an integer or out of range")
        self.assertEqual(self.err("INCRBY", "n", "1.5"), "value is not an integer or out of range")
        r.set("m", str(2**63 - 1))
        self.assertEqual(self.err("INCR", "m"), "increment or decrement would overflow")
        self.assertEqual(r.get("m"), str(2**63 - 1).encode())
        self.assertEqual(self.err("DECRBY", "m", str(-2**63)), "decrement would overflow")
        r.set("f", "10.50")
        self.assertEqual(x.execute_command("INCRBYFLOAT", "f", "0.1"), b"10.6")
        self.assertEqual(x.execute_command("INCRBYFLOAT", "f", "-5.6"), b"5")
        self.assertEqual(x.execute_command("INCRBYFLOAT", "g", "5.0e3"), b"5000")
        self.assertEqual(self.err("INCRBYFLOAT", "f", "x"), "value is not a valid float")
        r.set("s", "abc")
        self.assertEqual(self.err("INCRBYFLOAT", "s", "1"), "value is not a valid float")

    def test_incr_is_atomic_across_clients(self):
        def work():
            c = redis.Redis(port=self.srv.port)
            for _ in range(300):
                c.incr("counter")
            c.close()
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(self.r.get("counter"), b"1200")

    def test_keys_scan_randomkey_type(self):
        r, x = self.r, self.x
        self.assertIsNone(r.randomkey())
        for i in range(50):
            r.set("user:%d" % i, i)
        r.set("other", 1)
        self.assertEqual(len(r.keys("*")), 51)
        self.assertEqual(sorted(r.keys("user:1?")), sorted(b"user:1%d" % i for i in range(10)))
        self.assertEqual(r.keys("nomatch*"), [])
        seen, cursor = [], 0
        while True:
            cursor, keys = r.scan(cursor, match="user:*", count=7)
            seen += keys
            if cursor == 0:
                break
        self.assertEqual(sorted(seen), sorted(b"user:%d" % i for i in range(50)))
        self.assertEqual(x.execute_command("SCAN", "0", "TYPE", "list", "COUNT", "1000")[1], [])
        self.assertEqual(len(x.execute_command("SCAN", "0", "TYPE", "string", "COUNT", "1000")[1]), 51)
        self.assertEqual(self.err("SCAN", "x"), "invalid cursor")
        self.assertEqual(self.err("SCAN", "0", "COUNT", "0"), "syntax error")
        self.assertEqual(self.err("SCAN", "0", "FOO", "1"), "syntax error")
        self.assertIn(r.randomkey(), set(r.keys("*")))
        self.assertEqual(r.type("other"), b"string")
        self.assertEqual(r.type("missing"), b"none")

    def test_rename(self):
        r, x = self.r, self.x
        r.set("a", "1")
        self.assertTrue(r.rename("a", "b"))
        self.assertEqual(r.get("b"), b"1")
        self.assertIsNone(r.get("a"))
        self.assertEqual(self.err("RENAME", "a", "c"), "no such key")
        self.assertEqual(x.execute_command("RENAME", "b", "b"), b"OK")
        r.set("c", "2")
        self.assertEqual(x.execute_command("RENAMENX", "b", "c"), 0)
        self.assertEqual(x.execute_command("RENAMENX", "b", "d"), 1)
        self.assertEqual(r.get("d"), b"1")
        self.assertEqual(self.err("RENAMENX", "zz", "d"), "no such key")

    def test_flush(self):
        self.r.set("a", 1)
        self.assertEqual(self.x.execute_command("FLUSHDB"), b"OK")
        self.assertEqual(self.r.dbsize(), 0)
        self.r.set("a", 1)
        self.assertEqual(self.x.execute_command("FLUSHALL", "ASYNC"), b"OK")
        self.assertEqual(self.r.dbsize(), 0)
        self.assertEqual(self.err("FLUSHALL", "NOW"), "syntax error")

    def test_save_bgsave_lastsave(self):
        self.r.set("a", 1)
        self.assertEqual(self.x.execute_command("SAVE"), b"OK")
        last = self.r.lastsave()
        self.assertLess(abs(last.timestamp() - time.time()), 10)
        self.assertEqual(self.x.execute_command("BGSAVE"), b"Background saving started")
        deadline = time.time() + 10
        while self.r.info("persistence")["rdb_bgsave_in_progress"] and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.err("BGSAVE", "x"), "syntax error")

    def test_info(self):
        self.r.set("a", 1)
        self.r.get("a")
        info = self.r.info()
        for field in ("redis_version", "connected_clients", "used_memory", "rdb_last_save_time",
                      "total_commands_processed", "keyspace_hits", "db0"):
            self.assertIn(field, info)
        self.assertEqual(info["db0"]["keys"], 1)
        self.assertNotIn("cmdstat_get", info)
        self.assertIn("cmdstat_get", self.r.info("all"))
        self.assertIn("cmdstat_set", self.r.info("commandstats"))
        text = self.x.execute_command("INFO", "server", "clients").decode()
        self.assertTrue(text.startswith("# Server\r\n"), text[:20])
        self.assertIn("# Clients\r\n", text)
        self.assertNotIn("# Memory", text)
        self.assertEqual(self.x.execute_command("INFO", "nosuchsection"), b"")
        self.assertEqual(self.x.execute_command("CONFIG", "RESETSTAT"), b"OK")
        self.assertNotIn("cmdstat_get", self.r.info("commandstats"))
        self.assertEqual(self.r.info("commandstats")["cmdstat_info"]["calls"], 1)
        default = self.x.execute_command("INFO", "default").decode()
        self.assertIn("# Keyspace", default)
        self.assertNotIn("# Commandstats", default)

    def test_config(self):
        r, x = self.r, self.x
        self.assertEqual(r.config_get("maxclients"), {"maxclients": "10000"})
        self.assertEqual(r.config_get("port"), {"port": str(self.srv.port)})
        self.assertEqual(r.config_get("save")["save"], "3600 1 300 100 60 10000")
        self.assertEqual(r.config_get("appendonly"), {"appendonly": "yes"})
        self.assertEqual(r.config_get("databases"), {"databases": "1"})
        self.assertEqual(set(r.config_get("max*")), {"maxclients", "maxmemory", "maxmemory-policy"})
        self.assertEqual(r.config_get("nosuchparam"), {})
        self.assertEqual(x.execute_command("CONFIG", "GET", "port", "dir")[::2], [b"port", b"dir"])
        self.assertEqual(self.err("CONFIG", "SET", "nosuch", "1"),
                         "Unknown option or number of arguments for CONFIG SET - 'nosuch'")
        self.assertEqual(self.err("CONFIG", "SET", "port", "1"),
                         "CONFIG SET failed (possibly related to argument 'port') - can't set immutable config")
        self.assertEqual(self.err("CONFIG", "SET", "maxclients", "x"),
                         "CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer")
        self.assertEqual(self.err("CONFIG", "GET"), "wrong number of arguments for 'config|get' command")
        self.assertEqual(self.err("CONFIG", "FOO"), "unknown subcommand 'FOO'. Try CONFIG HELP.")
        self.assertTrue(r.config_set("maxclients", "5000"))
        self.assertEqual(r.config_get("maxclients"), {"maxclients": "5000"})
        r.config_set("maxclients", "10000")

    def test_command(self):
        n = self.x.execute_command("COMMAND", "COUNT")
        self.assertGreaterEqual(n, 40)
        self.assertEqual(len(self.x.execute_command("COMMAND")), n)
        info = self.x.execute_command("COMMAND", "INFO", "get", "nosuch")
        self.assertEqual(info[0][:2], [b"get", 2])
        self.assertIsNone(info[1])
        docs = self.x.execute_command("COMMAND", "DOCS", "set")
        self.assertEqual(docs[0], b"set")

    def test_client(self):
        r, x = self.r, self.x
        self.assertIsNone(r.client_getname())
        self.assertTrue(r.client_setname("worker-1"))
        self.assertEqual(r.client_getname(), "worker-1")
        self.assertIsInstance(r.client_id(), int)
        other = redis.Redis(port=self.srv.port)
        other.ping()
        listing = r.client_list()
        self.assertGreaterEqual(len(listing), 2)
        self.assertIn("worker-1", [c["name"] for c in listing])
        other.close()
        self.assertEqual(self.err("CLIENT", "SETNAME", "a b"),
                         "Client names cannot contain spaces, newlines or special characters.")
        self.assertEqual(self.err("CLIENT", "FOO"), "unknown subcommand 'FOO'. Try CLIENT HELP.")
        self.assertEqual(self.err("AUTH", "x"),
                         "AUTH <password> called without any password configured for the default user. "
                         "Are you sure your configuration is correct?")

    def test_hello_resp3(self):
        s = self.srv.connect()
        s.sendall(cmd("HELLO", "3") + cmd("GET", "missing") + cmd("CONFIG", "GET", "port") +
                  cmd("HELLO", "2") + cmd("GET", "missing"))
        data = b""
        s.settimeout(5)
        while not data.endswith(b"$-1\r\n"):
            data += s.recv(65536)
        self.assertTrue(data.startswith(b"%8\r\n$6\r\nserver\r\n$5\r\nredis\r\n"), data[:40])
        self.assertIn(b"$5\r\nproto\r\n:3\r\n", data)
        self.assertIn(b"_\r\n%1\r\n$4\r\nport\r\n", data)
        self.assertIn(b"*16\r\n", data)  # HELLO 2's reply: a flat array
        s.close()
        s = self.srv.connect()
        s.sendall(cmd("HELLO", "4") + cmd("HELLO", "x"))
        want = (b"-NOPROTO unsupported protocol version\r\n"
                b"-ERR Protocol version is not an integer or out of range\r\n")
        self.assertEqual(recv_exactly(s, len(want)), want)
        s.close()

    def test_pipelining_and_inline(self):
        s = self.srv.connect()
        batch = b"".join(cmd("SET", "p%d" % i, "v%d" % i) for i in range(1000))
        batch += b"".join(cmd("GET", "p%d" % i) for i in range(1000))
        s.sendall(batch)
        want = b"+OK\r\n" * 1000 + b"".join(b"$%d\r\nv%d\r\n" % (len(str(i)) + 1, i) for i in range(1000))
        self.assertEqual(recv_exactly(s, len(want)), want)
        s.sendall(b'SET "in line" "a\\x41\\n"\r\nGET "in line"\r\n\r\nPING\n')
        want = b"+OK\r\n$3\r\naA\n\r\n+PONG\r\n"
        self.assertEqual(recv_exactly(s, len(want)), want)
        s.close()

    def test_pipelined_sets_keep_order_and_stats(self):
        # Runs of plain SETs are executed as one batch; replies, order and
        # statistics must be as if each ran alone.
        self.x.execute_command("CONFIG", "RESETSTAT")
        s = self.srv.connect()
        s.sendall(cmd("SET", "a", "1") + cmd("SET", "a", "2") + cmd("GET", "a") +
                  cmd("SET", "b", "x") + cmd("SET", "a", "3") + cmd("set", "big", "v" * 70000) +
                  cmd("INCR", "c") + cmd("SET", "a", "4", "XX") + cmd("GET", "a") + cmd("SET", "d"))
        want = (b"+OK\r\n+OK\r\n$1\r\n2\r\n+OK\r\n+OK\r\n+OK\r\n:1\r\n+OK\r\n$1\r\n4\r\n"
                b"-ERR wrong number of arguments for 'set' command\r\n")
        self.assertEqual(recv_exactly(s, len(want)), want)
        s.close()
        self.assertEqual(self.r.get("big"), b"v" * 70000)
        stats = self.r.info("commandstats")["cmdstat_set"]
        # Six ran (five of them batched); the arity error is rejected before
        # running, which Redis does not count as a call either.
        self.assertEqual(stats["calls"], 6)
        self.assertEqual(stats["failed_calls"], 0)

    def test_quit_discards_pipelined_commands(self):
        s = self.srv.connect()
        s.sendall(cmd("SET", "q", "1") + cmd("QUIT") + cmd("SET", "q", "2"))
        self.assertEqual(recv_until_closed(s), b"+OK\r\n+OK\r\n")
        s.close()
        self.assertEqual(self.r.get("q"), b"1")

    def test_redis_cli(self):
        cli = ["redis-cli", "-p", str(self.srv.port)]
        out = subprocess.run(cli + ["set", "cli", "hello world"], capture_output=True, timeout=10)
        self.assertEqual(out.stdout, b"OK\n")
        out = subprocess.run(cli + ["--raw", "get", "cli"], capture_output=True, timeout=10)
        self.assertEqual(out.stdout, b"hello world\n")
        out = subprocess.run(cli + ["incr", "cli"], capture_output=True, timeout=10)
        self.assertIn(b"ERR value is not an integer or out of range", out.stdout)
        out = subprocess.run(cli + ["--no-raw", "-3", "get", "nosuch"], capture_output=True, timeout=10)
        self.assertEqual(out.stdout, b"(nil)\n")

    def test_hostile_input_closes_only_that_client(self):
        good = redis.Redis(port=self.srv.port)
        good.set("alive", 1)
        cases = [
            (b"*1\r\n$999999999999\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
            (b"*3000000000\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),  # > INT_MAX
            (b"*abc\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
            (b"*1\r\n+x\r\n", b"-ERR Protocol error: expected '$', got '+'\r\n"),
            (b'GET "unbalanced\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
            (b"x" * 70000, b"-ERR Protocol error: too big inline request\r\n"),
        ]
        for payload, reply in cases:
            s = self.srv.connect()
            s.sendall(payload)
            self.assertEqual(recv_until_closed(s), reply, payload[:30])
            s.close()
            self.assertEqual(good.get("alive"), b"1")
        good.close()

    def test_metrics_endpoint(self):
        self.r.set("m", 1)
        body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.metrics_port,
                                      timeout=5).read().decode()
        self.assertIn("kvstore_server_commands_total", body)
        self.assertIn('kvstore_server_command_calls_total{command="set"}', body)
        if shutil.which("promtool"):  # Debian's prometheus package (scripts/dev)
            check = subprocess.run(["promtool", "check", "metrics"], input=body.encode(),
                                   capture_output=True, timeout=30)
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        with self.assertRaises(urllib.error.HTTPError):
            urllib.request.urlopen("http://127.0.0.1:%d/other" % self.metrics_port, timeout=5)


class Limits(unittest.TestCase):
    """Limits that need their own server settings."""

    def test_auth(self):
        with Server("--requirepass", "s3cret") as srv:
            r = redis.Redis(port=srv.port)
            with self.assertRaises(redis.AuthenticationError):
                r.get("a")
            s = srv.connect()
            s.sendall(cmd("GET", "a") + cmd("AUTH", "wrong") + cmd("HELLO", "3") +
                      cmd("AUTH", "s3cret") + cmd("GET", "a"))
            want = (b"-NOAUTH Authentication required.\r\n"
                    b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
                    b"-NOAUTH HELLO must be called with the client already authenticated, "
                    b"otherwise the HELLO <proto> AUTH <user> <pass> option can be used to "
                    b"authenticate the client and select the RESP protocol version at the same "
                    b"time\r\n+OK\r\n$-1\r\n")
            self.assertEqual(recv_exactly(s, len(want)), want)
            s.close()
            # Unauthenticated clients get Redis's tight size limits.
            s = srv.connect()
            s.sendall(b"*100\r\n")
            self.assertEqual(recv_until_closed(s),
                             b"-ERR Protocol error: unauthenticated multibulk length\r\n")
            s.close()
            ok = redis.Redis(port=srv.port, password="s3cret")
            self.assertTrue(ok.set("a", "1"))
            hello = ok.execute_command("HELLO", "2", "AUTH", "default", "s3cret", "SETNAME", "n")
            self.assertIn(b"proto", hello)
            self.assertEqual(ok.client_getname(), "n")
            ok.close()
            r.close()
            self.assertEqual(srv.stop(), 0)

    def test_idle_timeout_and_client_limit(self):
        with Server("--timeout", "1", "--maxclients", "3") as srv:
            time.sleep(0.3)  # let the server see wait_ready's probe connection close
            idle = srv.connect()
            a, b = srv.connect(), srv.connect()
            a.sendall(cmd("PING"))
            self.assertEqual(recv_exactly(a, 7), b"+PONG\r\n")
            over = srv.connect()
            self.assertEqual(recv_until_closed(over), b"-ERR max number of clients reached\r\n")
            # The idle ones are closed within about two sweeps.
            start = time.time()
            self.assertEqual(recv_until_closed(idle, timeout=6), b"")
            self.assertLess(time.time() - start, 5)
            for s in (idle, a, b, over):
                s.close()
            time.sleep(0.2)
            r = redis.Redis(port=srv.port)
            self.assertTrue(r.ping())  # slots were released
            info = r.info()
            self.assertGreaterEqual(info["rejected_connections"], 1)
            r.close()
            self.assertEqual(srv.stop(), 0)

    def test_slowloris_bulk_then_query_buffer_limit(self):
        with Server("--client-query-buffer-limit", "1mb", "--timeout", "2") as srv:
            s = srv.connect()
            s.sendall(b"*2\r\n$3\r\nSET\r\n$5000000\r\n")
            s.sendall(b"x" * (1100 * 1024))
            self.assertEqual(recv_until_closed(s), b"")  # closed without a reply, as Redis
            s.close()
            slow = srv.connect()
            slow.sendall(b"*3\r\n$3\r\nSET\r\n")  # then nothing: closed by --timeout
            start = time.time()
            self.assertEqual(recv_until_closed(slow, timeout=8), b"")
            self.assertLess(time.time() - start, 6)
            slow.close()
            r = redis.Redis(port=srv.port)
            self.assertTrue(r.set("ok", "1"))
            r.close()
            self.assertIn("query buffer", srv.output())
            srv.stop()


class Lifecycle(unittest.TestCase):
    """Shutdown, restart, refusal to start."""

    def test_shutdown_command_and_restart_keeps_data(self):
        with Server() as srv:
            r = redis.Redis(port=srv.port)
            r.set("persist", "yes")
            r.execute_command("MSET", "a", "1", "b", "2")
            s = srv.connect()
            s.sendall(cmd("SHUTDOWN") + cmd("PING"))
            self.assertEqual(recv_until_closed(s), b"")
            self.assertEqual(srv.proc.wait(20), 0)
            self.assertIn("shutting down (SHUTDOWN command)", srv.output())
            with Server(data_dir=srv.dir) as again:
                r2 = redis.Redis(port=again.port)
                self.assertEqual(r2.mget("persist", "a", "b"), [b"yes", b"1", b"2"])
                r2.close()
                self.assertEqual(again.stop(signal.SIGINT), 0)
            r.close()
            shutil.rmtree(srv.tmp, ignore_errors=True)

    def test_sigterm_nosave_and_restart(self):
        with Server() as srv:
            r = redis.Redis(port=srv.port)
            for i in range(100):
                r.set("k%d" % i, i)
            self.assertEqual(srv.stop(signal.SIGTERM), 0)
            with Server(data_dir=srv.dir) as again:
                r2 = redis.Redis(port=again.port)
                self.assertEqual(r2.dbsize(), 100)
                r2.set("after", "nosave")
                try:
                    r2.execute_command("SHUTDOWN", "NOSAVE")
                except redis.ConnectionError:
                    pass
                self.assertEqual(again.proc.wait(20), 0)
                r2.close()
            # NOSAVE skips the snapshot, but the WAL still has the write.
            with Server(data_dir=srv.dir) as third:
                r3 = redis.Redis(port=third.port)
                self.assertEqual(r3.get("after"), b"nosave")
                self.assertEqual(r3.dbsize(), 101)
                r3.close()
                third.stop()
            r.close()
            shutil.rmtree(srv.tmp, ignore_errors=True)

    def test_second_server_on_same_dir_is_refused(self):
        with Server() as srv:
            second = Server(data_dir=srv.dir, wait=False)
            self.assertNotEqual(second.proc.wait(20), 0)
            out = second.output()
            self.assertIn("locked by another process", out)
            self.assertEqual(len(out.strip().splitlines()), 1, out)
            srv.stop()
            shutil.rmtree(srv.tmp, ignore_errors=True)

    def test_port_in_use_is_refused(self):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            port = busy.getsockname()[1]
            srv = Server(port=port, wait=False)
            self.assertNotEqual(srv.proc.wait(20), 0)
            self.assertIn("Address already in use", srv.output())
            shutil.rmtree(srv.tmp, ignore_errors=True)

    def test_unusable_dir_and_bad_flags(self):
        with open("/proc/self/stat") as _:
            pass
        bad = Server(data_dir="/proc/kvstore-cannot-exist", wait=False)
        self.assertNotEqual(bad.proc.wait(20), 0)
        self.assertIn("data directory", bad.output())
        flags = Server("--sync", "sometimes", wait=False)
        self.assertEqual(flags.proc.wait(20), 2)

    @staticmethod
    def _voluntary_switches(pid):
        total = 0
        for task in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/status" % (pid, task)) as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches"):
                        total += int(line.split()[1])
        return total

    @staticmethod
    def _cpu_seconds(pid):
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    @unittest.skipIf((os.cpu_count() or 1) < 2, "an I/O thread polls only with a core to spare")
    def test_busy_poll_keeps_a_busy_thread_awake_and_an_idle_one_asleep(self):
        requests = 400
        switches = {}
        for poll_us in ("0", "10000"):
            with Server("--threads", "1", "--busy-poll-us", poll_us) as srv:
                r = redis.Redis(port=srv.port)
                self.assertEqual(r.config_get("busy-poll-us"), {"busy-poll-us": poll_us})
                r.ping()
                before = self._voluntary_switches(srv.proc.pid)
                for i in range(requests):  # one at a time: pipeline 1
                    r.set("k%d" % i, "v")
                switches[poll_us] = self._voluntary_switches(srv.proc.pid) - before
                if poll_us != "0":
                    # Quiet clients: one last poll of 10 ms, then it sleeps.
                    time.sleep(0.1)
                    cpu = self._cpu_seconds(srv.proc.pid)
                    time.sleep(1.5)
                    self.assertLess(self._cpu_seconds(srv.proc.pid) - cpu, 0.3)
                r.close()
        # Sleeping between requests, the thread is woken by most of them (all
        # of them, but for a slow build whose loop is still busy when the next
        # request comes); a polling one finds the next request before it
        # would sleep.
        self.assertLess(switches["10000"], requests * 0.2, switches)
        self.assertGreater(switches["0"], 3 * switches["10000"] + 20, switches)

    def test_busy_poll_bounds(self):
        with Server("--threads", "1") as srv:
            r = redis.Redis(port=srv.port)
            self.assertEqual(r.config_get("busy-poll-us"), {"busy-poll-us": "20"})
            self.assertTrue(r.config_set("busy-poll-us", "0"))
            with self.assertRaisesRegex(redis.ResponseError, "argument must be between 0 and 10000"):
                r.config_set("busy-poll-us", "10001")
            self.assertEqual(r.config_get("busy-poll-us"), {"busy-poll-us": "0"})
            r.close()
        bad = Server("--busy-poll-us", "-1", wait=False)
        self.assertEqual(bad.proc.wait(20), 2)

    def test_config_file(self):
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
            f.write("# a comment\nmaxclients 77\nappendfsync always\ntimeout 9\n")
        try:
            # The command line overrides the file.
            with Server("--config", f.name, "--timeout", "5") as srv:
                r = redis.Redis(port=srv.port)
                self.assertEqual(r.config_get("maxclients"), {"maxclients": "77"})
                self.assertEqual(r.config_get("appendfsync"), {"appendfsync": "always"})
                self.assertEqual(r.config_get("timeout"), {"timeout": "5"})
                r.close()
                srv.stop()
        finally:
            os.unlink(f.name)


if __name__ == "__main__":
    unittest.main(verbosity=1)
