#!/usr/bin/env python3
# Copyright (c) the kvstore developers.
#
# `kvstore backup` beside a running kvstore-server that takes writes and
# checkpoints (BGSAVE in a loop) meanwhile, then `kvstore restore` and a
# server on the restored directory. Each writer thread SETs fresh keys in
# order (w<t>:<n>, n = 0, 1, 2 ...), so the restored keys of a writer must be
# exactly its first m writes for some m (a prefix), with every write it had
# acknowledged before the backup began among them, each with its value, and
# no key that nobody wrote.
#
#   KVSTORE_SERVER=build/server/kvstore-server KVSTORE_CLI=build/kvstore \
#     python3 tests/cli/backup_online_test.py

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "server"))
import redis  # noqa: E402  (Debian: python3-redis)

from server_harness import Server  # noqa: E402

CLI = os.environ.get("KVSTORE_CLI", "build/kvstore")
WRITERS = 3


class Writer(threading.Thread):
    def __init__(self, port, tid, stop):
        super().__init__(daemon=True)
        self.port, self.tid, self.stop = port, tid, stop
        self.acked = 0  # writes 0 .. acked-1 are acknowledged
        self.error = None

    @staticmethod
    def value(tid, n):
        return b"value-%d-%d-" % (tid, n) + b"x" * (n % 40)

    def run(self):
        r = redis.Redis(port=self.port, socket_timeout=10)
        try:
            while not self.stop.is_set():
                n = self.acked
                if r.execute_command("SET", "w%d:%d" % (self.tid, n), self.value(self.tid, n)) \
                        not in (b"OK", True):
                    raise AssertionError("SET failed")
                self.acked = n + 1
        except Exception as e:  # noqa: BLE001  (reported by the test)
            self.error = repr(e)


class OnlineBackup(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kvbackup-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def cli(self, *args):
        return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=60)

    def test_backup_under_a_running_server_restores_a_prefix(self):
        data = os.path.join(self.tmp, "data")
        backup = os.path.join(self.tmp, "backup")
        srv = Server("--sync", "everysec", data_dir=data)
        try:
            stop = threading.Event()
            writers = [Writer(srv.port, t, stop) for t in range(WRITERS)]
            for w in writers:
                w.start()
            admin = redis.Redis(port=srv.port, socket_timeout=10)
            deadline = time.time() + 20
            while sum(w.acked for w in writers) < 3000 and time.time() < deadline:
                time.sleep(0.01)
            # Checkpoints during the backup: BGSAVE rotates the WAL, writes a
            # snapshot and deletes the files it made obsolete.
            ckpt_stop = threading.Event()
            bgsaves = [0]

            def checkpointer():
                while not ckpt_stop.is_set():
                    try:
                        admin.execute_command("BGSAVE")
                        bgsaves[0] += 1
                    except redis.ResponseError:
                        pass  # one already running
                    time.sleep(0.005)
            ck = threading.Thread(target=checkpointer, daemon=True)
            ck.start()
            time.sleep(0.1)
            acked_before = [w.acked for w in writers]
            res = self.cli("--dir", data, "backup", "--to", backup)
            acked_after = [w.acked for w in writers]
            ckpt_stop.set()
            ck.join(10)
            time.sleep(0.1)
            stop.set()
            for w in writers:
                w.join(15)
                self.assertIsNone(w.error)
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertIn("backup", res.stdout)
            self.assertGreater(bgsaves[0], 0)
            self.assertGreater(sum(acked_after) - sum(acked_before), 0,
                               "no write went on during the backup")
            # A second backup into the same directory is refused.
            again = self.cli("--dir", data, "backup", "--to", backup)
            self.assertEqual(again.returncode, 2)
            self.assertIn("not empty", again.stderr)
        finally:
            srv.stop()

        restored = os.path.join(self.tmp, "restored")
        res = self.cli("--dir", restored, "restore", "--from", backup)
        self.assertEqual(res.returncode, 0, res.stderr)
        with Server(data_dir=restored) as again:
            r = redis.Redis(port=again.port, socket_timeout=10)
            keys = set(r.scan_iter(count=1000))
            total = 0
            for w in writers:
                mine = sorted(int(k.split(b":")[1]) for k in keys
                              if k.startswith(b"w%d:" % w.tid))
                m = len(mine)
                self.assertEqual(mine, list(range(m)),
                                 "writer %d: the backup is not a prefix of its writes" % w.tid)
                self.assertGreaterEqual(m, acked_before[w.tid],
                                        "writer %d: an acknowledged write is missing" % w.tid)
                self.assertLessEqual(m, w.acked + 1)
                for lo in range(0, m, 500):
                    batch = ["w%d:%d" % (w.tid, n) for n in range(lo, min(m, lo + 500))]
                    values = r.mget(batch)
                    for n, v in zip(range(lo, lo + len(batch)), values):
                        self.assertEqual(v, Writer.value(w.tid, n))
                total += m
            self.assertEqual(len(keys), total, "keys nobody wrote")
            r.close()
            again.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
