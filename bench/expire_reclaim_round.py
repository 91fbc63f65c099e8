#!/usr/bin/env python3
# One round of bench/expire_reclaim_bench.sh against one server already
# running on a loopback port: loads N keys that all expire at the same
# moment, serves a closed-loop SET/GET client across that moment, measures
# how long the server takes to reclaim them and the client's latency before
# and while it does, and prints one JSON line. The shell script starts and
# stops the servers and takes the medians; this file only measures.
#
#   expire_reclaim_round.py round --port P [--keys N] [--lead S] ...
#   expire_reclaim_round.py poll ...    (the reclaim poller; started by round)
#
# Timeline of a round (T = the deadline, in Unix ms):
#   load    `redis-cli --pipe` of N x `SET exp:<12 digits> <value> PXAT T`
#           (16-byte keys), started `--lead` seconds before T.
#   client  from the end of the load until reclaim is over: --clients
#           connections, each sending one request at a time, half SETs and
#           half GETs of 65,536 random keys `key:<12 digits>` out of
#           --keyspace (keys of its own: the client never touches the
#           expiring keys), every request timed.
#   poller  a separate process; from T on, sends `INFO stats` every
#           --interval-ms and notes when expired_keys has grown by N: the
#           reclaim time (an upper bound, coarse by one interval plus one
#           INFO round trip).
# Baseline = requests sent from --warmup seconds after the load to 50 ms
# before T (keys loaded, nothing expiring); window = requests sent from T to
# the end of reclaim. Latency is what this client sees (its own queueing
# included, for both servers alike): redis-benchmark only reports whole-run
# percentiles, which cannot be cut at the deadline.

import argparse
import array
import json
import os
import random
import selectors
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resp_conn import Conn, connect, encode  # noqa: E402


def fail(msg):
    print("expire_reclaim_round: " + msg, file=sys.stderr)
    sys.exit(1)


def load(port, keys, value_size, deadline_ms):
    """Sends N SET ... PXAT deadline through redis-cli --pipe; checks every reply."""
    value = b"v" * value_size
    head = b"*5\r\n$3\r\nSET\r\n$16\r\n"
    tail = b"\r\n$%d\r\n%s\r\n$4\r\nPXAT\r\n$%d\r\n%d\r\n" % (
        value_size, value, len(str(deadline_ms)), deadline_ms)
    pipe = subprocess.Popen(["redis-cli", "-p", str(port), "--pipe"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    chunk = 20000
    for start in range(0, keys, chunk):
        pipe.stdin.write(b"".join(head + b"exp:%012d" % i + tail
                                  for i in range(start, min(keys, start + chunk))))
    pipe.stdin.close()
    out = pipe.stdout.read().decode(errors="replace")
    pipe.wait()
    if pipe.returncode != 0 or ("errors: 0, replies: %d" % keys) not in out:
        fail("loading the keys failed: " + out.strip()[-300:])


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def summary(lat_s, span_s):
    """p50/p99/max in ms, count and requests per second of one phase."""
    v = sorted(lat_s)
    ms = (lambda x: None if x is None else round(x * 1000, 3))
    return {"n": len(v), "rps": round(len(v) / span_s) if span_s > 0 else 0,
            "p50_ms": ms(percentile(v, 0.50)), "p99_ms": ms(percentile(v, 0.99)),
            "max_ms": ms(v[-1] if v else None)}


def is_complete(b):
    """True when b holds one whole reply (the client has one request in flight)."""
    kind = b[:1]
    if kind == b"$":
        i = b.find(b"\r\n")
        if i < 0:
            return False
        n = int(b[1:i])
        return n < 0 or len(b) >= i + 2 + n + 2
    return b.endswith(b"\r\n")


def serve_client(port, clients, keyspace, value_size, stop):
    """Closed-loop SET/GET client until stop() says so.

    Returns (send wall times, latencies), both in seconds."""
    rng = random.Random(42)
    value = b"x" * value_size
    # The same keys are set and read, so that reads come to hit.
    keys = [b"key:%012d" % rng.randrange(keyspace) for _ in range(65536)]
    pool = [encode("SET", k, value) for k in keys] + [encode("GET", k) for k in keys]
    sel = selectors.DefaultSelector()
    socks, bufs, sent_at = [], [], []
    wall0, perf0 = time.time(), time.perf_counter()
    for i in range(clients):
        s = connect(port)
        socks.append(s)
        bufs.append(b"")
        sent_at.append(time.perf_counter())
        s.sendall(pool[rng.randrange(len(pool))])
        sel.register(s, selectors.EVENT_READ, i)
    sends, lats = array.array("d"), array.array("d")
    perf = time.perf_counter
    next_check = perf() + 0.05
    while True:
        for key, _ in sel.select(timeout=0.05):
            i = key.data
            data = socks[i].recv(65536)
            if not data:
                fail("the server closed a client connection")
            b = bufs[i] + data
            if not is_complete(b):
                bufs[i] = b
                continue
            now = perf()
            if b[:1] == b"-":
                fail("the server answered an error: " + b.decode(errors="replace").strip())
            sends.append(sent_at[i])
            lats.append(now - sent_at[i])
            bufs[i] = b""
            sent_at[i] = perf()
            socks[i].sendall(pool[rng.randrange(len(pool))])
        if perf() >= next_check:
            next_check = perf() + 0.05
            if stop():
                break
    # Requests still unanswered count with the time they have waited so far
    # (a lower bound), so that a long stall at the end is not left out.
    now = perf()
    for i, s in enumerate(socks):
        sends.append(sent_at[i])
        lats.append(now - sent_at[i])
        s.close()
    return [wall0 + (t - perf0) for t in sends], lats


def cmd_round(a):
    deadline_ms = int(time.time() * 1000 + a.lead * 1000)
    load_start = time.time()
    load(a.port, a.keys, a.value_size, deadline_ms)
    load_end = time.time()
    if load_end * 1000 > deadline_ms - 1500:
        fail("loading %d keys took %.1f s, leaving less than 1.5 s before the deadline: "
             "raise --lead" % (a.keys, load_end - load_start))
    c = Conn(a.port)
    base = int(c.info("stats").get("expired_keys", "0"))
    loaded = c.command("DBSIZE")
    c.close()
    if loaded < a.keys:
        fail("DBSIZE is %d after loading %d keys" % (loaded, a.keys))
    poller = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "poll", "--port", str(a.port),
         "--deadline-ms", str(deadline_ms), "--target", str(base + a.keys),
         "--keys", str(a.keys), "--interval-ms", str(a.interval_ms), "--timeout", str(a.timeout)],
        stdout=subprocess.PIPE)
    hard_stop = deadline_ms / 1000 + a.timeout + 5
    poller_done = []

    def stop():
        now = time.time()
        if not poller_done and poller.poll() is not None:
            poller_done.append(now)
        # A little past the end of reclaim, so that the window's last requests return.
        return (poller_done and now > poller_done[0] + 0.3) or now > hard_stop

    sends, lats = serve_client(a.port, a.clients, a.keyspace, a.value_size, stop)
    polled = json.loads(poller.stdout.read().decode() or "{}")
    poller.wait()
    if poller.returncode != 0 or "reclaim_ms" not in polled:
        fail("the reclaim poller failed")
    t = deadline_ms / 1000
    base_from, base_to = load_end + a.warmup, t - 0.05
    reclaim_ms = polled["reclaim_ms"]
    win_to = t + (reclaim_ms if reclaim_ms is not None else a.timeout * 1000) / 1000
    base_lat = [l for s, l in zip(sends, lats) if base_from <= s < base_to]
    win_lat = [l for s, l in zip(sends, lats) if t <= s <= win_to]
    print(json.dumps({
        "load_s": round(load_end - load_start, 3),
        "reclaim_ms": reclaim_ms,
        "reclaimed": polled["reclaimed"],
        "poll_median_ms": polled["poll_median_ms"],
        "poll_max_ms": polled["poll_max_ms"],
        "baseline": summary(base_lat, base_to - base_from),
        "window": summary(win_lat, win_to - t),
    }))


