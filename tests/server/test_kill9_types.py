#!/usr/bin/env python3
# Copyright (c) the kvstore developers.
#
# kill -9 in the middle of writes to hashes, lists, sets and sorted sets, for
# each --sync mode. Client threads run commands whose every effect is
# checkable after the restart:
#   LMOVE between two lists and SMOVE between two sets: no element is lost or
#     doubled (each command changes two keys, all or nothing);
#   ZUNIONSTORE of two 2000-member sorted sets, alternating with a
#     ZUNIONSTORE of a third one, into one destination: it holds one of the
#     two whole results, never a part or a mix;
#   HINCRBY on owned fields: each holds its last acknowledged count, or one
#     more when an increment was in flight.

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis  # noqa: E402

from server_harness import LoadWorker, kill9_under_load  # noqa: E402

ELEMENTS = 300
BIG = 2000


class Worker(LoadWorker):
    def __init__(self, port, tid, seed):
        super().__init__(port, tid, seed)
        self.counts = {}        # hash field -> last acknowledged count
        self.inflight = None    # the field of an unacknowledged HINCRBY

    def step(self, r):
        op = self.rng.random()
        if op < 0.3:
            src, dst = self.rng.choice([("la", "lb"), ("lb", "la")])
            r.execute_command("LMOVE", src, dst, "LEFT", "RIGHT")
        elif op < 0.55:
            src, dst = self.rng.choice([("sa", "sb"), ("sb", "sa")])
            member = "m%d" % self.rng.randrange(ELEMENTS)
            r.execute_command("SMOVE", src, dst, member)
        elif op < 0.7:
            if self.rng.random() < 0.5:
                n = r.execute_command("ZUNIONSTORE", "zu", 2, "z1", "z2")
                self.expect(n == 2 * BIG)
            else:
                n = r.execute_command("ZUNIONSTORE", "zu", 1, "z3")
                self.expect(n == BIG)
        else:
            field = "t%d:f%d" % (self.tid, self.rng.randrange(8))
            self.inflight = field
            got = r.execute_command("HINCRBY", "h", field, 1)
            self.expect(got == self.counts.get(field, 0) + 1)
            self.counts[field] = got
            self.inflight = None


class Kill9Types(unittest.TestCase):
    def setup_data(self, port):
        r = redis.Redis(port=port)
        elements = ["e%d" % i for i in range(ELEMENTS)]
        r.execute_command("RPUSH", "la", *elements)
        r.execute_command("SADD", "sa", *["m%d" % i for i in range(ELEMENTS)])
        for name, offset in (("z1", 0), ("z2", BIG), ("z3", 5 * BIG)):
            args = []
            for i in range(BIG):
                args += [i, "x%d" % (offset + i)]
            r.execute_command("ZADD", name, *args)
        r.close()

    def check(self, r, workers, mode):
        la = r.execute_command("LRANGE", "la", 0, -1)
        lb = r.execute_command("LRANGE", "lb", 0, -1)
        self.assertEqual(sorted(la + lb), sorted(b"e%d" % i for i in range(ELEMENTS)),
                         "%s: LMOVE lost or doubled an element" % mode)
        sa = r.execute_command("SMEMBERS", "sa")
        sb = r.execute_command("SMEMBERS", "sb")
        self.assertEqual(len(sa) + len(sb), ELEMENTS, "%s: SMOVE lost or doubled" % mode)
        self.assertEqual(set(sa) | set(sb), {b"m%d" % i for i in range(ELEMENTS)})
        zu = set(r.execute_command("ZRANGE", "zu", 0, -1))
        whole = [set(), {b"x%d" % i for i in range(2 * BIG)},
                 {b"x%d" % (5 * BIG + i) for i in range(BIG)}]
        self.assertIn(zu, whole, "%s: ZUNIONSTORE left %d members" % (mode, len(zu)))
        for w in workers:
            for field, count in w.counts.items():
                got = int(r.execute_command("HGET", "h", field))
                allowed = {count, count + 1} if w.inflight == field else {count}
                self.assertIn(got, allowed, "%s: field %s" % (mode, field))
            if w.inflight is not None and w.inflight not in w.counts:
                got = r.execute_command("HGET", "h", w.inflight)
                self.assertIn(got, (None, b"1"))

    def run_mode(self, mode):
        kill9_under_load(self, mode, lambda port, t: Worker(port, t, 77 * t + len(mode)),
                         lambda r, workers: self.check(r, workers, mode),
                         setup=self.setup_data)

    def test_always(self):
        self.run_mode("always")

    def test_everysec(self):
        self.run_mode("everysec")

    def test_no(self):
        self.run_mode("no")


if __name__ == "__main__":
    unittest.main(verbosity=1)
