#!/usr/bin/env python3
# Copyright (c) the kvstore developers.
#
# Lua scripting against the real kvstore-server: EVAL/EVALSHA/SCRIPT and
# FUNCTION/FCALL replies and error texts (Redis 7's), the conversions both
# ways, the sandbox, read-only scripts, redis-py's lock (whose release is an
# EVALSHA), atomicity seen by a concurrent reader, scripts inside MULTI,
# all-or-nothing after kill -9, and a script past busy-reply-threshold (BUSY
# for other clients, SCRIPT KILL / FUNCTION KILL, UNKILLABLE, SHUTDOWN NOSAVE).

import hashlib
import os
import re
import shutil
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402  (Debian: python3-redis)

from server_harness import (  # noqa: E402
    Conn, RedisCase, Server, assert_reads_never_torn, assert_units_whole_after_kill9,
    recv_exactly)


class ScriptingTest(RedisCase):
    def setUp(self):
        super().setUp()
        self.run_("SCRIPT", "FLUSH")
        self.run_("FUNCTION", "FLUSH")

    def test_lua_to_resp_conversions(self):
        self.assertEqual(self.run_("EVAL", "return 100.5", 0), 100)
        self.assertEqual(self.run_("EVAL", "return 'hello'", 0), b"hello")
        self.assertEqual(self.run_("EVAL", "return true", 0), 1)
        self.assertIsNone(self.run_("EVAL", "return false", 0))
        self.assertIsNone(self.run_("EVAL", "return nil", 0))
        self.assertEqual(self.run_("EVAL", "return {ok='fine'}", 0), b"fine")
        self.assertEqual(self.run_("EVAL", "return {1,2,{3,'x'},nil,5}", 0), [1, 2, [3, b"x"]])
        self.assertEqual(self.err("EVAL", "return {err='MY bad'}", 0), "MY bad")
        self.assertEqual(self.err("EVAL", "return redis.error_reply('oops')", 0), "oops")
        self.assertEqual(self.run_("EVAL", "return redis.status_reply('FINE')", 0), b"FINE")

    def test_resp_to_lua_conversions(self):
        self.run_("SET", "s", "str")
        self.assertEqual(self.run_("EVAL", "return type(redis.call('get','nokey'))", 0), b"boolean")
        self.assertEqual(self.run_("EVAL", "return redis.call('get','s')", 0), b"str")
        self.assertEqual(self.run_("EVAL", "return redis.call('incr','n')", 0), 1)
        self.assertEqual(self.run_("EVAL", "return redis.call('ping')['ok']", 0), b"PONG")
        self.assertEqual(
            self.run_("EVAL", "return redis.call('mget','s','nokey','n')", 0), [b"str", None, b"1"])
        self.assertEqual(
            self.run_("EVAL", "local t = redis.pcall('incr','s'); return t['err']", 0),
            b"ERR value is not an integer or out of range")

    def test_resp3_conversions_both_ways(self):
        # Expected bytes are redis-server 7.0.15's, for a RESP2 and a RESP3
        # client: the RESP3 wrappers a script returns, and what redis.call
        # gives a script after redis.setresp(3) (null -> nil, map -> {map=}).
        self.run_("SET", "k", "v")
        cases = [
            ("return {double=3.5}", b"$3\r\n3.5\r\n", b",3.5\r\n"),
            ("return {big_number='1234567890123456789012'}",
             b"$22\r\n1234567890123456789012\r\n", b"(1234567890123456789012\r\n"),
            ("return {map={a=1}}", b"*2\r\n$1\r\na\r\n:1\r\n", b"%1\r\n$1\r\na\r\n:1\r\n"),
            ("return {set={a=true}}", b"*1\r\n$1\r\na\r\n", b"~1\r\n$1\r\na\r\n"),
            ("return {verbatim_string={format='txt',string='hi'}}", b"$2\r\nhi\r\n",
             b"=6\r\ntxt:hi\r\n"),
            ("return {double='abc'}", b"*0\r\n", b"*0\r\n"),
            ("return false", b"$-1\r\n", b"_\r\n"),
            ("redis.setresp(3); return type(redis.call('get','nokey'))", b"$3\r\nnil\r\n",
             b"$3\r\nnil\r\n"),
            ("redis.setresp(2); return type(redis.call('get','nokey'))", b"$7\r\nboolean\r\n",
             b"$7\r\nboolean\r\n"),
            ("redis.setresp(3); return #redis.call('mget','k','nokey','k')", b":1\r\n", b":1\r\n"),
            ("redis.setresp(3); return redis.call('lcs','k','k','idx')",
             b"*4\r\n$3\r\nlen\r\n:1\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:0\r\n:0\r\n*2\r\n:0\r\n:0\r\n",
             b"%2\r\n$3\r\nlen\r\n:1\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:0\r\n:0\r\n*2\r\n:0\r\n:0\r\n"),
            ("redis.setresp(3); return redis.call('lcs','k','k','idx').map.len", b":1\r\n",
             b":1\r\n"),
        ]
        for proto in (2, 3):
            c = Conn(self.srv)
            try:
                c.send("HELLO", proto)
                c.send("PING")
                seen = b""
                while not seen.endswith(b"+PONG\r\n"):
                    seen += c.sock.recv(65536)
                for script, resp2, resp3 in cases:
                    want = resp2 if proto == 2 else resp3
                    c.send("EVAL", script, 0)
                    got = recv_exactly(c.sock, len(want))
                    self.assertEqual(got, want, "%s (RESP%d)" % (script, proto))
            finally:
                c.close()
        self.assertEqual(self.err("EVAL", "redis.setresp(4)", 0)[:29], "RESP version must be 2 or 3. ")

    def test_scripts_that_touch_undeclared_keys_run_once_in_effect(self):
        # A script runs first holding only its declared keys; one that
        # touches another key (even inside pcall) or the whole keyspace is
        # stopped and run again holding everything. Its effects must be
        # those of one run.
        self.run_("SET", "a", "1")
        script = ("redis.call('incr', KEYS[1]);"
                  "pcall(function() return redis.call('incr', 'other') end);"
                  "redis.call('incr', KEYS[1]);"
                  "return {redis.call('get', KEYS[1]), redis.call('get', 'other'),"
                  " redis.call('dbsize')}")
        self.assertEqual(self.run_("EVAL", script, 1, "a"), [b"3", b"1", 2])
        self.assertEqual(self.run_("EVAL", script, 1, "a"), [b"5", b"2", 2])
        # A script that waits for its own write to an undeclared key ends.
        self.assertEqual(self.run_(
            "EVAL", "redis.call('set','u','x'); local n = 0;"
            " while redis.call('get','u') ~= 'x' do n = n + 1 end; return n", 0), 0)
        # Declared keys only: no second run is needed, and errors are kept.
        self.assertEqual(self.run_("EVAL", "return redis.pcall('incr', KEYS[1])['err']", 1, "u"),
                         b"ERR value is not an integer or out of range")
        self.assertEqual(sorted(self.run_("EVAL", "return redis.call('keys', '*')", 0)),
                         [b"a", b"other", b"u"])

    def test_script_memory_is_bounded_by_lua_max_memory(self):
        self.assertEqual(self.run_("CONFIG", "GET", "lua-max-memory"),
                         [b"lua-max-memory", b"268435456"])
        self.run_("CONFIG", "SET", "lua-max-memory", "10mb")
        try:
            grow = "local t = {} for i = 1, 5000000 do t[i] = 'x' .. i end return #t"
            err = self.err("EVAL", grow, 0)
            self.assertIn("not enough memory (the script passed lua-max-memory, 10485760 bytes)",
                          err)
            self.assertIn("not enough memory",
                          self.err("EVAL", "return #string.rep('x', 20000000)", 0))
            # The interpreter gave the memory back and goes on.
            info = self.r.info("memory")
            self.assertLess(info["used_memory_lua"], 10 * 1024 * 1024)
            self.assertEqual(self.run_("EVAL", "return #string.rep('x', 1000)", 0), 1000)
            self.run_("CONFIG", "SET", "lua-max-memory", "0")  # no limit
            self.assertEqual(self.run_("EVAL", "return #string.rep('x', 20000000)", 0), 20000000)
        finally:
            self.run_("CONFIG", "SET", "lua-max-memory", "256mb")

    def test_keys_argv_and_writes(self):
        r = self.run_("EVAL", "redis.call('set', KEYS[1], ARGV[1]); return {KEYS[2], ARGV[2]}",
                   2, "k1", "k2", "a1", "a2")
        self.assertEqual(r, [b"k2", b"a2"])
        self.assertEqual(self.run_("GET", "k1"), b"a1")
        # Number arguments are sent as Redis does: 17 significant digits.
        self.run_("EVAL", "return redis.call('set','f',0.1)", 0)
        self.assertEqual(self.run_("GET", "f"), b"0.10000000000000001")

    def test_error_texts(self):
        self.run_("SET", "s", "str")
        sha = "c243b9f46db13ba8f69da41b45a77708832babed"
        self.assertEqual(
            self.err("EVAL", "return redis.call('incr','s')", 0),
            "value is not an integer or out of range script: %s, on @user_script:1." % sha)
        self.assertIn("Unknown Redis command called from script",
                      self.err("EVAL", "return redis.call('nosuch')", 0))
        self.assertIn("Wrong number of args calling Redis command from script",
                      self.err("EVAL", "return redis.call('get')", 0))
        self.assertIn("Lua redis lib command arguments must be strings or integers",
                      self.err("EVAL", "return redis.call('set','k',{})", 0))
        self.assertIn("This Redis command is not allowed from script",
                      self.err("EVAL", "return redis.call('multi')", 0))
        self.assertIn("user_script:1: boom script:", self.err("EVAL", "error('boom')", 0))
        self.assertEqual(self.err("EVAL", "return 1", -1), "Number of keys can't be negative")
        self.assertEqual(self.err("EVAL", "return 1", 2, "a"),
                         "Number of keys can't be greater than number of args")
        self.assertTrue(self.err("EVAL", "syntax error here", 0).startswith(
            "Error compiling script (new function): user_script:1:"))
        self.assertEqual(self.err("EVALSHA", "f" * 40, 0),
                         "No matching script. Please use EVAL.")

    def test_sandbox(self):
        for script, text in [
            ("a = 1", "Attempt to modify a readonly table"),
            ("return undefined_name", "nonexistent global variable 'undefined_name'"),
            ("return os.time()", "nonexistent global variable 'os'"),
            ("return io", "nonexistent global variable 'io'"),
            ("return loadfile", "nonexistent global variable 'loadfile'"),
            ("return dofile", "nonexistent global variable 'dofile'"),
            ("string.len = nil", "Attempt to modify a readonly table"),
            ("redis.call = nil", "Attempt to modify a readonly table"),
            ("rawset(_G, 'x', 1)", "Attempt to modify a readonly table"),
            ("setmetatable(_G, {})", "Attempt to modify a readonly table"),
            ("local g = getmetatable(_G); g.__index = {}", "Attempt to modify a readonly table"),
        ]:
            self.assertIn(text, self.err("EVAL", script, 0), script)
        self.assertEqual(self.run_("EVAL", "return cjson.encode({1,2,'a'})", 0), b'[1,2,"a"]')
        self.assertEqual(self.run_("EVAL", "return bit.band(7,3)", 0), 3)
        self.assertEqual(self.run_("EVAL", "return redis.sha1hex('')", 0),
                         b"da39a3ee5e6b4b0d3255bfef95601890afd80709")
        self.assertEqual(self.run_("EVAL", "return ('abc'):len()", 0), 3)

    def test_read_only_scripts(self):
        self.assertIn("Write commands are not allowed from read-only scripts",
                      self.err("EVAL_RO", "return redis.call('set','k','v')", 0))
        self.assertIsNone(self.run_("GET", "k"))
        self.run_("SET", "k", "v")
        self.assertEqual(self.run_("EVAL_RO", "return redis.call('get','k')", 0), b"v")
        self.assertIn("Write commands are not allowed", self.err(
            "EVAL", "#!lua flags=no-writes\nreturn redis.call('set','k','w')", 0))
        self.assertIn("Unexpected engine in script shebang", self.err("EVAL", "#!js\nreturn 1", 0))
        self.assertIn("Unknown lua shebang option", self.err("EVAL", "#!lua x=y\nreturn 1", 0))

    def test_script_cache(self):
        sha = self.run_("SCRIPT", "LOAD", "return ARGV[1]").decode()
        self.assertEqual(sha, hashlib.sha1(b"return ARGV[1]").hexdigest())
        self.assertEqual(self.run_("EVALSHA", sha, 0, "hi"), b"hi")
        self.assertEqual(self.run_("EVALSHA", sha.upper(), 0, "hi"), b"hi")
        self.assertEqual(self.run_("SCRIPT", "EXISTS", sha, "f" * 40), [1, 0])
        self.assertEqual(self.run_("SCRIPT", "FLUSH", "ASYNC"), b"OK")
        self.assertEqual(self.run_("SCRIPT", "EXISTS", sha), [0])
        self.assertIn("NOTBUSY", self.err("SCRIPT", "KILL"))
        # EVAL caches what it runs, as Redis does.
        self.run_("EVAL", "return 7", 0)
        self.assertEqual(self.run_("EVALSHA", hashlib.sha1(b"return 7").hexdigest(), 0), 7)
        # INFO memory counts the cache.
        info = self.run_("INFO", "memory").decode()
        self.assertIn("number_of_cached_scripts:1\r\n", info)

    def test_functions(self):
        lib = "#!lua name=mylib\n" \
              "redis.register_function('setget', function(keys, args)\n" \
              "  redis.call('set', keys[1], args[1]); return redis.call('get', keys[1]) end)\n" \
              "redis.register_function{function_name='peek', callback=function(keys, args)\n" \
              "  return redis.call('get', keys[1]) end, flags={'no-writes'}}\n"
        self.assertEqual(self.run_("FUNCTION", "LOAD", lib), b"mylib")
        self.assertIn("Library 'mylib' already exists", self.err("FUNCTION", "LOAD", lib))
        self.assertEqual(self.run_("FUNCTION", "LOAD", "REPLACE", lib), b"mylib")
        self.assertEqual(self.run_("FCALL", "setget", 1, "k", "v"), b"v")
        self.assertEqual(self.run_("FCALL_RO", "peek", 1, "k"), b"v")
        self.assertIn("Can not execute a script with write flag using *_ro command",
                      self.err("FCALL_RO", "setget", 1, "k", "v"))
        self.assertEqual(self.err("FCALL", "nosuch", 0), "Function not found")
        listing = self.run_("FUNCTION", "LIST", "WITHCODE")
        self.assertEqual(listing[0][1], b"mylib")
        self.assertEqual(listing[0][7], lib.encode())
        self.assertEqual(self.run_("FUNCTION", "DELETE", "mylib"), b"OK")
        self.assertEqual(self.err("FUNCTION", "DELETE", "mylib"), "Library not found")
        for code, text in [
            ("return 1", "Missing library metadata"),
            ("#!js name=x\n", "Engine 'js' not found"),
            ("#!lua\n", "Library name was not given"),
            ("#!lua name=l2\nreturn 1", "No functions registered"),
            ("#!lua name=l2\nredis.call('ping')", "nonexistent global variable 'call'"),
        ]:
            self.assertIn(text, self.err("FUNCTION", "LOAD", code), code)

    def test_redis_py_lock(self):
        r = redis.Redis(port=self.srv.port)
        lock = r.lock("job", timeout=10)
        self.assertTrue(lock.acquire(blocking=False))
        self.assertIsNotNone(r.get("job"))
        lock.extend(5)
        lock.release()  # an EVALSHA of redis-py's release script
        self.assertIsNone(r.get("job"))
        r.close()

    def test_script_inside_multi(self):
        self.run_("MULTI")
        self.run_("SET", "a", "1")
        self.run_("EVAL", "return redis.call('incr', KEYS[1])", 1, "a")
        self.assertEqual(self.run_("EXEC"), [b"OK", 2])

    def test_concurrent_reader_never_sees_part_of_a_script(self):
        script = ("redis.call('set', KEYS[1], ARGV[1]);"
                  "for i = 1, 20 do redis.call('set', 'filler' .. i, ARGV[1]) end;"
                  "redis.call('set', KEYS[2], ARGV[1])")

        def writes():
            for i in range(300):
                self.run_("EVAL", script, 2, "a", "b", str(i))

        self.run_("MSET", "a", "0", "b", "0")
        assert_reads_never_torn(self, self.srv, ["a", "b"], lambda v: v[0] == v[1], writes)


