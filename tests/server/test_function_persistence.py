#!/usr/bin/env python3
# Copyright (c) the kvstore developers.
#
# Function libraries outlive the server process: every acknowledged FUNCTION
# LOAD, DELETE, FLUSH and RESTORE is in the data directory's function file
# before its reply, so kill -9 loses none of them; a change that cannot be
# saved is refused and undone; a damaged file stops the server from starting
# rather than silently dropping libraries. EVAL's script cache is not kept,
# as in Redis 7.

import os
import shutil
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402  (Debian: python3-redis)

from server_harness import Server  # noqa: E402


def lib(name, fn, result):
    return ("#!lua name=%s\nredis.register_function('%s', function(keys, args) return %s end)"
            % (name, fn, result))


def client(srv):
    return redis.Redis(port=srv.port, single_connection_client=True, socket_timeout=20)


class FunctionPersistenceTest(unittest.TestCase):
    def setUp(self):
        self.srv = Server()
        self.dirs = [self.srv.tmp]

    def tearDown(self):
        if self.srv.proc.poll() is None:
            self.srv.proc.kill()
            self.srv.proc.wait()
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)

    def crash_and_restart(self):
        self.srv.proc.send_signal(signal.SIGKILL)
        self.srv.proc.wait(20)
        tmp = self.srv.tmp
        self.srv = Server(data_dir=self.srv.dir)
        self.srv.tmp = tmp
        return client(self.srv)

    def names(self, r):
        return sorted(entry[1].decode() for entry in r.execute_command("FUNCTION", "LIST"))

    def test_every_acknowledged_change_survives_kill9(self):
        r = client(self.srv)
        self.assertEqual(r.execute_command("FUNCTION", "LOAD", lib("a", "fa", "'A'")), b"a")
        self.assertEqual(r.execute_command("FUNCTION", "LOAD", lib("b", "fb", "'B'")), b"b")
        sha = r.script_load("return 1")
        r = self.crash_and_restart()
        self.assertEqual(self.names(r), ["a", "b"])
        self.assertEqual(r.execute_command("FCALL", "fa", 0), b"A")
        self.assertEqual(r.execute_command("FCALL", "fb", 0), b"B")
        # The script cache is not kept (Redis 7 keeps none either).
        self.assertEqual(r.script_exists(sha), [False])

        r.execute_command("FUNCTION", "LOAD", "REPLACE", lib("a", "fa", "'A2'"))
        self.assertEqual(r.execute_command("FUNCTION", "DELETE", "b"), b"OK")
        dump = r.execute_command("FUNCTION", "DUMP")
        r = self.crash_and_restart()
        self.assertEqual(self.names(r), ["a"])
        self.assertEqual(r.execute_command("FCALL", "fa", 0), b"A2")

        self.assertEqual(r.execute_command("FUNCTION", "FLUSH"), b"OK")
        r = self.crash_and_restart()
        self.assertEqual(self.names(r), [])

        self.assertEqual(r.execute_command("FUNCTION", "RESTORE", dump), b"OK")
        r = self.crash_and_restart()
        self.assertEqual(r.execute_command("FCALL", "fa", 0), b"A2")

    def test_a_change_that_cannot_be_saved_is_refused_and_undone(self):
        r = client(self.srv)
        r.execute_command("FUNCTION", "LOAD", lib("keep", "fk", "1"))
        # A directory where the temporary file must go makes the save fail.
        blocker = os.path.join(self.srv.dir, "functions.kvfn.tmp")
        os.mkdir(blocker)
        for args in (("LOAD", lib("new", "fn", "2")), ("DELETE", "keep"), ("FLUSH",)):
            with self.assertRaises(redis.exceptions.ResponseError) as e:
                r.execute_command("FUNCTION", *args)
            self.assertIn("could not be saved, nothing changed", str(e.exception))
            self.assertEqual(self.names(r), ["keep"])
        with self.assertRaises(redis.exceptions.ResponseError):
            r.execute_command("FCALL", "fn", 0)
        os.rmdir(blocker)
        self.assertEqual(r.execute_command("FUNCTION", "LOAD", lib("new", "fn", "2")), b"new")
        r = self.crash_and_restart()
        self.assertEqual(self.names(r), ["keep", "new"])

    def test_a_damaged_file_stops_the_start_and_is_left_alone(self):
        r = client(self.srv)
        r.execute_command("FUNCTION", "LOAD", lib("a", "fa", "1"))
        r.set("k", "v")
        self.srv.stop()
        path = os.path.join(self.srv.dir, "functions.kvfn")
        with open(path, "r+b") as f:
            data = bytearray(f.read())
            data[12] ^= 0x01  # one bit in the library's code
            f.seek(0)
            f.write(data)
        tmp = self.srv.tmp
        self.srv = Server(data_dir=self.srv.dir, wait=False)
        self.srv.tmp = tmp
        self.assertEqual(self.srv.proc.wait(20), 1)
        self.assertIn("functions.kvfn' is damaged", self.srv.output())
        with open(path, "rb") as f:
            self.assertEqual(f.read(), bytes(data))  # not rewritten
        # Moved away, the server starts with its keys and no libraries.
        os.rename(path, path + ".bad")
        self.srv = Server(data_dir=self.srv.dir)
        self.srv.tmp = tmp
        r = client(self.srv)
        self.assertEqual(r.get("k"), b"v")
        self.assertEqual(self.names(r), [])


if __name__ == "__main__":
    unittest.main(verbosity=1)
