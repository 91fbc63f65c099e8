#!/usr/bin/env python3
# Copyright (c) the kvstore developers.
#
# Integration tests of kvstore-server's bit commands (SETBIT, GETBIT,
# BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO) and of SUBSTR and LCS: the
# real binary, driven by redis-py and raw sockets. Every expected reply and
# error text is what redis-server 7.0 answers to the same command (checked
# side by side when these tests were written).
#
#   KVSTORE_SERVER=build/server/kvstore-server /usr/bin/python3 tests/server/test_bits.py

import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402  (Debian: python3-redis)

from server_harness import RedisCase, Server, cmd  # noqa: E402

BAD_OFFSET = "bit offset is not an integer or out of range"
BAD_TYPE = ("Invalid bitfield type. Use something like i16 u8. "
            "Note that u64 is not supported but i64 is.")


class ServerCase(RedisCase):
    """One server for the class; subclasses start it in setUpClass."""

    def changes(self):
        info = self.x.execute_command("INFO", "persistence").decode()
        for line in info.splitlines():
            if line.startswith("rdb_changes_since_last_save:"):
                return int(line.split(":")[1])
        self.fail("no rdb_changes_since_last_save in INFO")


class Bits(ServerCase):
    @classmethod
    def setUpClass(cls):
        cls.start()

    def test_setbit_getbit(self):
        self.assertEqual(self.run_("SETBIT", "k", 7, 1), 0)
        self.assertEqual(self.run_("GET", "k"), b"\x01")
        self.assertEqual(self.run_("SETBIT", "k", 7, 1), 1)
        self.assertEqual(self.run_("SETBIT", "k", 7, 0), 1)
        self.assertEqual(self.run_("SETBIT", "k", 17, 1), 0)  # grows with zero bytes
        self.assertEqual(self.run_("GET", "k"), b"\x00\x00\x40")
        self.assertEqual(self.run_("GETBIT", "k", 17), 1)
        self.assertEqual(self.run_("GETBIT", "k", 16), 0)
        self.assertEqual(self.run_("GETBIT", "k", 100), 0)       # past the end
        self.assertEqual(self.run_("GETBIT", "nokey", 5), 0)
        # The largest offset the default proto-max-bulk-len (512 MB) allows
        # is 2^32-1; 2^32 is refused, before the key is even looked at.
        self.assertEqual(self.run_("GETBIT", "k", 4294967295), 0)
        self.assertEqual(self.err("GETBIT", "k", 4294967296), BAD_OFFSET)
        self.assertEqual(self.err("SETBIT", "k", 4294967296, 1), BAD_OFFSET)
        self.assertEqual(self.err("SETBIT", "k", -1, 1), BAD_OFFSET)
        self.assertEqual(self.err("SETBIT", "k", "01", 1), BAD_OFFSET)
        self.assertEqual(self.err("SETBIT", "k", "abc", 1), BAD_OFFSET)
        for bad in ("2", "-1", "+1", "-0", "x"):
            self.assertEqual(self.err("SETBIT", "k", 0, bad), "bit is not an integer or out of range")
        self.assertEqual(self.err("SETBIT", "k", 0), "wrong number of arguments for 'setbit' command")
        self.assertEqual(self.run_("GET", "k"), b"\x00\x00\x40")  # no error changed it

    def test_unchanged_bits_write_nothing(self):
        self.run_("SETBIT", "k", 3, 1)
        self.run_("BITFIELD", "f", "SET", "i5", 0, 3)
        before = self.changes()
        self.assertEqual(self.run_("SETBIT", "k", 3, 1), 1)
        self.assertEqual(self.run_("SETBIT", "k", 2, 0), 0)
        self.assertEqual(self.run_("BITFIELD", "f", "SET", "i5", 0, 3), [3])
        self.assertEqual(self.changes(), before)
        self.run_("SETBIT", "k", 3, 0)
        self.run_("SETBIT", "k", 100, 0)  # only grows the string: still a change
        self.assertEqual(self.changes(), before + 2)

    def test_bitcount(self):
        self.run_("SET", "s", "foobar")
        self.assertEqual(self.run_("BITCOUNT", "s"), 26)
        self.assertEqual(self.run_("BITCOUNT", "s", 0, 0), 4)
        self.assertEqual(self.run_("BITCOUNT", "s", 1, 1), 6)
        self.assertEqual(self.run_("BITCOUNT", "s", 1, -2), 18)        # "ooba"
        self.assertEqual(self.run_("BITCOUNT", "s", -2, 1), 0)
        self.assertEqual(self.run_("BITCOUNT", "s", -100, -1), 26)
        self.assertEqual(self.run_("BITCOUNT", "s", -6, -7), 0)
        self.assertEqual(self.run_("BITCOUNT", "s", 0, 4294967296), 26)
        self.assertEqual(self.run_("BITCOUNT", "s", 5, 30, "BIT"), 17)
        self.assertEqual(self.run_("BITCOUNT", "s", 10, -34, "bit"), 4)  # bits 10..14
        self.assertEqual(self.run_("BITCOUNT", "s", 0, 1, "byte"), 10)
        self.assertEqual(self.run_("BITCOUNT", "nokey"), 0)
        self.assertEqual(self.run_("BITCOUNT", "nokey", "a", "b"), 0)  # absent: no parsing
        self.run_("SET", "e", "")
        self.assertEqual(self.run_("BITCOUNT", "e"), 0)
        self.assertEqual(self.run_("BITCOUNT", "e", 0, -1, "BIT"), 0)
        self.assertEqual(self.err("BITCOUNT", "s", 0), "syntax error")
        self.assertEqual(self.err("BITCOUNT", "s", 0, 1, "bits"), "syntax error")
        self.assertEqual(self.err("BITCOUNT", "s", "a", 1), "value is not an integer or out of range")

    def test_bitpos(self):
        self.run_("SET", "s", b"\xff\xf0\x00")
        self.assertEqual(self.run_("BITPOS", "s", 0), 12)
        self.assertEqual(self.run_("BITPOS", "s", 1, 1), 8)
        self.assertEqual(self.run_("BITPOS", "s", 0, 0, -1, "BIT"), 12)
        self.assertEqual(self.run_("BITPOS", "s", 1, 9, 11, "bit"), 9)
        self.assertEqual(self.run_("BITPOS", "s", 1, 12, -1, "bit"), -1)
        self.run_("SET", "ff", b"\xff\xff\xff")
        # No clear bit: the one right of the string, unless an end is given.
        self.assertEqual(self.run_("BITPOS", "ff", 0), 24)
        self.assertEqual(self.run_("BITPOS", "ff", 0, 1), 24)
        self.assertEqual(self.run_("BITPOS", "ff", 0, 0, -1), -1)
        self.assertEqual(self.run_("BITPOS", "ff", 0, 0, -1, "BIT"), -1)
        self.assertEqual(self.run_("BITPOS", "ff", 0, 5), -1)            # empty range
        self.assertEqual(self.run_("BITPOS", "ff", 1, -1), 16)
        self.assertEqual(self.run_("BITPOS", "ff", 1, -100, -50), 0)     # clamped to byte 0
        self.assertEqual(self.run_("BITPOS", "nokey", 0), 0)
        self.assertEqual(self.run_("BITPOS", "nokey", 1), -1)
        self.assertEqual(self.run_("BITPOS", "nokey", 1, "x"), -1)
        self.run_("SET", "e", "")
        self.assertEqual(self.run_("BITPOS", "e", 0), -1)
        self.assertEqual(self.run_("BITPOS", "e", 1), -1)
        self.assertEqual(self.err("BITPOS", "s", 2), "The bit argument must be 1 or 0.")
        self.assertEqual(self.err("BITPOS", "s", 1, 0, 1, "bogus"), "syntax error")
        self.assertEqual(self.err("BITPOS", "s", 1, 0, "a", "bogus"), "syntax error")
        self.assertEqual(self.err("BITPOS", "s", 1, "a"), "value is not an integer or out of range")
        # A bit far into a long string, found across whole 8-byte words.
        self.run_("SETBIT", "long", 80000, 1)
        self.assertEqual(self.run_("BITPOS", "long", 1), 80000)
        self.assertEqual(self.run_("BITPOS", "long", 1, 3, -1), 80000)
        self.assertEqual(self.run_("BITCOUNT", "long"), 1)

    def test_bitop(self):
        self.run_("SET", "a", b"\x01\x02\xff\xff")
        self.run_("SET", "b", b"\x01\x02\xff")
        self.assertEqual(self.run_("BITOP", "AND", "d", "a", "b"), 4)
        self.assertEqual(self.run_("GET", "d"), b"\x01\x02\xff\x00")
        self.assertEqual(self.run_("BITOP", "or", "d", "a", "b", "nokey"), 4)
        self.assertEqual(self.run_("GET", "d"), b"\x01\x02\xff\xff")
        self.assertEqual(self.run_("BITOP", "Xor", "d", "a", "b"), 4)
        self.assertEqual(self.run_("GET", "d"), b"\x00\x00\x00\xff")
        self.assertEqual(self.run_("BITOP", "NOT", "d", "b"), 3)
        self.assertEqual(self.run_("GET", "d"), b"\xfe\xfd\x00")
        self.assertEqual(self.run_("BITOP", "NOT", "a", "a"), 4)       # dest is the source
        self.assertEqual(self.run_("GET", "a"), b"\xfe\xfd\x00\x00")
        # An empty result deletes the destination.
        self.run_("SET", "e", "")
        self.assertEqual(self.run_("BITOP", "AND", "d", "e", "nokey"), 0)
        self.assertEqual(self.run_("EXISTS", "d"), 0)
        self.assertEqual(self.err("BITOP", "NOT", "d", "a", "b"),
                         "BITOP NOT must be called with a single source key.")
        self.assertEqual(self.err("BITOP", "NAND", "d", "a"), "syntax error")
        self.assertEqual(self.err("BITOP", "AND", "d"), "wrong number of arguments for 'bitop' command")

    def test_bitfield_get_set_incrby(self):
        self.assertEqual(self.run_("BITFIELD", "k", "SET", "i8", 0, -100, "SET", "i8", 0, 101,
                                   "GET", "i8", 0), [0, -100, 101])
        self.assertEqual(self.run_("BITFIELD", "k", "SET", "u8", 0, 255, "INCRBY", "u8", 0, 100,
                                   "GET", "u8", 0), [101, 99, 99])
        self.run_("DEL", "k")
        for i, ch in enumerate(b"ABC"):
            self.run_("BITFIELD", "k", "SET", "u8", "#%d" % i, ch)
        self.assertEqual(self.run_("GET", "k"), b"ABC")
        self.assertEqual(self.run_("BITFIELD", "k", "GET", "u4", "#1", "GET", "i4", 4), [1, 1])
        self.assertEqual(self.run_("BITFIELD", "k"), [])
        self.assertEqual(self.run_("BITFIELD", "nokey", "GET", "i64", 4294967232), [0])
        self.assertEqual(self.run_("EXISTS", "nokey"), 0)  # GET never creates the key
        # u63 is the widest unsigned field; SET -1 wraps to 2^63-1.
        self.assertEqual(self.run_("BITFIELD", "w", "SET", "u63", 0, -1, "GET", "u63", 0),
                         [0, 2**63 - 1])
        # "#N" multiplies by the width modulo 2^64, as Redis does.
        self.run_("SET", "s", "foobar")
        self.assertEqual(self.run_("BITFIELD", "s", "GET", "i64", "#288230376151711744"),
                         self.run_("BITFIELD", "s", "GET", "i64", 0))
        self.assertEqual(self.err("BITFIELD", "s", "GET", "i64", "#144115188075855872"), BAD_OFFSET)

    def test_bitfield_overflow_modes(self):
        self.run_("BITFIELD", "k", "SET", "u8", 0, 100)
        self.assertEqual(self.run_("BITFIELD", "k", "OVERFLOW", "WRAP", "INCRBY", "u8", 0, 257), [101])
        self.assertEqual(self.run_("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u8", 0, 257), [255])
        self.assertEqual(self.run_("BITFIELD", "k", "OVERFLOW", "sat", "INCRBY", "u8", 0, -300), [0])
        self.run_("BITFIELD", "k", "SET", "i8", 0, 100)
        self.assertEqual(self.run_("BITFIELD", "k", "INCRBY", "i8", 0, 257), [101])  # WRAP default
        self.assertEqual(self.run_("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", 0, 100,
                                   "INCRBY", "i8", 0, -1000), [127, -128])
        # FAIL: nothing written, a null reply, later operations still run.
        self.assertEqual(self.run_("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "i8", 0, -1,
                                   "OVERFLOW", "WRAP", "INCRBY", "i8", 0, -1), [None, 127])
        self.assertEqual(self.run_("BITFIELD", "k", "GET", "i8", 0), [127])
        # SET -1 into u8 under SAT stores 255 (the argument is taken as unsigned).
        self.assertEqual(self.run_("BITFIELD", "k", "OVERFLOW", "SAT", "SET", "u8", 0, -1,
                                   "GET", "u8", 0), [127, 255])
        max64 = 2**63 - 1
        self.run_("BITFIELD", "b", "SET", "i64", 0, max64 - 1)
        self.assertEqual(self.run_("BITFIELD", "b", "OVERFLOW", "SAT", "INCRBY", "i64", 0, max64),
                         [max64])
        self.assertEqual(self.run_("BITFIELD", "b", "OVERFLOW", "WRAP", "INCRBY", "i64", 0, max64),
                         [-2])
        # FAIL on a new key still creates it, sized for the field (as Redis).
        self.assertEqual(self.run_("BITFIELD", "n", "OVERFLOW", "FAIL", "SET", "u8", 8, 256), [None])
        self.assertEqual(self.run_("GET", "n"), b"\x00\x00")

    def test_bitfield_errors_and_ro(self):
        for t in ("u64", "i65", "i0", "x8", "U8", "i", ""):
            self.assertEqual(self.err("BITFIELD", "k", "GET", t, 0), BAD_TYPE, t)
        self.assertEqual(self.err("BITFIELD", "k", "GET", "i8", "abc"), BAD_OFFSET)
        self.assertEqual(self.err("BITFIELD", "k", "SET", "i8", "#-1", 1), BAD_OFFSET)
        self.assertEqual(self.err("BITFIELD", "k", "SET", "i8", 0, "x"),
                         "value is not an integer or out of range")
        self.assertEqual(self.err("BITFIELD", "k", "OVERFLOW", "bogus", "GET", "i8", 0),
                         "Invalid OVERFLOW type specified")
        self.assertEqual(self.err("BITFIELD", "k", "GET", "i8"), "syntax error")
        self.assertEqual(self.err("BITFIELD", "k", "SET", "i8", 0, 1, "bogus"), "syntax error")
        # A bad operation anywhere means none ran.
        self.assertEqual(self.run_("EXISTS", "k"), 0)
        self.run_("SET", "k", b"\xff")
        self.assertEqual(self.run_("BITFIELD_RO", "k", "GET", "i8", 0, "GET", "u4", "#1"), [-1, 15])
        self.assertEqual(self.run_("BITFIELD_RO", "k"), [])
        self.assertEqual(self.err("BITFIELD_RO", "k", "SET", "i8", 0, 1),
                         "BITFIELD_RO only supports the GET subcommand")
        self.assertEqual(self.err("BITFIELD_RO", "k", "INCRBY", "i8", 0, 1),
                         "BITFIELD_RO only supports the GET subcommand")
        self.assertEqual(self.run_("GET", "k"), b"\xff")

    def test_substr_and_lcs(self):
        self.run_("SET", "s", "foobar")
        self.assertEqual(self.run_("SUBSTR", "s", 1, 3), b"oob")
        self.assertEqual(self.run_("SUBSTR", "s", -3, -1), b"bar")
        self.assertEqual(self.run_("SUBSTR", "s", 5, 1), b"")
        self.assertEqual(self.run_("SUBSTR", "nokey", 0, -1), b"")
        self.assertEqual(self.err("SUBSTR", "s", 1), "wrong number of arguments for 'substr' command")
        self.run_("MSET", "a", "ohmytext", "b", "mynewtext")
        self.assertEqual(self.run_("LCS", "a", "b"), b"mytext")
        self.assertEqual(self.run_("LCS", "a", "b", "LEN"), 6)
        self.assertEqual(self.run_("LCS", "a", "b", "IDX"),
                         [b"matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], b"len", 6])
        self.assertEqual(self.run_("LCS", "a", "b", "IDX", "MINMATCHLEN", 4, "WITHMATCHLEN"),
                         [b"matches", [[[4, 7], [5, 8], 4]], b"len", 6])
        self.assertEqual(self.run_("LCS", "a", "b", "idx", "minmatchlen", -4, "withmatchlen"),
                         [b"matches", [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]], b"len", 6])
        self.assertEqual(self.run_("LCS", "a", "nokey"), b"")
        self.assertEqual(self.run_("LCS", "x", "y", "IDX"), [b"matches", [], b"len", 0])
        both = "If you want both the length and indexes, please just use IDX."
        self.assertEqual(self.err("LCS", "a", "b", "IDX", "LEN"), both)
        self.assertEqual(self.err("LCS", "a", "b", "LEN", "IDX"), both)
        self.assertEqual(self.err("LCS", "a", "b", "MINMATCHLEN"), "syntax error")
        self.assertEqual(self.err("LCS", "a", "b", "MINMATCHLEN", "x"),
                         "value is not an integer or out of range")

    def test_lcs_idx_resp3_is_a_map(self):
        self.run_("MSET", "a", "ohmytext", "b", "mynewtext")
        s = self.srv.connect()
        s.sendall(cmd("HELLO", "3") + cmd("LCS", "a", "b", "IDX", "WITHMATCHLEN") + cmd("PING"))
        data = b""
        s.settimeout(5)
        while not data.endswith(b"+PONG\r\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        want = (b"%2\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
                b"*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n+PONG\r\n")
        self.assertTrue(data.endswith(want), data[-200:])


class Limits(ServerCase):
    """The bounds that follow proto-max-bulk-len, on a server started with 1 MB."""

    @classmethod
    def setUpClass(cls):
        cls.start("--proto-max-bulk-len", "1048576")

    def test_setbit_and_bitfield_offsets(self):
        self.assertEqual(self.run_("SETBIT", "k", 8388607, 1), 0)  # in the last byte allowed
        self.assertEqual(self.run_("STRLEN", "k"), 1048576)
        self.assertEqual(self.run_("GETBIT", "k", 8388607), 1)
        self.assertEqual(self.err("SETBIT", "k", 8388608, 1), BAD_OFFSET)
        self.assertEqual(self.err("GETBIT", "k", 8388608), BAD_OFFSET)
        self.assertEqual(self.run_("BITFIELD", "b", "SET", "u8", "#1048575", 7), [0])
        self.assertEqual(self.err("BITFIELD", "b", "SET", "u8", "#1048576", 7), BAD_OFFSET)
        self.assertEqual(self.err("BITFIELD", "b", "GET", "u8", 8388608), BAD_OFFSET)

    def test_lcs_table_is_bounded(self):
        # 601 * 601 * 4 bytes of table > 1 MB.
        self.run_("SETRANGE", "la", 599, "x")
        self.run_("SETRANGE", "lb", 599, "y")
        self.assertEqual(self.err("LCS", "la", "lb", "LEN"),
                         "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
        self.run_("SETRANGE", "sa", 400, "x")
        self.run_("SETRANGE", "sb", 400, "x")
        self.assertEqual(self.run_("LCS", "sa", "sb", "LEN"), 401)


class Durability(unittest.TestCase):
    def test_bit_writes_survive_a_restart(self):
        srv = Server()
        try:
            x = redis.Redis(port=srv.port)
            x.setbit("k", 9, 1)
            x.execute_command("BITFIELD", "f", "SET", "u8", "#1", 200, "INCRBY", "i4", 0, -1)
            x.set("a", b"\x0f")
            x.execute_command("BITOP", "NOT", "d", "a")
            x.close()
            self.assertEqual(srv.stop(), 0)
            again = Server(data_dir=srv.dir)
            try:
                y = redis.Redis(port=again.port)
                self.assertEqual(y.get("k"), b"\x00\x40")
                self.assertEqual(y.get("f"), b"\xf0\xc8")
                self.assertEqual(y.get("d"), b"\xf0")
                y.close()
            finally:
                again.stop()
        finally:
            shutil.rmtree(srv.tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