class ScriptCrashTest(unittest.TestCase):
    """kill -9: a script's writes are all or nothing after restart."""

    def test_scripts_in_flight_at_kill9_are_whole_or_absent(self):
        script = "for i = 1, 40 do redis.call('set', ARGV[1] .. ':' .. i, ARGV[1]) end; return 40"

        def write_unit(c, t):
            self.assertEqual(c.execute_command("EVAL", script, 0, "t%d" % t), 40)

        assert_units_whole_after_kill9(self, write_unit,
                                       lambda t: ["t%d:%d" % (t, j) for j in range(1, 41)])


BUSY_SCRIPT = (b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
               b"SHUTDOWN NOSAVE.")
BUSY_FUNCTION = (b"-BUSY Redis is busy running a script. You can only call FUNCTION KILL or "
                 b"SHUTDOWN NOSAVE.")
UNKILLABLE = (b"-UNKILLABLE Sorry the script already executed write commands against the "
              b"dataset. You can either wait the script termination or kill the server in a "
              b"hard way using the SHUTDOWN NOSAVE command.")
LIBRARY = """#!lua name=spinners
redis.register_function('spin', function() while true do end end)
redis.register_function('wspin', function() redis.call('set', 'x', 'y') while true do end end)
"""


def hold_thread(c):
    """Sends on c a script that holds its I/O thread for 500 ms (under a
    busy-reply-threshold of 1000 ms), so that what other clients of the
    thread send meanwhile reaches the loop as one epoll batch, in order."""
    c.send("EVAL", "local t = redis.call('TIME') "
           "local start = t[1] * 1000000 + t[2] "
           "repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start > 500000 "
           "return 1", "0")
    time.sleep(0.1)


