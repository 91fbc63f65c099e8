#!/usr/bin/env python3
# Copyright (c) the kvstore developers.
#
# Lua scripting against the real kvstore-server: EVAL/EVALSHA/SCRIPT and
# FUNCTION/FCALL replies and error texts (Redis 7's), the conversions both
# ways, the sandbox, read-only scripts, redis-py's lock (whose release is an
# EVALSHA), atomicity seen by a concurrent reader, scripts inside MULTI, and
# all-or-nothing after kill -9.

import hashlib
import os
import shutil
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402  (Debian: python3-redis)

from server_harness import RedisCase, Server  # noqa: E402


def client(srv, **kw):
    r = redis.Redis(port=srv.port, single_connection_client=True, socket_timeout=20, **kw)
    r.response_callbacks = {}  # raw replies, as the server sent them
    return r


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
        stop = threading.Event()
        seen = {"reads": 0, "torn": []}

        def reader():
            c = client(self.srv)
            while not stop.is_set():
                a, b = c.execute_command("MGET", "a", "b")
                if a != b:
                    seen["torn"].append((a, b))
                seen["reads"] += 1
            c.close()

        self.run_("MSET", "a", "0", "b", "0")
        threads = [threading.Thread(target=reader) for _ in range(2)]
        for t in threads:
            t.start()
        script = ("redis.call('set', KEYS[1], ARGV[1]);"
                  "for i = 1, 20 do redis.call('set', 'filler' .. i, ARGV[1]) end;"
                  "redis.call('set', KEYS[2], ARGV[1])")
        try:
            for i in range(300):
                self.run_("EVAL", script, 2, "a", "b", str(i))
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertEqual(seen["torn"], [])
        self.assertGreater(seen["reads"], 0)


class ScriptCrashTest(unittest.TestCase):
    """kill -9: a script's writes are all or nothing after restart."""

    def test_scripts_in_flight_at_kill9_are_whole_or_absent(self):
        acked = []
        srv = Server()
        script = "for i = 1, 40 do redis.call('set', ARGV[1] .. ':' .. i, ARGV[1]) end; return 40"

        def run():
            c = client(srv)
            try:
                for t in range(100000):
                    self.assertEqual(c.execute_command("EVAL", script, 0, "t%d" % t), 40)
                    acked.append(t)
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
                pass  # the server was killed

        try:
            th = threading.Thread(target=run)
            th.start()
            time.sleep(1.0)
            srv.proc.send_signal(signal.SIGKILL)
            srv.proc.wait(20)
            th.join(30)
            self.assertGreater(len(acked), 0)
            again = Server(data_dir=srv.dir)
            try:
                r = client(again)
                last = acked[-1]
                for t in range(last + 3):
                    keys = ["t%d:%d" % (t, j) for j in range(1, 41)]
                    present = sum(v is not None for v in r.execute_command("MGET", *keys))
                    if t <= last:
                        self.assertEqual(present, 40, "acknowledged script %d" % t)
                    else:
                        self.assertIn(present, (0, 40), "script %d is partial" % t)
                r.close()
            finally:
                again.stop()
        finally:
            if srv.proc.poll() is None:
                srv.proc.kill()
            shutil.rmtree(srv.tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=1)
