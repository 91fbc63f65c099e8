#!/usr/bin/env python3
# Copyright (c) the kvstore developers.
#
# kill -9 under load, for each --sync mode: client threads run SET / INCR /
# DEL on keys they own and record every acknowledged reply plus the one
# request in flight; the server is SIGKILLed mid-load and restarted on the
# same directory. Every key must then hold its last acknowledged value or
# the result of the request that was in flight (which may or may not have
# been applied), and no key may exist that no client wrote.
#
# In every mode an acknowledged write was handed to the OS before the reply,
# so it survives the death of the process (docs/SERVER.md, "Durability").

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_harness import LoadWorker, kill9_under_load  # noqa: E402

KEYS_PER_THREAD = 16


class Worker(LoadWorker):
    def __init__(self, port, tid, seed):
        super().__init__(port, tid, seed)
        self.acked = {}        # key -> value (bytes) or None (deleted / never written)
        self.inflight = []     # [(key, possible value after the op)]: unacknowledged
        self.seq = 0

    def keys(self):
        return ["t%d:k%d" % (self.tid, j) for j in range(KEYS_PER_THREAD)]

    def step(self, r):
        keys = self.keys()
        key = self.rng.choice(keys)
        cur = self.acked.get(key)
        op = self.rng.random()
        self.seq += 1
        seq = self.seq
        if op < 0.15:
            # A pipeline of SETs (the server runs such runs as one batch):
            # acknowledged only once every reply is in.
            batch = []
            for i in range(10):
                k = self.rng.choice(keys)
                batch.append((k, b"%d-%d-%d" % (self.tid, seq, i)))
            self.inflight = batch
            p = r.pipeline(transaction=False)
            for k, v in batch:
                p.execute_command("SET", k, v)
            self.expect(p.execute() == [b"OK"] * len(batch))
            for k, v in batch:
                self.acked[k] = v
        elif op < 0.5:
            val = b"%d-%d" % (self.tid, seq)
            self.inflight = [(key, val)]
            self.expect(r.execute_command("SET", key, val) == b"OK")
            self.acked[key] = val
        elif op < 0.85:
            # INCR needs an integer (or no) value: reset non-integers first.
            if cur is not None and not cur.lstrip(b"-").isdigit():
                self.inflight = [(key, None)]
                r.execute_command("DEL", key)
                self.acked[key] = cur = None
            nxt = int(cur or 0) + 1
            self.inflight = [(key, b"%d" % nxt)]
            self.expect(r.execute_command("INCR", key) == nxt)
            self.acked[key] = b"%d" % nxt
        else:
            self.inflight = [(key, None)]
            n = r.execute_command("DEL", key)
            self.expect(n == (0 if cur is None else 1))
            self.acked[key] = None
        self.inflight = []


class Kill9(unittest.TestCase):
    def run_mode(self, mode):
        def check(r, workers):
            owned = set()
            for w in workers:
                for key in w.keys():
                    owned.add(key.encode())
                    got = r.get(key)
                    allowed = {w.acked.get(key)}
                    allowed.update(v for k, v in w.inflight if k == key)
                    self.assertIn(got, allowed, "%s: key %s" % (mode, key))
            phantom = set(r.keys("*")) - owned
            self.assertEqual(phantom, set(), mode)

        kill9_under_load(self, mode, lambda port, t: Worker(port, t, 1000 * t + len(mode)),
                         check)

    def test_always(self):
        self.run_mode("always")

    def test_everysec(self):
        self.run_mode("everysec")

    def test_no(self):
        self.run_mode("no")


if __name__ == "__main__":
    unittest.main(verbosity=1)