def cmd_poll(a):
    c = Conn(a.port)
    t = a.deadline_ms / 1000
    delay = t - time.time()
    if delay > 0:
        time.sleep(delay)
    polls, reclaim_ms, expired = [], None, 0
    while True:
        t0 = time.time()
        expired = int(c.info("stats").get("expired_keys", "0"))
        t1 = time.time()
        polls.append(t1 - t0)
        if expired >= a.target:
            reclaim_ms = round(t1 * 1000 - a.deadline_ms, 1)
            break
        if t1 > t + a.timeout:
            break
        time.sleep(max(0.0, t0 + a.interval_ms / 1000 - time.time()))
    polls.sort()
    print(json.dumps({
        "reclaim_ms": reclaim_ms,
        "reclaimed": a.keys - max(0, a.target - expired),
        "poll_median_ms": round(percentile(polls, 0.5) * 1000, 2),
        "poll_max_ms": round(polls[-1] * 1000, 2),
    }))


def main():
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("round", help="load, serve, poll; print one JSON line")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--keys", type=int, default=1000000, help="expiring keys (default 1000000)")
    r.add_argument("--keyspace", type=int, default=1000000,
                   help="keys the client picks from (default 1000000)")
    r.add_argument("--value-size", type=int, default=100)
    r.add_argument("--clients", type=int, default=50)
    r.add_argument("--lead", type=float, default=10.0,
                   help="seconds from the start of the load to the deadline (default 10)")
    r.add_argument("--warmup", type=float, default=0.5,
                   help="seconds after the load not counted in the baseline (default 0.5)")
    r.add_argument("--interval-ms", type=float, default=10.0)
    r.add_argument("--timeout", type=float, default=60.0,
                   help="seconds after the deadline to give up waiting for reclaim (default 60)")
    q = sub.add_parser("poll", help="internal: the reclaim poller")
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--deadline-ms", type=int, required=True)
    q.add_argument("--target", type=int, required=True)
    q.add_argument("--keys", type=int, required=True)
    q.add_argument("--interval-ms", type=float, default=10.0)
    q.add_argument("--timeout", type=float, default=60.0)
    a = p.parse_args()
    cmd_round(a) if a.cmd == "round" else cmd_poll(a)


if __name__ == "__main__":
    main()
