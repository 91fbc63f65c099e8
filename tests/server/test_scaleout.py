#!/usr/bin/env python3
# Copyright (c) the kvstore developers.
#
# Scale-out behind twemproxy (Debian's nutcracker), as docs/SCALING.md sets it
# up: three kvstore-server shards (--sync always, each its own data
# directory) behind one nutcracker with auto_eject_hosts: false. Writer
# threads SET through the proxy and log every acknowledged value; one shard
# is SIGKILLed mid-load and restarted on the same directory and port. Then,
# through the proxy, every key must hold its last acknowledged value or the
# value of a later attempt that failed (a request cut off by the kill may
# have been applied before the reply was lost), and, on the shards
# themselves, no key may exist that no writer sent.
#
#   KVSTORE_SERVER=build/server/kvstore-server python3 tests/server/test_scaleout.py

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402  (Debian: python3-redis)

from server_harness import Server, free_port  # noqa: E402

NUTCRACKER = os.environ.get("NUTCRACKER") or shutil.which(
    "nutcracker", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")

WRITERS = 4
LOAD_BEFORE_KILL = 1.5  # seconds
DEAD_FOR = 1.0
LOAD_AFTER_RESTART = 2.0


class Proxy:
    """A nutcracker process in front of `shards` (host:port strings)."""

    def __init__(self, shards, auto_eject=False):
        self.tmp = tempfile.mkdtemp(prefix="kvnc-")
        self.port = free_port()
        conf = os.path.join(self.tmp, "nutcracker.yml")
        with open(conf, "w") as f:
            f.write("kvstore:\n"
                    "  listen: 127.0.0.1:%d\n"
                    "  redis: true\n"
                    "  hash: fnv1a_64\n"
                    "  distribution: ketama\n"
                    "  auto_eject_hosts: %s\n"
                    "  server_retry_timeout: 500\n"
                    "  server_failure_limit: 1\n"
                    "  timeout: 3000\n"
                    "  servers:\n" % (self.port, "true" if auto_eject else "false"))
            for i, s in enumerate(shards):
                f.write("    - %s:1 shard%d\n" % (s, i + 1))
        self.log = os.path.join(self.tmp, "nutcracker.log")
        self.proc = subprocess.Popen(
            [NUTCRACKER, "-c", conf, "-o", self.log, "-p", os.path.join(self.tmp, "pid"),
             "-s", str(free_port()), "-a", "127.0.0.1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("nutcracker exited early: " + self.output())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("nutcracker did not start: " + self.output())

    def output(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Writer(threading.Thread):
    """SETs fresh keys through the proxy until told to stop. Each key is
    written once, so a write lost by the shard cannot hide behind a later
    overwrite."""

    def __init__(self, port, tid, stop):
        super().__init__(daemon=True)
        self.port, self.tid, self.stop = port, tid, stop
        self.acked = {}     # key -> value, acknowledged
        self.failed = {}    # key -> value, answered with an error (may or may not be applied)
        self.acked_at = []  # (time, key) of each acknowledgement
        self.error = None   # an unexpected exception

    def run(self):
        r = redis.Redis(port=self.port, socket_timeout=10)
        n = 0
        try:
            while not self.stop.is_set():
                key = b"w%d:k%d" % (self.tid, n)
                val = b"v%d-%d-%d" % (self.tid, n, time.monotonic_ns())
                n += 1
                try:
                    reply = r.execute_command("SET", key, val)
                except (redis.ResponseError, redis.ConnectionError, redis.TimeoutError):
                    # The proxy answers an error for a shard it cannot reach
                    # or that died mid-request: not acknowledged, but it may
                    # have been applied before the shard died.
                    self.failed[key] = val
                    time.sleep(0.005)
                    continue
                if reply not in (b"OK", True):
                    raise AssertionError("SET %r replied %r" % (key, reply))
                self.acked[key] = val
                self.acked_at.append((time.time(), key))
        except Exception as e:  # noqa: BLE001  (reported by the test)
            self.error = repr(e)


@unittest.skipIf(NUTCRACKER is None,
                 "nutcracker (Debian package 'nutcracker', twemproxy) is not installed: "
                 "scripts/dev installs it")
class ScaleOut(unittest.TestCase):
    def test_kill9_one_shard_behind_the_proxy(self):
        shards = [Server("--sync", "always") for _ in range(3)]
        tmps = [s.tmp for s in shards]
        proxy = None
        try:
            proxy = Proxy(["127.0.0.1:%d" % s.port for s in shards])
            stop = threading.Event()
            writers = [Writer(proxy.port, t, stop) for t in range(WRITERS)]
            for w in writers:
                w.start()
            time.sleep(LOAD_BEFORE_KILL)

            victim = shards[1]
            victim.proc.send_signal(signal.SIGKILL)
            victim.proc.wait(10)
            killed_at = time.time()
            time.sleep(DEAD_FOR)
            failed_while_dead = sum(len(w.failed) for w in writers)
            restarted = Server("--sync", "always", data_dir=victim.dir, port=victim.port)
            shards[1] = restarted
            restarted_at = time.time()
            time.sleep(LOAD_AFTER_RESTART)
            stop.set()
            for w in writers:
                w.join(20)
                self.assertFalse(w.is_alive(), "a writer hung")
                self.assertIsNone(w.error, w.error)

            self.assertGreater(failed_while_dead, 0,
                               "no write failed while a shard was dead: the kill did not bite")
            self.assertGreater(sum(len(w.acked) for w in writers), 500, "too little load to mean anything")

            # Which shard holds each key (asked directly, bypassing the proxy).
            direct = [redis.Redis(port=s.port) for s in shards]
            home = {}
            for idx, d in enumerate(direct):
                for key in d.scan_iter(count=1000):
                    self.assertNotIn(key, home, "key %r on two shards" % key)
                    home[key] = idx

            sent = {}
            for w in writers:
                sent.update(w.failed)
                sent.update(w.acked)
            phantom = set(home) - set(sent)
            self.assertEqual(phantom, set(), "keys no writer sent")
            # A failed attempt that was applied anyway holds its own value.
            for idx, d in enumerate(direct):
                for w in writers:
                    for k, v in w.failed.items():
                        if home.get(k) == idx:
                            self.assertEqual(d.get(k), v)

            # The restarted shard took acknowledged writes again, and kept
            # the ones acknowledged before the kill.
            after = [k for w in writers for t, k in w.acked_at if t > restarted_at]
            self.assertTrue(any(home.get(k) == 1 for k in after),
                            "no acknowledged write reached the restarted shard")
            before = [k for w in writers for t, k in w.acked_at if t < killed_at]
            self.assertTrue(any(home.get(k) == 1 for k in before),
                            "no write acknowledged before the kill lives on the killed shard")

            # Every acknowledged write, through the proxy.
            r = redis.Redis(port=proxy.port, socket_timeout=10)
            checked = 0
            for w in writers:
                keys = list(w.acked)
                for i in range(0, len(keys), 200):
                    batch = keys[i:i + 200]
                    p = r.pipeline(transaction=False)
                    for k in batch:
                        p.execute_command("GET", k)
                    for k, got in zip(batch, p.execute()):
                        self.assertEqual(got, w.acked[k], "acknowledged key %r (shard %s)" %
                                         (k, home.get(k)))
                        checked += 1
            self.assertGreater(checked, 100)
            r.close()
        finally:
            if proxy is not None:
                proxy.stop()
            for s in shards:
                if s.proc.poll() is None:
                    s.proc.kill()
                    s.proc.wait()
                s.log.close()
            for t in tmps:
                shutil.rmtree(t, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