class BusyScriptTest(unittest.TestCase):
    """A script past busy-reply-threshold: other clients get BUSY; SCRIPT KILL
    / FUNCTION KILL stop it unless it wrote; SHUTDOWN NOSAVE ends the server
    without its writes. Every connection has a 10 s timeout, so a reply that
    never comes fails the test instead of hanging it."""

    def setUp(self):
        self.srv = Server()
        self.conns = []
        admin = self.conn()
        self.assertEqual(admin.call("CONFIG", "SET", "busy-reply-threshold", "100"), b"+OK")
        self.assertEqual(admin.call("FUNCTION", "LOAD", LIBRARY), b"spinners")

    def tearDown(self):
        for c in self.conns:
            c.close()
        if self.srv.proc.poll() is None:
            self.srv.stop()
        shutil.rmtree(self.srv.tmp, ignore_errors=True)

    def conn(self, srv=None):
        c = Conn(srv or self.srv, timeout=10)
        self.conns.append(c)
        return c

    def wait_busy(self, other):
        """PINGs from `other` until the script is past the threshold; returns
        the BUSY reply."""
        deadline = time.time() + 10
        while True:
            r = other.call("PING")
            if r != b"+PONG" or time.time() > deadline:
                return r
            time.sleep(0.01)

    def kill(self, start, kill, busy, killed):
        runner, other = self.conn(), self.conn()
        runner.send(*start)
        self.assertEqual(self.wait_busy(other), busy)
        self.assertEqual(other.call("GET", "x"), busy)  # a keyed command too
        wrong = ("SCRIPT", "KILL") if kill[0] == "FUNCTION" else ("FUNCTION", "KILL")
        self.assertEqual(other.call(*wrong), busy)  # the other kind's KILL
        self.assertEqual(other.call(*kill), b"+OK")
        if isinstance(killed, bytes):
            self.assertEqual(runner.reply(), killed)
        else:
            self.assertRegex(runner.reply(), killed)
        self.assertEqual(runner.call("PING"), b"+PONG")
        self.assertEqual(other.call("PING"), b"+PONG")
        self.assertEqual(other.call(*kill), b"-NOTBUSY No scripts in execution right now.")

    def test_script_kill_stops_a_busy_script(self):
        body = "while true do end"
        sha = hashlib.sha1(body.encode()).hexdigest().encode()
        self.kill(("EVAL", body, "0"), ("SCRIPT", "KILL"), BUSY_SCRIPT,
                  b"-ERR Script killed by user with SCRIPT KILL... script: " + sha +
                  b", on @user_script:1.")

    def test_function_kill_stops_a_busy_function(self):
        # Redis 7.0 names SCRIPT KILL in this error even for FUNCTION KILL.
        self.kill(("FCALL", "spin", "0"), ("FUNCTION", "KILL"), BUSY_FUNCTION,
                  re.compile(rb"-ERR Script killed by user with SCRIPT KILL\.\.\. "
                             rb"script: spin, on @user_function:2\."))

    def shutdown_nosave(self, start, kill, busy):
        admin = self.conns[0]
        self.assertEqual(admin.call("SET", "kept", "1"), b"+OK")
        runner, other = self.conn(), self.conn()
        runner.send(*start)
        self.assertEqual(self.wait_busy(other), busy)
        self.assertEqual(other.call(*kill), UNKILLABLE)
        self.assertEqual(other.call("GET", "x"), busy)
        other.send("SHUTDOWN", "NOSAVE")
        with self.assertRaises(ConnectionError):
            other.reply()
        with self.assertRaises(ConnectionError):
            runner.reply()  # no reply for the script
        self.assertEqual(self.srv.proc.wait(10), 0)
        again = Server(data_dir=self.srv.dir)
        try:
            c = self.conn(again)
            self.assertEqual(c.call("GET", "kept"), b"1")  # acknowledged before
            self.assertIsNone(c.call("GET", "x"))  # the script's write is gone
        finally:
            again.stop()

    def test_a_script_that_wrote_is_unkillable_and_shutdown_nosave_drops_its_write(self):
        self.shutdown_nosave(("EVAL", "redis.call('set', 'x', 'y') while true do end", "0"),
                             ("SCRIPT", "KILL"), BUSY_SCRIPT)

    def test_a_function_that_wrote_is_unkillable_and_shutdown_nosave_drops_its_write(self):
        self.shutdown_nosave(("FCALL", "wspin", "0"), ("FUNCTION", "KILL"), BUSY_FUNCTION)

    def test_replies_held_for_the_batch_reach_their_client_while_a_script_is_busy(self):
        # Two clients on one I/O thread: A's PING and B's EVAL reach the loop
        # in one epoll batch, A's first (while a third client's short script
        # holds the thread). A's PONG waits for the batch's end; B's script
        # never ends unless A kills it, so the PONG must go out from the
        # script's hook, or A waits forever.
        with Server("--threads", "1") as srv:  # killed on the way out
            a, b, c = self.conn(srv), self.conn(srv), self.conn(srv)
            self.assertEqual(a.call("CONFIG", "SET", "busy-reply-threshold", "1000"), b"+OK")
            hold_thread(c)
            a.send("PING")
            time.sleep(0.05)
            b.send_pipeline(("EVAL", "while 1 do redis.call('ping') end", "0"), ("PING",))
            self.assertEqual(c.reply(), 1)
            self.assertEqual(a.reply(), b"+PONG")
            self.assertEqual(self.wait_busy(a), BUSY_SCRIPT)
            self.assertEqual(a.call("SCRIPT", "KILL"), b"+OK")
            self.assertTrue(b.reply().startswith(b"-ERR Script killed by user"))
            self.assertEqual(b.reply(), b"+PONG")  # the command pipelined behind it
            self.assertEqual(a.call("PING"), b"+PONG")
        shutil.rmtree(srv.tmp, ignore_errors=True)


    def test_a_client_that_leaves_while_a_script_is_busy_is_closed_once(self):
        # A's event follows B's in the batch; B's script runs, and its hook
        # serves and closes A. The batch must then skip A's event rather
        # than close A again (INFO's client count would drop twice).
        with Server("--threads", "1") as srv:  # killed on the way out
            d, a, b, c = self.conn(srv), self.conn(srv), self.conn(srv), self.conn(srv)
            self.assertEqual(d.call("CONFIG", "SET", "busy-reply-threshold", "1000"), b"+OK")
            hold_thread(c)
            b.send("EVAL", "while true do end", "0")
            time.sleep(0.05)
            a.send("PING")
            a.sock.shutdown(socket.SHUT_WR)
            self.assertEqual(c.reply(), 1)
            self.assertEqual(self.wait_busy(d), BUSY_SCRIPT)
            self.assertEqual(a.reply(), BUSY_SCRIPT)
            with self.assertRaises(ConnectionError):
                a.reply()  # closed by the server
            self.assertEqual(d.call("SCRIPT", "KILL"), b"+OK")
            self.assertTrue(b.reply().startswith(b"-ERR Script killed by user"))
            info = d.call("INFO", "clients").decode()
            self.assertIn("connected_clients:3\r\n", info)  # b, c and d
        shutil.rmtree(srv.tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=1)
